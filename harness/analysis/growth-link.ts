/**
 * Heap growth and goroutine growth, linked: when both grow, is the heap held by the growing goroutines?
 * If so the report names one leak (the goroutines, and their creator as the culprit), not two.
 *
 * A heap sample's stack is the stack of the goroutine that allocated, from that goroutine's start
 * function down to the allocation. So an allocation made by one of the growing goroutines has a stack
 * that starts like theirs: the same root frames, through the node's own code, until the two diverge
 * (the goroutine went on to park, the allocation returned into its frames). A heap stack is linked to a
 * growing goroutine stack when their common root-side prefix holds a frame of the node's own code (not
 * the runtime, standard library or a known library: patterns/frames.ts isOwn) — 'stack'. A shared
 * standard-library frame (net/http.(*conn).serve) is no link: every connection goroutine has it. Failing
 * that, a heap stack whose nearest own frame is the goroutines' creator (the function whose `go`
 * statement started them) is linked — 'creator': what a function allocates and then starts a goroutine
 * with is usually what that goroutine holds.
 *
 * Memory a goroutine holds that no heap profile shows: its stack (StackInuse, at least 2 KiB each) and
 * its g struct (heap, but allocated on the system stack with no frame of the node's: runtime.newproc1).
 * Both are reported beside the links, never as a heap site.
 *
 * Noise: the same thresholds as the leak patterns (patterns.ts PATTERN_THRESHOLDS): a heap link or site
 * must grow by minBytes (and minHeapFraction of the heap) and by noiseZ standard deviations of its
 * sampling noise, goroutines by minGoroutines.
 */
import { formatBytes } from '../scenario/units.ts';
import { creatorFromClosure, creatorOf, goroutineCreators } from './goroutine-dump.ts';
import { PATTERN_THRESHOLDS, type PatternThresholds } from './patterns.ts';
import { isOwn, isRuntime } from './patterns/frames.ts';
import { classifyGoroutineStack, classifyHeapStack } from './patterns/signatures.ts';
import { goroutineStackDeltas, heapStackDeltas, type StackDelta } from './patterns/stacks.ts';
import { sampleTotal, type Profile } from './profile.ts';
import type { GrowingGoroutines, GrowthLink, GrowthLinks, HeapSite } from '../result/types.ts';

export type { GrowingGoroutines, GrowthLink, GrowthLinks, HeapSite } from '../result/types.ts';

/** A goroutine's smallest stack (the runtime's stackMin): StackInuse grows by at least this per goroutine. */
export const GOROUTINE_STACK_MIN = 2048;

export interface GrowthLinkInput {
  heapBefore: Profile;
  heapAfter: Profile;
  goroutineBefore: Profile;
  goroutineAfter: Profile;
  /** The scenario's goroutineIgnore: goroutine stacks with a matching frame are left out (as in diffGoroutines). */
  goroutineIgnore?: ReadonlyArray<string | RegExp>;
  /** The after snapshot's goroutine dump (goroutine?debug=2): the only source of a named function's creator. */
  goroutineDump?: string;
  /** runtime.MemStats StackInuse at both snapshots, where the goroutines' stacks are. */
  stackInuse?: { before: number; after: number };
  thresholds?: Partial<PatternThresholds>;
}


interface Kind {
  g: GrowingGoroutines;
  /** Its growing goroutine stacks, root first. */
  roots: string[][];
  /** The heap stacks linked to it, and their net growth. */
  heap: StackDelta[];
  net: number;
  variance: number;
  best?: { d: StackDelta; shared: string[]; via: 'stack' | 'creator' };
}

export function linkGrowth(input: GrowthLinkInput): GrowthLinks {
  const t: PatternThresholds = { ...PATTERN_THRESHOLDS, ...input.thresholds };
  const minBytes = Math.max(t.minBytes, t.minHeapFraction * sampleTotal(input.heapAfter, 'inuse_space'));
  const kinds = growingGoroutines(input, t);

  const unlinked: StackDelta[] = [];
  let goroutineStructs = 0;
  for (const d of heapStackDeltas(input.heapBefore, input.heapAfter)) {
    const c = classifyHeapStack(d.stack);
    if (c.kind === 'goroutine-creation') {
      goroutineStructs += d.delta;
      continue;
    }
    const match = bestKind(kinds, d.stack, c.suspect);
    if (!match) {
      unlinked.push(d);
      continue;
    }
    const k = match.kind;
    k.heap.push(d);
    k.net += d.delta;
    k.variance += d.variance;
    if (d.delta > 0 && (!k.best || d.delta > k.best.d.delta)) k.best = { d, shared: match.shared, via: match.via };
  }

  const linked: GrowthLink[] = [];
  const unlinkedGoroutines: GrowingGoroutines[] = [];
  for (const k of kinds) {
    if (k.best && significant(k.net, k.variance, minBytes, t)) {
      const heap = site(k.best.d, k.net, k.variance);
      linked.push({ goroutines: k.g, heap, sharedFrames: k.best.shared, via: k.best.via, message: linkMessage(k.g, heap, k.best.via) });
    } else {
      unlinked.push(...k.heap); // too little to be a leak of its own: back with the rest
      unlinkedGoroutines.push(k.g);
    }
  }
  linked.sort((a, b) => b.heap.bytes - a.heap.bytes);
  const unlinkedHeap = heapSites(unlinked, minBytes, t);
  const stackInuseGrowth = input.stackInuse ? input.stackInuse.after - input.stackInuse.before : undefined;
  const result: GrowthLinks = { linked, unlinkedHeap, unlinkedGoroutines, goroutineStructs: Math.round(goroutineStructs), message: '' };
  if (stackInuseGrowth !== undefined) result.stackInuseGrowth = stackInuseGrowth;
  result.message = summary(result);
  return result;
}

/** Goroutine growth per suspect (as patterns.ts nets it), the runtime's own goroutines left out. */
function growingGoroutines(input: GrowthLinkInput, t: PatternThresholds): Kind[] {
  const creators = input.goroutineDump ? goroutineCreators(input.goroutineDump) : undefined;
  const bySuspect = new Map<string, { deltas: StackDelta[]; net: number }>();
  for (const d of goroutineStackDeltas(input.goroutineBefore, input.goroutineAfter, input.goroutineIgnore)) {
    const c = classifyGoroutineStack(d.stack);
    if (c.kind === 'runtime') continue;
    const group = bySuspect.get(c.suspect) ?? { deltas: [], net: 0 };
    group.deltas.push(d);
    group.net += d.delta;
    bySuspect.set(c.suspect, group);
  }
  const kinds: Kind[] = [];
  for (const [suspect, { deltas, net }] of bySuspect) {
    if (net < t.minGoroutines) continue;
    const growing = deltas.filter((d) => d.delta > 0).sort((a, b) => b.delta - a.delta);
    const best = growing[0]!;
    const entry = entryOf(best.stack);
    const g: GrowingGoroutines = { entry, function: suspect, count: net, stack: best.stack, stackBytes: net * GOROUTINE_STACK_MIN };
    const fromDump = creators && creatorOf(creators, best.stack);
    const fromClosure = creatorFromClosure(entry);
    if (fromDump) Object.assign(g, { creator: fromDump, creatorFrom: 'dump' });
    else if (fromClosure) Object.assign(g, { creator: fromClosure, creatorFrom: 'closure' });
    const blockedIn = classifyGoroutineStack(best.stack).blockedIn;
    if (blockedIn) g.blockedIn = blockedIn;
    // Only the growing stacks link: a stack that shrank is goroutines that went away.
    kinds.push({ g, roots: growing.map((d) => rootward(d.stack)), heap: [], net: 0, variance: 0 });
  }
  return kinds.sort((a, b) => b.g.count - a.g.count || (a.g.function < b.g.function ? -1 : 1));
}

/**
 * The growing goroutines a heap stack belongs to: the longest common root path through an own frame,
 * else the kind whose creator is the heap stack's suspect.
 */
function bestKind(kinds: Kind[], heapStack: readonly string[], suspect: string): { kind: Kind; shared: string[]; via: 'stack' | 'creator' } | undefined {
  const heapRoot = rootward(heapStack);
  let best: { kind: Kind; shared: string[]; via: 'stack' | 'creator'; depth: number } | undefined;
  for (const kind of kinds) {
    for (const root of kind.roots) {
      let depth = 0;
      while (depth < heapRoot.length && depth < root.length && heapRoot[depth] === root[depth]) depth++;
      if (depth === 0 || (best && depth <= best.depth)) continue;
      const shared = heapRoot.slice(0, depth).filter(isOwn).reverse();
      if (shared.length > 0) best = { kind, shared, via: 'stack', depth };
    }
  }
  if (best) return best;
  const byCreator = kinds.find((k) => k.g.creator !== undefined && k.g.creator === suspect && isOwn(suspect));
  return byCreator ? { kind: byCreator, shared: [suspect], via: 'creator' } : undefined;
}

/** Frames root first, without the runtime.goexit some profilers keep at the root. */
function rootward(stack: readonly string[]): string[] {
  const out = [...stack].reverse();
  while (out[0] === 'runtime.goexit') out.shift();
  return out;
}

function entryOf(stack: readonly string[]): string {
  return rootward(stack)[0] ?? '<unknown>';
}

function significant(net: number, variance: number, minBytes: number, t: PatternThresholds): boolean {
  return net >= minBytes && net >= t.noiseZ * Math.sqrt(variance);
}

function site(d: StackDelta, net: number, variance: number): HeapSite {
  return {
    function: classifyHeapStack(d.stack).suspect,
    allocatedIn: d.stack.find((f) => !isRuntime(f)) ?? d.stack[0] ?? '<unknown>',
    bytes: Math.round(net),
    noise: Math.round(Math.sqrt(variance)),
    stack: d.stack,
  };
}

/** Unlinked heap stacks netted per suspect; the significant ones. */
function heapSites(deltas: StackDelta[], minBytes: number, t: PatternThresholds): HeapSite[] {
  const groups = new Map<string, { net: number; variance: number; best?: StackDelta }>();
  for (const d of deltas) {
    const suspect = classifyHeapStack(d.stack).suspect;
    const g = groups.get(suspect) ?? { net: 0, variance: 0 };
    g.net += d.delta;
    g.variance += d.variance;
    if (d.delta > 0 && (!g.best || d.delta > g.best.delta)) g.best = d;
    groups.set(suspect, g);
  }
  return [...groups.values()]
    .filter((g) => g.best && significant(g.net, g.variance, minBytes, t))
    .map((g) => site(g.best!, g.net, g.variance))
    .sort((a, b) => b.bytes - a.bytes || (a.function < b.function ? -1 : 1));
}

const count = (n: number) => n.toLocaleString('en-US');

function describeGoroutines(g: GrowingGoroutines): string {
  const where = g.entry === g.function ? g.function : `${g.entry} … ${g.function}`;
  return `${count(g.count)} goroutines ${g.creator ? `created by ${g.creator} ` : ''}in ${where}${g.blockedIn ? ` (${g.blockedIn})` : ''}`;
}

function describeHeap(h: HeapSite): string {
  return h.allocatedIn === h.function ? h.function : `${h.function} → ${h.allocatedIn}`;
}

function linkMessage(g: GrowingGoroutines, h: HeapSite, via: 'stack' | 'creator'): string {
  const under = via === 'creator' ? `allocated by their creator ${describeHeap(h)}` : `allocated under ${describeHeap(h)}`;
  return `one leak: ${describeGoroutines(g)} hold ${formatBytes(h.bytes)} ${under}, plus ≥ ${formatBytes(g.stackBytes).slice(1)} of goroutine stacks (StackInuse, not in the heap profile)`;
}

/** Up to three, then how many more. */
function list(items: string[]): string {
  return items.length <= 3 ? items.join('; ') : `${items.slice(0, 3).join('; ')}; and ${items.length - 3} more`;
}

function summary(r: GrowthLinks): string {
  const heap = list(r.unlinkedHeap.map((h) => `${formatBytes(h.bytes)} under ${describeHeap(h)}`));
  const stacks = r.unlinkedGoroutines.reduce((sum, g) => sum + g.stackBytes, 0);
  // Goroutines holding no heap still hold their stacks: say where that memory is, since no heap profile shows it.
  const goroutines = `${list(r.unlinkedGoroutines.map(describeGoroutines))}, holding no heap growth of their own above the noise: their memory is ≥ ${formatBytes(stacks).slice(1)} of stacks (StackInuse, not in the heap profile)`;
  const parts = r.linked.map((l) => l.message);
  const [h, g] = [r.unlinkedHeap.length > 0, r.unlinkedGoroutines.length > 0];
  if (parts.length > 0) {
    if (h) parts.push(`not held by growing goroutines: ${heap}`);
    if (g) parts.push(goroutines);
  } else if (h && g) parts.push(`not linked, no frame of the node's in common: ${heap}; and ${goroutines}`);
  else if (h) parts.push(`nothing to link, only the heap grew: ${heap}`);
  else if (g) parts.push(`nothing to link, only goroutines grew: ${goroutines}`);
  else return 'no heap or goroutine growth to link';
  if (r.stackInuseGrowth !== undefined && (r.linked.length > 0 || g)) parts.push(`StackInuse ${formatBytes(r.stackInuseGrowth)}`);
  if (r.goroutineStructs >= 64 * 1024 && (r.linked.length > 0 || g)) parts.push(`their g structs add ${formatBytes(r.goroutineStructs)} of heap (runtime.newproc1)`);
  return parts.join('; ');
}

/** Worth a line in a report: a link (one leak), or heap and goroutines both growing unlinked (two). */
export function linksWorthSaying(links: GrowthLinks): boolean {
  return links.linked.length > 0 || (links.unlinkedHeap.length > 0 && links.unlinkedGoroutines.length > 0);
}
