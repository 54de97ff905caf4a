/**
 * How the chainsoak process ends, so that CI can trust the exit code:
 *
 *   0 pass · 1 a budget failed · 2 usage error · 3 harness/infrastructure error (anything unexpected too) · 130 interrupted
 *
 * - A known error (UsageError, InfraError) is its one line and its code.
 * - Anything else is a bug or an environment the harness did not foresee: one line and exit 3 (never Node's
 *   own exit 1, which would read as "a budget failed"); the stack goes to a file, or to stderr with
 *   CHAINSOAK_DEBUG=1.
 * - SIGINT/SIGTERM abort the command, which stops its nodes and writes its report; if that takes longer
 *   than a bound the process tears the runtimes down and ends anyway; a second signal ends it at once.
 * - The command returning nothing, or the event loop running dry before it settled (a scenario file that
 *   awaits a promise nobody resolves), is never a silent exit 0.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChainsoakError, Interrupted, UNEXPECTED } from '../errors.ts';
import { makeDir } from '../fs/make-dir.ts';
import { hasLiveRuntimes, leaveExitToCaller, shutdownLiveRuntimes } from '../runtimes/teardown.ts';

/** After the first signal, how long the command may take to stop its nodes and write its report. */
const STOP_BOUND_MS = 30_000;
/** The same when nothing is running yet (loading, checking, building): only the abort needs to land. */
const STOP_BOUND_IDLE_MS = 3_000;
/** When the bound has passed: how long the runtimes get to tear down before the process ends anyway. */
const FORCED_TEARDOWN_MS = 10_000;

export const EXIT = { pass: 0, budgetFailed: 1, usage: 2, infra: 3, interrupted: 130 } as const;

/** Abort `interrupt` on SIGINT/SIGTERM; end the process within a bound whatever the command is doing. */
export function exitOnSignals(interrupt: AbortController): void {
  leaveExitToCaller(); // the runtimes' own signal teardown only cleans up; this module ends the process
  let signals = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      signals += 1;
      if (signals > 1) process.exit(EXIT.interrupted); // the exit hook still kills every node process group
      process.stderr.write(`\n${signal}: stopping nodes and writing the report (again to force)\n`);
      interrupt.abort(new Interrupted(signal));
      const bound = hasLiveRuntimes() ? STOP_BOUND_MS : STOP_BOUND_IDLE_MS;
      setTimeout(() => void forceExit(bound), bound).unref();
    });
  }
}

async function forceExit(boundMs: number): Promise<never> {
  process.stderr.write(`chainsoak: still not stopped ${boundMs / 1000} s after the signal: tearing down and exiting\n`);
  await shutdownLiveRuntimes(FORCED_TEARDOWN_MS);
  process.exit(EXIT.interrupted);
}

export interface CommandEnd {
  /** Where a stack trace of an unexpected error may go (the reports folder), when known. */
  reportsDir?: () => string | undefined;
  /** Whether the user interrupted: a command that settles without a code then exits 130. */
  interrupted: () => boolean;
}

/** Run the command and end the process with the code it earned; see the module comment. */
export async function runToExit(command: () => Promise<unknown>, end: CommandEnd): Promise<never> {
  let settled = false;
  process.on('exit', (code) => {
    if (settled || code !== 0) return;
    // Nothing is pending any more, yet the command never finished: a promise that never settles.
    process.stderr.write('chainsoak: ended before the command finished (a promise that never settles?): nothing was judged\n');
    process.exitCode = end.interrupted() ? EXIT.interrupted : EXIT.infra;
  });
  let code: number;
  try {
    await command();
    code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.pass; // `run` and `compare` always set theirs
  } catch (error) {
    code = exitCodeOf(error, end);
  }
  settled = true;
  process.exit(code);
}

/** Print an error that ended the command, in one line (plus a known error's detail); its exit code. */
function exitCodeOf(error: unknown, end: CommandEnd): number {
  if (error instanceof ChainsoakError) {
    process.stderr.write(`chainsoak: ${error.message}\n`);
    if (error.detail) process.stderr.write(error.detail.split('\n').map((l) => '    ' + l).join('\n') + '\n');
    return error.exitCode;
  }
  if (error instanceof Interrupted || end.interrupted()) return EXIT.interrupted;
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  process.stderr.write(`chainsoak: ${UNEXPECTED}: ${message} (${keepStack(error, end.reportsDir?.())})\n`);
  return EXIT.infra;
}

/**
 * The detail of a run's (or a compare's) error, under its verdict: a log tail as is; the stack of an
 * unexpected error only with CHAINSOAK_DEBUG=1, else where to find it (the report keeps it).
 */
export function printRunError(error: { message: string; detail?: string } | null | undefined, reportFile: string): void {
  if (!error?.detail) return;
  const stackOnly = error.message.startsWith(`${UNEXPECTED}:`) && process.env.CHAINSOAK_DEBUG !== '1';
  const text = stackOnly ? `stack in ${reportFile} (or CHAINSOAK_DEBUG=1)` : error.detail;
  process.stderr.write(text.split('\n').map((l) => '    ' + l).join('\n') + '\n');
}

/** Where the full stack went, for the one line: stderr with CHAINSOAK_DEBUG=1, else a file. */
function keepStack(error: unknown, reportsDir: string | undefined): string {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.env.CHAINSOAK_DEBUG === '1') {
    process.stderr.write(stack + '\n');
    return 'stack above';
  }
  const name = `chainsoak-error-${new Date().toISOString().replace(/[-:.]/g, '')}-${process.pid}.log`;
  for (const dir of [reportsDir, os.tmpdir()]) {
    if (!dir) continue;
    try {
      makeDir(dir);
      writeFileSync(path.join(dir, name), stack + '\n');
      return `stack in ${path.join(dir, name)}`;
    } catch {
      // the reports folder may be the very thing that failed: try the next place
    }
  }
  return 'set CHAINSOAK_DEBUG=1 for the stack';
}
