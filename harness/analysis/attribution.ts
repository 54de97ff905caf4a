/**
 * Attribution: can the heap profiles show what made the post-GC floor rise? A leak call needs sites a
 * reviewer can open. The floor (HeapAlloc after a forced GC) is exact but says nothing about where;
 * the forced-GC heap profile taken at each cycle says where, at the resolution of its sampling.
 *
 * Each allocation stack is given to a site: the nearest frame of the node's own code or a library
 * (the standard library and runtime are never a site). A site grows when its inuse_space over the tail
 * cycles rises by least squares with the slope's 95% interval above zero — a leak's sampled objects stay
 * sampled, so its series climbs cycle after cycle, while a churning structure's re-sampled level
 * wanders — and by at least MIN_SAMPLES samples' worth of bytes (one sample appearing half-way through
 * is a step, not a trend). Growth inside structures bounded by construction (a DB memtable flushed at
 * its write-buffer size, block caches, LRUs) is listed apart: it fills and empties, it does not leak; so
 * is growth with no frame of the node at all (it follows the clients, like net/http's connection buffers).
 */
import { sampleStack, sampleTypeIndex, type Profile } from './profile.ts';
import { isStdlib, libraryRole } from './patterns/frames.ts';
import { fitLine } from './trend.ts';
import type { Attribution, GrowthSite } from '../result/types.ts';

export type { Attribution, GrowthSite } from '../result/types.ts';

/** A site's growth has to amount to this many heap profile samples (rate bytes each) to count. */
export const MIN_SAMPLES = 4;
/**
 * Quantile of the site slope test (0.975: a 95% interval). Not stricter: a map leak grows in steps (its
 * bucket array doubles), which a 99% interval over a few cycles misses; MIN_SAMPLES already keeps a
 * single new sample, the usual chance 'growth' of one of a profile's hundreds of sites, from counting.
 */
const SITE_QUANTILE = 0.975;

/** Frame prefixes of bounded structures, each with what it is ("goleveldb memtable (…)"). */
export type BoundedFrames = ReadonlyArray<readonly [prefix: string, what: string]>;

/**
 * Frames of structures bounded by construction in the libraries nodes share (a node's own, such as
 * CometBFT's mempool and block-store caches, come from its flavor: NodeFlavor.boundedFrames), by package
 * path prefix or function prefix. Growth whose
 * stack passes through one is a buffer filling to its bound (a memtable before its flush, a cache to its
 * size), so it is never taken as a leak's evidence.
 */
const BOUNDED: BoundedFrames = [
  // Writes into the memtable, not iterators over it (an iterator never released is a leak's frame).
  ['github.com/syndtr/goleveldb/leveldb/memdb.(*DB).Put', 'goleveldb memtable (flushed at its write buffer size)'],
  ['github.com/syndtr/goleveldb/leveldb/memdb.New', 'goleveldb memtable (flushed at its write buffer size)'],
  ['github.com/syndtr/goleveldb/leveldb/cache.', 'goleveldb block cache'],
  ['github.com/syndtr/goleveldb/leveldb/util.(*BufferPool)', 'goleveldb buffer pool'],
  ['github.com/cockroachdb/pebble/internal/arenaskl.', 'pebble memtable arena'],
  // Memtables rotate, each allocated whole (internal/manual.New), up to MemTableSize × the stop-writes threshold.
  ['github.com/cockroachdb/pebble.(*DB).newMemTable', 'pebble memtable (rotated at MemTableSize)'],
  ['github.com/cockroachdb/pebble/v2.(*DB).newMemTable', 'pebble memtable (rotated at MemTableSize)'],
  ['github.com/cockroachdb/pebble/internal/cache.', 'pebble block cache'],
  ['github.com/cockroachdb/pebble/v2/internal/arenaskl.', 'pebble memtable arena'],
  ['github.com/cockroachdb/pebble/v2/internal/cache.', 'pebble block cache'],
];

export interface TailProfile {
  cycle: number;
  profile: Profile;
}

/** Attribute the growth across `tail` (profiles in cycle order; at least 3); `own`: the node's bounded structures. */
export function attributeGrowth(tail: readonly TailProfile[], own: BoundedFrames = []): Attribution {
  if (tail.length < 3) throw new Error(`attribution needs at least 3 profiles, got ${tail.length}`);
  const rate = tail[tail.length - 1]!.profile.period;
  const series = new Map<string, { fn: string; values: number[]; best: Map<string, { stack: string[]; first: number; last: number }>; bounded?: string }>();
  tail.forEach(({ profile }, i) => {
    const space = sampleTypeIndex(profile, 'inuse_space');
    for (const sample of profile.samples) {
      const bytes = sample.values[space]!;
      if (!bytes) continue;
      const stack = sampleStack(profile, sample);
      // A site's stacks through a bounded structure and its other stacks are two series: only the latter is evidence.
      const bounded = boundedBy(stack, own);
      const key = bounded ? `${siteOf(stack)}\n${bounded}` : siteOf(stack);
      let entry = series.get(key);
      if (!entry) series.set(key, (entry = { fn: siteOf(stack), values: new Array<number>(tail.length).fill(0), best: new Map(), ...(bounded ? { bounded } : {}) }));
      entry.values[i]! += bytes;
      if (i === 0 || i === tail.length - 1) {
        const stackKey = stack.join('\n');
        const s = entry.best.get(stackKey) ?? { stack, first: 0, last: 0 };
        if (i === 0) s.first += bytes;
        else s.last += bytes;
        entry.best.set(stackKey, s);
      }
    }
  });
  const cycles = tail.map((t) => t.cycle);
  const span = cycles[cycles.length - 1]! - cycles[0]!;
  const resolution = MIN_SAMPLES * rate;
  const grown: GrowthSite[] = [];
  let profileGrowth = 0;
  for (const entry of series.values()) {
    const growth = entry.values[entry.values.length - 1]! - entry.values[0]!;
    profileGrowth += growth;
    if (growth < resolution) continue;
    const fit = fitLine(cycles, entry.values, SITE_QUANTILE);
    if (!(fit.ci[0] > 0) || fit.slope * span < resolution) continue;
    const best = [...entry.best.values()].sort((a, b) => b.last - b.first - (a.last - a.first))[0];
    grown.push({ function: entry.fn, growth, slopePerCycle: fit.slope, slopeCI: fit.ci, stack: best?.stack ?? [], ...(entry.bounded ? { bounded: entry.bounded } : {}) });
  }
  grown.sort((a, b) => b.growth - a.growth);
  const sites = grown.filter((s) => !s.bounded);
  return {
    fromCycle: cycles[0]!,
    toCycle: cycles[cycles.length - 1]!,
    rate,
    profileGrowth,
    sites,
    bounded: grown.filter((s) => s.bounded),
    attributed: sites.reduce((a, s) => a + s.growth, 0),
    resolution,
  };
}

/** The nearest frame that is not the standard library (leaf first); the leaf when all of it is. */
export function siteOf(stack: readonly string[]): string {
  return stack.find((f) => !isStdlib(f)) ?? stack[0] ?? '<unknown>';
}

function boundedBy(stack: readonly string[], own: BoundedFrames): string | undefined {
  // No frame of the node at all (net/http's per-connection buffers, runtime structures): how much there is
  // follows the clients connected at the snapshot, not the node's code; it is nobody's leak to name.
  if (stack.every(isStdlib)) return 'standard library only, no frame of the node (per-connection buffers follow the clients)';
  for (const frame of stack) {
    const known = BOUNDED.find(([prefix]) => frame.startsWith(prefix)) ?? own.find(([prefix]) => frame.startsWith(prefix));
    if (known) return known[1];
    if (libraryRole(frame) === 'cache') return `bounded cache (${frame.replace(/\.[^./]*$/, '')})`;
  }
  return undefined;
}
