/**
 * wrk (Debian's package `wrk`, 4.1.0), the event-loop HTTP benchmark written in C with LuaJIT scripting,
 * driven by wrk-bodies.lua: each body of the file once, at a rate. Installed with the system's package
 * manager (test/support/ensure-wrk.sh), never by the bench.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendingMs, type GeneratorResult, type LoadGenerator } from './generator.ts';

export const wrkScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wrk-bodies.lua');

/** `wrk -v`'s version ('wrk debian/4.1.0-3+b2'), or undefined when wrk is not installed. */
export function wrkVersion(): string | undefined {
  try {
    // wrk -v prints its version and usage, and exits 1.
    return versionOf(execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (error) {
    return versionOf((error as { stdout?: string }).stdout ?? '');
  }
}

const versionOf = (out: string) => (out.startsWith('wrk ') ? out.split('\n')[0]!.split(' [')[0] : undefined);

/** The line wrk-bodies.lua's done() prints. */
export function wrkCounts(stdout: string): GeneratorResult {
  const m = /chainsoak-wrk answered=(\d+) failed=(\d+) transport=(\d+) duration_us=(\d+)/.exec(stdout);
  if (!m) throw new Error(`wrk printed no chainsoak-wrk line: ${stdout.slice(-300)}`);
  const [answered, failed, transport, durationUs] = m.slice(1).map(Number) as [number, number, number, number];
  const errors = failed + transport;
  return { requests: answered + transport, ok: answered - failed, errors, windowMs: durationUs / 1000, ...(errors ? { errorSample: `${failed} failed answers, ${transport} transport errors` } : {}) };
}

/** `threads`: wrk's -t (its -c is split between them). */
export function wrk(threads: number): LoadGenerator {
  return {
    name: 'wrk',
    command: (run) => ({
      file: 'wrk',
      args: [
        '-t', String(threads), '-c', String(Math.max(threads, run.connections)), // wrk runs for its whole -d (whole seconds), even when every thread is done.
        '-d', `${Math.max(1, Math.ceil(sendingMs(run) / 1000))}s`,
        '--timeout', '10s', '-s', wrkScript, run.url, '--', run.bodiesFile, String(run.rate), String(threads),
      ],
    }),
    result: async (stdout) => wrkCounts(stdout),
  };
}
