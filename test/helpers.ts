/** Shared helpers for tests that drive the real CLI and real nodes. */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const bin = path.join(repoRoot, 'harness', 'bin.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the chainsoak CLI to completion. */
export function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, CI: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** PIDs of running processes whose command line contains every needle. */
export function processesMatching(...needles: string[]): number[] {
  const out = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((line) => needles.every((n) => line.includes(n)) && !line.includes('ps -eo'))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => pid !== process.pid);
}

/** host:port of every TCP socket the process listens on. */
export function listeningAddresses(pid: number): string[] {
  const out = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => line.trim().split(/\s+/)[3]!);
}

/**
 * Start the CLI, wait until a node of its run is up (a process with `reports` and `--dev` in its
 * command line), then send it SIGINT. Resolves with the exit code and everything it printed.
 */
export async function interruptOnceNodeRuns(args: string[], reports: string, settleMs = 0): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 120_000;
  while (processesMatching(reports, '--dev').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (processesMatching(reports, '--dev').length === 0) {
    child.kill('SIGKILL');
    throw new Error(`no node started: ${output}`);
  }
  await new Promise((r) => setTimeout(r, settleMs));
  child.kill('SIGINT');
  return { code: await exited, output };
}

/** A workload's live counters without the histogram and per-node map progress() also carries. */
export function counters(p: { sent: number; accepted: number; failed: number }): { sent: number; accepted: number; failed: number } {
  return { sent: p.sent, accepted: p.accepted, failed: p.failed };
}

/** Whether a process (or, with a negative pid, a process group) still exists: signal 0 checks without touching it. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Run `fn` with some environment variables replaced (undefined = unset), restoring them afterwards. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}
