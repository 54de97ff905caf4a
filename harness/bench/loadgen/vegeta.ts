/**
 * vegeta (github.com/tsenart/vegeta/v12, MIT), the constant-rate HTTP load generator written in Go: built
 * like a node, `go install` into chainsoak's binary cache, once per version.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { GoBuildRecipe } from '../../nodes/flavor.ts';
import { ensureBinary } from '../../nodes/install.ts';
import { answerFailed, sendingMs, type GeneratorResult, type GeneratorRun, type LoadGenerator } from './generator.ts';

const execFileAsync = promisify(execFile);

export const VEGETA_VERSION = 'v12.13.0';

const vegetaBuild: GoBuildRecipe = { module: 'github.com/tsenart/vegeta/v12', cmdPath: '', binary: 'vegeta' };

/** The vegeta binary: <cache>/nodes/vegeta/<version>/vegeta, built on first use (about a minute cold). */
export function ensureVegeta(onProgress?: (line: string) => void): Promise<string> {
  return ensureBinary('vegeta', vegetaBuild, VEGETA_VERSION, onProgress ? { onProgress } : {});
}

/** vegeta's JSON target format, one line per body: every request a POST of one body to `url`. */
export function vegetaTargets(bodies: readonly string[], url: string): string {
  const header = { 'Content-Type': ['application/json'] };
  return bodies.map((body) => JSON.stringify({ method: 'POST', url, body: Buffer.from(body).toString('base64'), header })).join('\n') + '\n';
}

interface VegetaResult {
  code: number;
  timestamp: string;
  /** Nanoseconds. */
  latency: number;
  error: string;
  /** Base64. */
  body: string;
}

/** Counts of `vegeta encode --to json` lines: ok is a 2xx answer with no JSON-RPC error. */
export function vegetaCounts(jsonLines: string): GeneratorResult {
  let ok = 0;
  let errors = 0;
  let first = Infinity;
  let last = -Infinity;
  let errorSample: string | undefined;
  for (const line of jsonLines.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as VegetaResult;
    const body = Buffer.from(r.body ?? '', 'base64').toString('utf8');
    const t = Date.parse(r.timestamp);
    first = Math.min(first, t);
    last = Math.max(last, t + r.latency / 1e6);
    if (r.code >= 200 && r.code < 300 && !r.error && !answerFailed(body)) ok++;
    else {
      errors++;
      errorSample ??= (r.error || body || `HTTP ${r.code}`).slice(0, 160);
    }
  }
  const requests = ok + errors;
  return { requests, ok, errors, windowMs: requests ? last - first : 0, ...(errorSample ? { errorSample } : {}) };
}

/**
 * `threads`: GOMAXPROCS, the OS threads running Go code at once (Go's default: one per core).
 * vegeta attack at a constant rate over the run's targets (it cycles through them until the duration
 * ends: sendingMs keeps it to each body once); its results decoded after it ended (not measured). */
export function vegeta(binary: string, threads?: number): LoadGenerator {
  const targets = (run: GeneratorRun) => path.join(run.dir, 'vegeta-targets.json');
  const results = (run: GeneratorRun) => path.join(run.dir, 'vegeta-results.bin');
  return {
    name: 'vegeta',
    async prepare(run) {
      const bodies = (await readFile(run.bodiesFile, 'utf8')).split('\n').filter(Boolean);
      await writeFile(targets(run), vegetaTargets(bodies, run.url));
    },
    command: (run) => ({
      file: binary,
      args: [
        'attack', '-format', 'json', '-targets', targets(run), '-rate', `${run.rate}/1s`, '-duration', `${sendingMs(run)}ms`,
        '-timeout', '10s', '-max-connections', String(run.connections), '-output', results(run),
      ],
      ...(threads ? { env: { GOMAXPROCS: String(threads) } } : {}),
    }),
    async result(_stdout, run) {
      const { stdout } = await execFileAsync(binary, ['encode', '--to', 'json', results(run)], { maxBuffer: 1 << 30 });
      return vegetaCounts(stdout);
    },
  };
}
