/**
 * Leak patterns (../shared/reference/README.md): the growth signature in a diff and its usual cause.
 *
 * classifyGrowth diffs the heap (inuse_space) and goroutine profiles per full stack, matches each stack
 * that changed against the signatures (patterns/signatures.ts), nets the growth per pattern and suspect
 * function (shrinking stacks count, as in pprof's cum), drops what is noise (PATTERN_THRESHOLDS), and
 * returns one finding per pattern with its suspects, most growth first.
 *
 * The suspect of a stack is its nearest frame of the node's own code: not the standard library, not a
 * known library (database engines and their wrappers, loggers, codecs, transports, event buses:
 * patterns/frames.ts). Heap rules, first match wins, on the frames below the suspect:
 *
 *   runtime.newproc1 on the stack (g struct)          → goroutine-parked's heapBytes
 *   outermost library frame is a database's, named
 *     *iter*|*snapshot* and not through a cache package → unclosed-iterators
 *   … any other database or event-bus frame           → library-internal
 *   outermost library frame is a logger's              → log-formatting
 *   outermost library frame is a codec's decode        → decoder-buffers (an encode: library-internal)
 *   … a transport's, a bounded cache's (LRU libraries) → library-internal
 *   no own frame at all (the standard library's own)   → unclassified
 *   context.*, time.NewTimer/AfterFunc/NewTicker/…     → timers-contexts
 *   fmt.*, log.*, log/slog.*                           → log-formatting
 *   bytes.Buffer/growSlice, io.ReadAll, bufio, encoding/*, sync.(*Pool).Get → decoder-buffers
 *   runtime.mapassign*, internal/runtime/maps, sync.Map, maps.* → map-never-pruned (confidence high)
 *   allocated in the suspect itself (make/new/append/map insert; runtime frames are hidden) → own-allocation
 *   anything else                                      → unclassified
 *
 * own-allocation, library-internal and unclassified stacks join the pattern their suspect shows with
 * explicit frames (the values a leaking function keeps next to its iterators are the same leak), else a
 * goroutine-parked suspect's heapBytes; left alone, own-allocation is map-never-pruned (confidence low)
 * and library-internal is unclassified. What suspects claim at one allocating function is capped by its
 * net growth (leafCeiling): churn of pooled or shared structures between callers does not add up.
 * Goroutines: a grown stack parked in runtime.gopark is goroutine-parked; running or in a system call,
 * unclassified; the runtime's own goroutines are skipped.
 */
import type { Profile } from './profile.ts';
import { sampleTotal } from './profile.ts';
import { HINTS, INFERRED_MAP_TITLE, TITLES, UNPARKED_GOROUTINES_TITLE } from './patterns/catalog.ts';
import { classifyGoroutineStack, classifyHeapStack, type HeapClass } from './patterns/signatures.ts';
import { goroutineStackDeltas, heapStackDeltas, type StackDelta } from './patterns/stacks.ts';
import type { PatternId, SuspectFrame, PatternFinding } from '../result/types.ts';
export type { PatternId, SuspectFrame, PatternFinding } from '../result/types.ts';

/** Thresholds below which growth is noise. One place, used for every finding. */
export interface PatternThresholds {
  /** A bytes finding must reach both this and minHeapFraction of the after heap. */
  minBytes: number;
  minHeapFraction: number;
  /**
   * A heap suspect must grow by at least this many standard deviations of its sampling noise (stacks.ts):
   * a bounded cache that churns re-samples its objects, and its net growth is noise of that size.
   */
  noiseZ: number;
  /** Net goroutines a suspect (and so a finding) must gain. */
  minGoroutines: number;
  /** Suspects listed per finding (the growth counts them all). */
  maxSuspects: number;
}

export const PATTERN_THRESHOLDS: Readonly<PatternThresholds> = Object.freeze({
  minBytes: 256 * 1024,
  minHeapFraction: 0.01,
  noiseZ: 3,
  minGoroutines: 3,
  maxSuspects: 10,
});

export interface ClassifyGrowthInput {
  heapBefore: Profile;
  heapAfter: Profile;
  goroutineBefore: Profile;
  goroutineAfter: Profile;
  /** where.ts outsideHeap() for the same snapshots; a flagged result becomes the 'outside-heap' finding. */
  outsideHeap?: { flagged: boolean; rssGrowth: number | null; heapInuseGrowth: number };
  /** The scenario's goroutineIgnore: goroutine stacks with a matching frame are left out (as in diffGoroutines). */
  goroutineIgnore?: ReadonlyArray<string | RegExp>;
  thresholds?: Partial<PatternThresholds>;
}

/**
 * Findings, ordered: goroutine-parked first when there is one (goroutines are a different unit, and a
 * goroutine leak also drags heap with it), then every bytes finding by growth (largest first), then
 * goroutines growing without being parked.
 */
export function classifyGrowth(input: ClassifyGrowthInput): PatternFinding[] {
  const t: PatternThresholds = { ...PATTERN_THRESHOLDS, ...input.thresholds };
  const { findings: goroutines, parkedSuspects } = goroutineFindings(goroutineStackDeltas(input.goroutineBefore, input.goroutineAfter, input.goroutineIgnore), t);
  const parked = goroutines.find((f) => f.pattern === 'goroutine-parked');
  const minBytes = Math.max(t.minBytes, t.minHeapFraction * sampleTotal(input.heapAfter, 'inuse_space'));
  const heap = heapFindings(heapStackDeltas(input.heapBefore, input.heapAfter), parked, parkedSuspects, t, minBytes);
  const outside = input.outsideHeap;
  if (outside?.flagged && outside.rssGrowth !== null) {
    heap.push({
      pattern: 'outside-heap',
      title: TITLES['outside-heap'],
      unit: 'bytes',
      growth: outside.rssGrowth - Math.max(0, outside.heapInuseGrowth),
      suspects: [],
      hint: HINTS['outside-heap'],
      confidence: 'high',
    });
  }
  heap.sort((a, b) => b.growth - a.growth || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
  return [...goroutines.filter((f) => f === parked), ...heap, ...goroutines.filter((f) => f !== parked)];
}

/** Growth of one (pattern, suspect) pair, netted over its stacks. */
interface Group {
  suspect: string;
  net: number;
  variance: number;
  /** Net growth of stacks whose own frames showed the signature (not joined or inferred). */
  explicit: number;
  best: StackDelta | undefined;
  blockedIn?: string;
}

function addTo(groups: Map<string, Group>, suspect: string, d: StackDelta, value: number, explicit: boolean, blockedIn?: string): Group {
  let g = groups.get(suspect);
  if (!g) groups.set(suspect, (g = { suspect, net: 0, variance: 0, explicit: 0, best: undefined }));
  g.net += value;
  g.variance += d.variance;
  if (explicit) g.explicit += value;
  if (d.delta > 0 && (!g.best || d.delta > g.best.delta)) {
    g.best = d;
    if (blockedIn) g.blockedIn = blockedIn;
  }
  return g;
}

/** The goroutine findings, and every suspect of goroutine-parked (the listed ones are at most maxSuspects). */
function goroutineFindings(deltas: StackDelta[], t: PatternThresholds): { findings: PatternFinding[]; parkedSuspects: Set<string> } {
  const byClass = { 'goroutine-parked': new Map<string, Group>(), unclassified: new Map<string, Group>() };
  for (const d of deltas) {
    const c = classifyGoroutineStack(d.stack);
    if (c.kind !== 'runtime') addTo(byClass[c.kind], c.suspect, d, d.delta, true, c.blockedIn);
  }
  const findings: PatternFinding[] = [];
  const parkedSuspects = new Set<string>();
  for (const pattern of ['goroutine-parked', 'unclassified'] as const) {
    const kept = [...byClass[pattern].values()].filter((g) => g.net >= t.minGoroutines);
    const growth = kept.reduce((sum, g) => sum + g.net, 0);
    if (kept.length === 0 || growth < t.minGoroutines) continue;
    if (pattern === 'goroutine-parked') for (const g of kept) parkedSuspects.add(g.suspect);
    findings.push({
      pattern,
      title: pattern === 'unclassified' ? UNPARKED_GOROUTINES_TITLE : TITLES[pattern],
      unit: 'goroutines',
      growth,
      suspects: suspects(kept, t),
      hint: HINTS[pattern],
      confidence: pattern === 'unclassified' ? 'low' : 'high',
    });
  }
  return { findings, parkedSuspects };
}

type HeapPattern = Exclude<PatternId, 'goroutine-parked' | 'outside-heap'>;
const EXPLICIT: ReadonlySet<HeapClass> = new Set<HeapClass>(['unclosed-iterators', 'timers-contexts', 'log-formatting', 'decoder-buffers', 'map-never-pruned']);

/**
 * Heap findings. A stack without a signature of its own (an allocation made directly in the suspect, a
 * database's or event bus's internal memory, anything else) joins the pattern its suspect already shows
 * with explicit frames: the value a leaking function stores next to its iterator, its log line or its
 * goroutine is the same leak, and the suspect's growth is then pprof's cum for it (short of leafCeiling's
 * cap, when other callers shrank at the same allocating functions). Left alone, an
 * allocation made directly by the node's code is 'map-never-pruned' (low confidence), the rest
 * 'unclassified'. Goroutine creation (g structs) goes to the goroutine finding's heapBytes.
 */
function heapFindings(deltas: StackDelta[], parked: PatternFinding | undefined, goroutineSuspects: ReadonlySet<string>, t: PatternThresholds, minBytes: number): PatternFinding[] {
  const classified = deltas.map((d) => ({ d, ...classifyHeapStack(d.stack) }));

  // What each suspect shows explicitly: the pattern with the largest positive net growth.
  const explicitNet = new Map<string, Map<HeapClass, number>>();
  for (const { d, kind, suspect } of classified) {
    if (!EXPLICIT.has(kind)) continue;
    const perKind = explicitNet.get(suspect) ?? new Map<HeapClass, number>();
    perKind.set(kind, (perKind.get(kind) ?? 0) + d.delta);
    explicitNet.set(suspect, perKind);
  }
  const joinTarget = new Map<string, HeapPattern>();
  for (const [suspect, perKind] of explicitNet) {
    const [kind, net] = [...perKind].sort((a, b) => b[1] - a[1])[0];
    if (net > 0) joinTarget.set(suspect, kind as HeapPattern);
  }

  const assigned: Assigned[] = [];
  let goroutineHeap = 0;
  for (const { d, kind, suspect } of classified) {
    if (kind === 'goroutine-creation') {
      goroutineHeap += d.delta;
      continue;
    }
    let pattern: HeapPattern;
    if (EXPLICIT.has(kind)) pattern = kind as HeapPattern;
    else if (joinTarget.has(suspect)) pattern = joinTarget.get(suspect)!;
    else if (goroutineSuspects.has(suspect)) {
      goroutineHeap += d.delta; // e.g. the closure of the `go` statement, allocated in the suspect's own frame
      continue;
    } else pattern = kind === 'own-allocation' ? 'map-never-pruned' : 'unclassified';
    assigned.push({ pattern, suspect, d, explicit: EXPLICIT.has(kind) });
  }
  if (parked) parked.heapBytes = Math.max(0, goroutineHeap);

  const scale = leafCeiling(deltas, assigned);
  const byPattern = new Map<HeapPattern, Map<string, Group>>();
  for (const a of assigned) {
    const groups = byPattern.get(a.pattern) ?? new Map<string, Group>();
    byPattern.set(a.pattern, groups);
    addTo(groups, a.suspect, a.d, a.d.delta * scale(a), a.explicit);
  }
  for (const groups of byPattern.values()) for (const g of groups.values()) g.net = Math.round(g.net);

  const findings: PatternFinding[] = [];
  for (const [pattern, groups] of byPattern) {
    const kept = [...groups.values()].filter((g) => g.net > 0 && g.net >= t.noiseZ * Math.sqrt(g.variance));
    const growth = kept.reduce((sum, g) => sum + g.net, 0);
    if (kept.length === 0 || growth < minBytes) continue;
    const explicit = kept.reduce((sum, g) => sum + Math.max(0, g.explicit), 0);
    const inferredMap = pattern === 'map-never-pruned' && explicit < growth / 2;
    findings.push({
      pattern,
      title: inferredMap ? INFERRED_MAP_TITLE : TITLES[pattern],
      unit: 'bytes',
      growth,
      suspects: suspects(kept, t, true),
      hint: HINTS[pattern],
      confidence: inferredMap || pattern === 'unclassified' ? 'low' : 'high',
      noise: Math.round(Math.sqrt(kept.reduce((sum, g) => sum + g.variance, 0))),
    });
  }
  return findings;
}

interface Assigned {
  pattern: HeapPattern;
  suspect: string;
  d: StackDelta;
  /** The stack shows the pattern's frames itself (not joined, not inferred). */
  explicit: boolean;
}

/**
 * Stacks are netted per (pattern, suspect, allocating function), and what the suspects together claim at
 * one allocating function (the leaf: where pprof puts flat growth) is capped by that function's net
 * growth, shared in proportion. Shared structures are allocated at whichever call needs a new one: a
 * pooled gzip writer or a database's next memtable shows +N under one caller and −N under another. Per
 * suspect that churn looks like growth; at the allocating function it nets out. A leak's own function is
 * the only one growing there, so its claim stands, short of what other callers' stacks lost at the same
 * allocating functions.
 */
function leafCeiling(deltas: StackDelta[], assigned: Assigned[]): (a: Assigned) => number {
  const leafNet = new Map<string, number>();
  for (const d of deltas) leafNet.set(d.stack[0] ?? '', (leafNet.get(d.stack[0] ?? '') ?? 0) + d.delta);
  const cellOf = (a: Assigned) => `${a.pattern}\n${a.suspect}\n${a.d.stack[0] ?? ''}`;
  const cellNet = new Map<string, number>();
  for (const a of assigned) cellNet.set(cellOf(a), (cellNet.get(cellOf(a)) ?? 0) + a.d.delta);
  const claimed = new Map<string, number>();
  for (const a of assigned) {
    const net = cellNet.get(cellOf(a))!;
    if (net > 0) claimed.set(a.d.stack[0] ?? '', (claimed.get(a.d.stack[0] ?? '') ?? 0) + a.d.delta);
  }
  return (a) => {
    if (cellNet.get(cellOf(a))! <= 0) return 1;
    const leaf = a.d.stack[0] ?? '';
    return Math.min(1, Math.max(0, leafNet.get(leaf)!) / claimed.get(leaf)!);
  };
}

function suspects(groups: Group[], t: PatternThresholds, sampled = false): SuspectFrame[] {
  return groups
    .sort((a, b) => b.net - a.net || (a.suspect < b.suspect ? -1 : a.suspect > b.suspect ? 1 : 0))
    .slice(0, t.maxSuspects)
    .map((g) => {
      const s: SuspectFrame = { function: g.suspect, growth: g.net, stack: g.best?.stack ?? [] };
      if (g.blockedIn) s.blockedIn = g.blockedIn;
      if (sampled) s.noise = Math.round(Math.sqrt(g.variance));
      return s;
    });
}
