/**
 * Programs chainsoak starts (nodes, Toxiproxy) run detached, each in a process group of its own, so a
 * signal to the group reaches anything they forked. POSIX (Linux, macOS); not Windows.
 */
import { ExitCleanup } from './exit-cleanup.ts';

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
