/**
 * What the bench asks of a load generator (chainsoak's own, vegeta, wrk): send the bodies of one file,
 * one per request, at a rate, for a time, to one URL; then say how many requests it sent and how many
 * failed. Each runs as a child process of the bench, measured the same way (runMeasured).
 */
import { spawn } from 'node:child_process';
import { reapedChildrenCpuMs } from './proc-cpu.ts';

export interface GeneratorRun {
  url: string;
  /** One JSON-RPC request body per line. */
  bodiesFile: string;
  /** Lines in bodiesFile: no generator sends more. */
  count: number;
  rate: number;
  durationMs: number;
  /** Connections (wrk), sockets and requests in flight (ours); vegeta opens what its pacing needs. */
  connections: number;
  /** A folder of this run's own for the generator's files (targets, script, results). */
  dir: string;
}

export interface GeneratorResult {
  /** Requests that got an answer or failed (sent). */
  requests: number;
  /** Answered 2xx with no JSON-RPC error. */
  ok: number;
  errors: number;
  /** From the first request sent to the last answer (or the generator's end). */
  windowMs: number;
  errorSample?: string;
  /** What the generator says about keeping its schedule, where it says anything (ours: skipped items, late ticks). */
  schedule?: string;
}

export interface LoadGenerator {
  readonly name: string;
  /** Files the generator needs beside the bodies (vegeta's targets, wrk's script). */
  prepare?(run: GeneratorRun): Promise<void>;
  /** env: variables added to the bench's own (vegeta's GOMAXPROCS). */
  command(run: GeneratorRun): { file: string; args: string[]; env?: Record<string, string> };
  /** Its result, from its stdout and whatever files it wrote. */
  result(stdout: string, run: GeneratorRun): Promise<GeneratorResult>;
}

/** A JSON-RPC answer that carries an error (a batch never: one body is one request here). */
export function answerFailed(text: string): boolean {
  return text.includes('"error"');
}

/** How long the bodies last at the rate, bounded by the run's duration: what vegeta and wrk are told to run for. */
export function sendingMs(run: GeneratorRun): number {
  return Math.max(1, Math.min(run.durationMs, Math.floor((run.count * 1000) / run.rate)));
}

export interface MeasuredRun extends GeneratorResult {
  /** user+sys CPU of the generator process, start-up included. */
  cpuMs: number;
}

/** Children still running, for the bench's cleanup on a signal. */
export const runningGenerators = new Set<import('node:child_process').ChildProcess>();

/**
 * Run one generator to its end as a child process (killed after durationMs + 30 s) and measure its CPU:
 * the bench's reaped-children CPU after minus before (proc-cpu.ts). One generator at a time.
 */
export async function runMeasured(gen: LoadGenerator, run: GeneratorRun): Promise<MeasuredRun> {
  await gen.prepare?.(run);
  const { file, args, env } = gen.command(run);
  const before = reapedChildrenCpuMs();
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  runningGenerators.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), run.durationMs + 30_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  }).finally(() => {
    clearTimeout(timer);
    runningGenerators.delete(child);
  });
  const cpuMs = reapedChildrenCpuMs() - before;
  if (code !== 0) throw new Error(`${gen.name} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { ...(await gen.result(stdout, run)), cpuMs };
}
