/**
 * Teardown when the process is told to end. The CLI catches Ctrl-C and SIGTERM itself and stops the run;
 * a library user (a mocha test calling runScenario) has nobody who does: Node's default action ends the
 * process at once, no 'exit' hook runs, and node processes and containers would outlive it. So while a
 * runtime has something running, chainsoak listens for SIGINT and SIGTERM too: every live runtime is
 * shut down (bounded), then the process ends the way the signal would have ended it (the default action,
 * re-raised), unless the caller said it decides that itself (the CLI: leaveExitToCaller()). Counting the
 * other listeners cannot tell: signal-exit (under proper-lockfile) listens too, and re-raises only when
 * it is alone. Listeners are added once per process and taken away when the last runtime is done, so
 * nothing accumulates across runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';

interface Teardown {
  shutdown(): Promise<void>;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const TEARDOWN_BOUND_MS = 25_000;
const live = new Set<Teardown>();
let tearingDown: Promise<void> | undefined;
let callerDecidesExit = false;

/** The caller handles SIGINT/SIGTERM and ends the process itself (the CLI): teardown only cleans up. */
export function leaveExitToCaller(): void {
  callerDecidesExit = true;
}

function onSignal(signal: NodeJS.Signals): void {
  tearingDown ??= shutdownLiveRuntimes(TEARDOWN_BOUND_MS);
  void tearingDown.then(() => {
    if (callerDecidesExit) return;
    uninstall();
    process.kill(process.pid, signal);
  });
}

const handlers = new Map(SIGNALS.map((s) => [s, () => onSignal(s)] as const));

function install(): void {
  for (const [signal, handler] of handlers) if (!process.listeners(signal).includes(handler)) process.on(signal, handler);
}

function uninstall(): void {
  for (const [signal, handler] of handlers) process.removeListener(signal, handler);
}

/** Whether some runtime still has something running (a node process, a container, a network). */
export function hasLiveRuntimes(): boolean {
  return live.size > 0;
}

/** Shut every live runtime down, waiting at most `boundMs`: for a caller that must end the process now. */
export async function shutdownLiveRuntimes(boundMs: number): Promise<void> {
  await Promise.race([Promise.all([...live].map((t) => t.shutdown().catch(() => undefined))), sleep(boundMs, undefined, { ref: false })]);
}

/** A runtime that has started something: tear it down on SIGINT/SIGTERM until released. */
export function holdTeardown(runtime: Teardown): void {
  live.add(runtime);
  install();
}

/** The runtime has shut down: it needs no teardown any more. */
export function releaseTeardown(runtime: Teardown): void {
  live.delete(runtime);
  if (live.size === 0 && !tearingDown) uninstall();
}
