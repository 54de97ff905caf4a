/**
 * Errors the CLI knows how to print: one line (`message`), optionally followed by `detail` (e.g. a log
 * tail), then exit with `exitCode`. Anything else that escapes is a bug and gets a stack trace.
 *
 *   2 = the user asked for something wrong (bad flag, scenario, node spec, a version that does not exist)
 *   3 = the infrastructure failed (build failed, node did not start, endpoint unreachable)
 */
export abstract class ChainsoakError extends Error {
  abstract readonly exitCode: 2 | 3;
  /** Extra lines printed after the one-line message (e.g. the last lines of a build log). */
  readonly detail?: string;

  constructor(message: string, options?: { detail?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.detail !== undefined) this.detail = options.detail;
  }
}

/** Exit code 2: the request itself is wrong; retrying will not help, fixing the input will. */
export class UsageError extends ChainsoakError {
  readonly exitCode = 2 as const;
}

/** Exit code 3: something outside the request failed (build, node start, network endpoint). */
export class InfraError extends ChainsoakError {
  readonly exitCode = 3 as const;
}

export function isChainsoakError(err: unknown): err is ChainsoakError {
  return err instanceof ChainsoakError;
}

/**
 * How an error nobody foresaw is named (exit 3): in a run's report, with its stack as the detail; on the
 * CLI's stderr, one line that says where the stack is.
 */
export const UNEXPECTED = 'unexpected error';

/** Abort reason for Ctrl-C / SIGTERM: the run stops, cleans up, and reports exit 130. */
export class Interrupted extends Error {
  constructor(signal: string) {
    super(`interrupted by ${signal}`);
  }
}
