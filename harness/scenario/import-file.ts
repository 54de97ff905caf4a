/**
 * Importing a user's TypeScript file (a scenario, or a workload next to it) the one way: through tsx
 * wherever it lives, with this process's chainsoak shared to its `import 'chainsoak'`, its top-level
 * code bounded in time (CHAINSOAK_LOAD_TIMEOUT), and a load failure as one usage line naming the file.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { UsageError } from '../errors.ts';
import { shareApi } from '../library/share.ts';
import { formatDuration, MAX_WAIT_MS, parseDuration } from './units.ts';

export interface LoadOptions {
  /** Stop waiting for the file's top-level code (Ctrl-C): rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The module's exports (a CommonJS-compiled file's `export default` unwrapped); `label` names the file in errors. */
export async function importUserFile(file: string, label: string, options: LoadOptions = {}): Promise<{ default?: unknown }> {
  await shareApi(); // the file's own `import 'chainsoak'` gets this instance
  try {
    // tsImport loads the file wherever it lives, even outside a "type": "module" package (as CommonJS there).
    const loading = tsImport(pathToFileURL(path.resolve(file)).href, import.meta.url) as Promise<{ default?: unknown }>;
    return unwrapDefault(await withinLoadBound(loading, label, options.signal));
  } catch (error) {
    if (error instanceof UsageError || options.signal?.aborted) throw error;
    // esbuild says "Transform failed with 1 error:" first and the useful "file:line:col: ERROR: ..." next.
    const lines = String(error instanceof Error ? error.message : error).split('\n').filter((l) => l.trim());
    const line = lines.find((l) => /ERROR:/.test(l)) ?? lines[0] ?? 'unknown error';
    throw new UsageError(`${label}: cannot load: ${line.replace(/^.*?:(\d+:\d+): ERROR: /, 'line $1: ')}`);
  }
}

/**
 * A file's top-level code may await something that never settles (a promise nobody resolves): then
 * nothing would keep the process alive, and it would end with exit 0 having run nothing. The wait is
 * bounded (CHAINSOAK_LOAD_TIMEOUT, default 30s) and becomes a usage error naming the file.
 */
async function withinLoadBound<T>(loading: Promise<T>, label: string, signal?: AbortSignal): Promise<T> {
  const boundMs = loadBoundMs();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UsageError(`${label}: did not finish loading within ${formatDuration(boundMs)} (top-level code that never settles?; CHAINSOAK_LOAD_TIMEOUT changes the bound)`)), boundMs);
    onAbort = () => reject(signal!.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([loading, bound]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

const DEFAULT_LOAD_BOUND_MS = 30_000;

function loadBoundMs(): number {
  const text = process.env.CHAINSOAK_LOAD_TIMEOUT;
  if (text === undefined || text === '') return DEFAULT_LOAD_BOUND_MS;
  const ms = parseDuration(/^\d+$/.test(text) ? Number(text) : text);
  if (ms === undefined || ms <= 0 || ms > MAX_WAIT_MS) throw new UsageError(`CHAINSOAK_LOAD_TIMEOUT=${text}: expected a duration such as '30s'`);
  return ms;
}

/** A file compiled as CommonJS shows its `export default` as `default.default`. */
function unwrapDefault(module: { default?: unknown }): { default?: unknown } {
  const inner = module.default as { default?: unknown; __esModule?: boolean } | undefined;
  return inner && typeof inner === 'object' && 'default' in inner && Object.keys(inner).every((k) => k === 'default' || k === '__esModule') ? inner : module;
}

/** `file` as errors name it: relative to the working directory when below it. */
export function fileLabel(file: string): string {
  const relative = path.relative(process.cwd(), path.resolve(file));
  return relative.startsWith('..') ? path.resolve(file) : relative;
}
