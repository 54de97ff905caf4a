/**
 * Programs chainsoak starts (nodes, Toxiproxy) run detached, each in a process group of its own, so a
 * signal to the group reaches anything they forked. POSIX (Linux, macOS); not Windows.
 */
import { InfraError } from '../errors.ts';
import { ExitCleanup } from './exit-cleanup.ts';

/**
 * Refuse to start programs where there are no process groups (Windows): process.kill(-pgid) would fail
 * there, and a node could be neither paused nor stopped with what it forked, and would outlive the run.
 */
export function checkProcessGroups(platform: NodeJS.Platform = process.platform): void {
  if (platform === 'win32') throw new InfraError('chainsoak starts nodes in POSIX process groups, which Windows lacks: run it under WSL2 (or use --runtime external)');
}

/** Signal a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** Groups still running: SIGKILLed if the process exits before they were stopped. */
export const groupsToKillOnExit = new ExitCleanup<number>((pgids) => {
  for (const pgid of pgids) signalGroup(pgid, 'SIGKILL');
});
