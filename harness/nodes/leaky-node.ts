/**
 * leaky-node: the Go program in test/fixtures/leaky-node, a tiny HTTP "node" that leaks on purpose by a
 * configured amount per operation (parked goroutines, a map never pruned, timers, log lines, decoder
 * buffers, goleveldb iterators, mmapped memory outside the heap, and subscription goroutines that each
 * hold the buffer they allocated: a goroutine leak and a heap leak that are one leak). It is the ground truth chainsoak's leak
 * detection is tested against. It is built from its source in this checkout and versioned by a hash of
 * that source; the fixture-ops workload drives it.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import { fetchBytes } from '../probes/http.ts';
import { parseSize } from '../scenario/units.ts';
import type { GoBuildRecipe, NodeFlavor } from './flavor.ts';
import { ensureBinary, sourceVersion } from './install.ts';

export const LEAKY_NODE_DIR = fileURLToPath(new URL('../../test/fixtures/leaky-node', import.meta.url));

/** Each pattern's largest amount per operation, as the Go program checks it (goroutines, else bytes). */
const MAX_AMOUNT = { goroutine: 10_000, 'orphan-goroutine': 10_000, map: 2 ** 26, timers: 2 ** 26, logging: 2 ** 20, decoder: 2 ** 20, iterator: 2 ** 26, offheap: 2 ** 26, subscription: 2 ** 20 } as const;
export type LeakPattern = keyof typeof MAX_AMOUNT;
export const LEAK_PATTERNS = Object.keys(MAX_AMOUNT) as LeakPattern[];

/**
 * Patterns counted in goroutines: `goroutine` parks them on a package-level channel (reachable, so the
 * goroutine leak profile cannot prove them leaked), `orphan-goroutine` on a channel only each one holds
 * (the profile proves it).
 */
const isGoroutinePattern = (p: LeakPattern) => p === 'goroutine' || p === 'orphan-goroutine';

/**
 * Amounts per operation: a count of goroutines for the goroutine patterns, bytes for the others (a number
 * or a size such as '4KB'). Fractions are kept: goroutine 0.1 is one goroutine every 10 operations.
 */
const leaksSchema = z.partialRecord(z.enum(LEAK_PATTERNS as [LeakPattern, ...LeakPattern[]]), z.union([z.number(), z.string()])).transform((leaks, ctx) => {
  const out: Partial<Record<LeakPattern, number>> = {};
  for (const pattern of LEAK_PATTERNS) {
    const raw = leaks[pattern];
    if (raw === undefined) continue;
    const plain = typeof raw === 'number' ? raw : /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : undefined;
    const value = plain ?? (isGoroutinePattern(pattern) ? undefined : parseSize(raw));
    if (value === undefined || !Number.isFinite(value) || value < 0 || value > MAX_AMOUNT[pattern]) {
      const unit = isGoroutinePattern(pattern) ? 'goroutines' : 'bytes (or a size like 4KB)';
      ctx.addIssue({ code: 'custom', path: [pattern], message: `expected 0 to ${MAX_AMOUNT[pattern]} ${unit} per operation, got ${JSON.stringify(raw)}` });
      continue;
    }
    out[pattern] = value;
  }
  return out;
});

const entryBytes = z.union([z.number().int(), z.string()]).transform((raw, ctx) => {
  const value = parseSize(raw);
  if (value === undefined || !Number.isInteger(value) || value > 2 ** 26) {
    ctx.addIssue({ code: 'custom', message: `expected 0 to 64MB, got ${JSON.stringify(raw)}` });
    return z.NEVER;
  }
  return value;
});

const leakyNodeOptions = z.strictObject({
  /** Leaks switched on, amount per operation. Not given: the binary's own (none, or what buildLeakyNode baked in). */
  leaks: leaksSchema.optional(),
  /** Entries of the bounded LRU cache filled one per operation (the "cache, not a leak" control). */
  cacheEntries: z.number().int().min(0).max(10_000_000).optional(),
  /** Bytes per cache entry (default 1024). */
  cacheEntryBytes: entryBytes.optional(),
});

export type LeakyNodeOptions = z.input<typeof leakyNodeOptions>;

/** `--leak` text, patterns in a fixed order: `goroutine=0.1,map=4096` (empty for no leak). */
export function leakSpec(leaks: Partial<Record<LeakPattern, number>>): string {
  return LEAK_PATTERNS.filter((p) => leaks[p] !== undefined)
    .map((p) => `${p}=${leaks[p]}`)
    .join(',');
}

const recipe: GoBuildRecipe = { module: 'chainsoak.test/leaky-node', cmdPath: '.', binary: 'leaky-node', localDir: LEAKY_NODE_DIR };

let currentVersion: string | undefined;

export const leakyNode: NodeFlavor = {
  name: 'leaky-node',
  /** `src-<hash of the source>`, read once per process (only when asked for: the flavor list stays cheap). */
  get defaultVersion(): string {
    return (currentVersion ??= sourceVersion(LEAKY_NODE_DIR));
  },
  build: recipe,
  portNames: ['http'],
  optionsSchema: leakyNodeOptions,

  async prepare({ site, options }) {
    const o = leakyNodeOptions.parse(options);
    const addr = site.listen('http');
    const args = ['--addr', addr];
    // The fixture refuses anything but loopback unless told: a site that binds 0.0.0.0 is a container's own namespace.
    if (addr.startsWith('0.0.0.0:')) args.push('--allow-unspecified');
    // An explicit `leaks` (even {}) overrides the leaks a buildLeakyNode binary has baked in.
    if (o.leaks) args.push('--leak', leakSpec(o.leaks));
    if (o.cacheEntries !== undefined) args.push('--cache-entries', String(o.cacheEntries));
    if (o.cacheEntryBytes !== undefined) args.push('--cache-entry-bytes', String(o.cacheEntryBytes));
    // `ops` marks the node as a fixture-ops target.
    return {
      args,
      endpoints: { pprof: { port: 'http', scheme: 'http' }, http: { port: 'http', scheme: 'http' }, ops: { port: 'http', scheme: 'http', path: '/op' } },
    };
  },

  async isReady(endpoints, signal) {
    try {
      await fetchBytes(`${endpoints.http}/healthz`, 2000, signal);
      return true;
    } catch {
      return false;
    }
  },

  /** Operations done and units leaked so far (`leaked.map` bytes, `leaked.goroutine` goroutines...): growth per operation. */
  async readChainStats(endpoints, signal) {
    const state = JSON.parse((await fetchBytes(`${endpoints.http}/leaks`, 5000, signal)).toString('utf8')) as { ops: number; leaked: Record<string, { units: number }> };
    const stats: Record<string, number> = { ops: state.ops };
    for (const [pattern, { units }] of Object.entries(state.leaked)) stats[`leaked.${pattern}`] = units;
    return stats;
  },
};

/**
 * A leaky-node binary with `leaks` switched on without any flag (-ldflags -X main.defaultLeaks), cached
 * like any build as `src-<hash>-leaks-<leaks>`: the "candidate with a regression" of release-gating tests,
 * run as `leaky-node@<returned path>`.
 */
export async function buildLeakyNode(opts: { leaks?: Record<string, number | string>; signal?: AbortSignal; onProgress?: (line: string) => void } = {}): Promise<string> {
  const parsed = leaksSchema.safeParse(opts.leaks ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`buildLeakyNode: leaks${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
  }
  const spec = leakSpec(parsed.data);
  const base = sourceVersion(LEAKY_NODE_DIR);
  const build = spec ? { ...recipe, ldflags: () => `-X main.defaultLeaks=${spec}` } : recipe;
  const version = spec ? `${base}-leaks-${spec.replaceAll('=', '-').replaceAll(',', '_')}` : base;
  return ensureBinary(leakyNode.name, build, version, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
}
