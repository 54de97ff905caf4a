/**
 * Function-level "top" tables and heap diffs that reproduce `go tool pprof -top` exactly:
 *
 *   go tool pprof -top -nodecount=<all> -nodefraction=0 -edgefraction=0 -sample_index=<type> \
 *     -diff_base before.pb.gz after.pb.gz
 *
 * pprof's rules, as implemented in internal/graph (newGraph) and internal/report:
 * - granularity "functions" (the default): a node is a function name; file, line and address are dropped;
 * - inlined calls are expanded: a location's line[0] is the innermost function, its last line the caller;
 * - flat: a sample's value goes to its leaf frame (line[0] of location[0]);
 * - cum: a sample's value goes once to every distinct function on its stack (recursion counts once);
 * - -diff_base negates the base's samples and merges them with the new ones, so every number is
 *   after − before; nodes whose flat and cum are both 0 are not shown;
 * - rows are sorted by |flat| desc, then name, then |cum| desc (-cum: |cum| desc, name, |flat| desc);
 * - "(inline)" / "(partial-inline)" after a name: every / some incoming call edge is an inlined call.
 */
import { ProfileError, sampleTypeIndex, type Profile } from './profile.ts';

export interface FunctionGrowth {
  /** Function name exactly as pprof prints it (without the inline marker). */
  function: string;
  /** Value of samples whose leaf is this function (after − before in a diff). */
  flat: number;
  /** Value of samples with this function anywhere on the stack, once per sample (after − before in a diff). */
  cum: number;
  /** pprof's marker: every ('inline') or some ('partial-inline') call into this function was inlined. */
  inline?: 'inline' | 'partial-inline';
}

export interface TopTable {
  sampleType: string;
  unit: string;
  /** Sum of flat over all rows: pprof's "Showing nodes accounting for X". In a diff, after − before. */
  total: number;
  /**
   * pprof's "of X total": sum of |value| over the base's samples (-diff_base, or samples labelled
   * pprof::base=true in a saved diff); when there are none, over all samples.
   */
  baseTotal: number;
  /** Every function with a non-zero flat or cum, sorted like pprof -top (or -top -cum). */
  rows: FunctionGrowth[];
}

export interface TopOptions {
  /** 'flat' (pprof -top, the default) or 'cum' (pprof -top -cum). */
  sortBy?: 'flat' | 'cum';
}

/** `go tool pprof -top -diff_base before after` for one sample type (inuse_space, goroutine, ...). */
export function diffTop(before: Profile, after: Profile, sampleType: string, options: TopOptions = {}): TopTable {
  return aggregate([{ profile: before, sign: -1 }, { profile: after, sign: 1 }], sampleType, options);
}

/** `go tool pprof -top profile` for one sample type. */
export function top(profile: Profile, sampleType: string, options: TopOptions = {}): TopTable {
  return aggregate([{ profile, sign: 1 }], sampleType, options);
}

/** Sorts rows in place the way pprof -top (by 'flat') or -top -cum (by 'cum') lists them. */
export function sortTopRows(rows: FunctionGrowth[], by: 'flat' | 'cum' = 'flat'): FunctionGrowth[] {
  const primary = by === 'flat' ? 'flat' : 'cum';
  const secondary = by === 'flat' ? 'cum' : 'flat';
  return rows.sort((a, b) => {
    const p = Math.abs(b[primary]) - Math.abs(a[primary]);
    if (p !== 0) return p;
    if (a.function !== b.function) return a.function < b.function ? -1 : 1;
    return Math.abs(b[secondary]) - Math.abs(a[secondary]);
  });
}

interface Input {
  profile: Profile;
  sign: 1 | -1;
}

/** Edge keys are parent * EDGE_SHIFT + child over global name ids. */
const EDGE_SHIFT = 2 ** 26;

function aggregate(inputs: Input[], sampleType: string, options: TopOptions): TopTable {
  // Global name ids across all inputs, so profiles with different string tables line up.
  const names: string[] = [];
  const ids = new Map<string, number>();
  const localToGlobal = inputs.map(({ profile }) => {
    const map = new Uint32Array(profile.functionNames.length);
    profile.functionNames.forEach((name, i) => {
      let id = ids.get(name);
      if (id === undefined) {
        id = names.length;
        names.push(name);
        ids.set(name, id);
      }
      map[i] = id;
    });
    return map;
  });
  if (names.length >= EDGE_SHIFT) throw new Error(`too many distinct functions (${names.length})`);

  const flat = new Float64Array(names.length);
  const cum = new Float64Array(names.length);
  const stamp = new Int32Array(names.length);
  const edgeInline = new Map<number, boolean>();
  const seenEdges = new Set<number>();
  let sampleNo = 0;
  let baseAbs = 0;
  let allAbs = 0;
  let unit: string | undefined;

  inputs.forEach(({ profile, sign }, inputIndex) => {
    const index = sampleTypeIndex(profile, sampleType);
    const thisUnit = profile.sampleTypes[index].unit;
    if (unit !== undefined && unit !== thisUnit) {
      throw new ProfileError(profile.source, `profile ${profile.source} measures ${sampleType} in ${thisUnit}, the other profile in ${unit}`);
    }
    unit = thisUnit;
    const toGlobal = localToGlobal[inputIndex];
    for (const sample of profile.samples) {
      const value = sample.values[index];
      allAbs += Math.abs(value);
      // pprof counts base samples for "of X total": -diff_base ones, and ones a saved diff (pprof -proto
      // -diff_base) marks with the label pprof::base=true.
      if (sign < 0 || sample.labels['pprof::base']?.includes('true')) baseAbs += Math.abs(value);
      const w = sign * value;
      if (w === 0) continue; // pprof skips zero-weight samples entirely (no nodes, no edges)
      sampleNo++;
      seenEdges.clear();
      const frames = sample.frames;
      let parent = -1;
      // Root to leaf, like pprof: locations from last to first, and in each, lines from last to first.
      for (let j = frames.length - 1; j >= 0; j--) {
        const node = toGlobal[frames[j]];
        if (stamp[node] !== sampleNo) {
          stamp[node] = sampleNo;
          cum[node] += w;
        }
        if (parent >= 0 && parent !== node) {
          const key = parent * EDGE_SHIFT + node;
          if (!seenEdges.has(key)) {
            seenEdges.add(key);
            const inlined = sample.inlined[j] === 1;
            const prev = edgeInline.get(key);
            edgeInline.set(key, prev === undefined ? inlined : prev && inlined);
          }
        }
        parent = node;
      }
      if (parent >= 0) flat[parent] += w;
    }
  });

  const inlineIn = new Uint8Array(names.length); // bit 1: some inlined incoming edge, bit 2: some normal one
  for (const [key, inlined] of edgeInline) {
    inlineIn[key % EDGE_SHIFT] |= inlined ? 1 : 2;
  }

  const rows: FunctionGrowth[] = [];
  let total = 0;
  for (let id = 0; id < names.length; id++) {
    if (flat[id] === 0 && cum[id] === 0) continue;
    const row: FunctionGrowth = { function: names[id], flat: flat[id], cum: cum[id] };
    if (inlineIn[id] === 1) row.inline = 'inline';
    else if (inlineIn[id] === 3) row.inline = 'partial-inline';
    rows.push(row);
    total += flat[id];
  }
  sortTopRows(rows, options.sortBy ?? 'flat');
  return { sampleType, unit: unit ?? '', total, baseTotal: baseAbs > 0 ? baseAbs : allAbs, rows };
}

// ---------------------------------------------------------------------------------------------------
// Heap diff

export interface HeapTotals {
  inuseBytes: number;
  inuseObjects: number;
}

export interface HeapGrowth {
  function: string;
  /** Flat inuse_space growth (after − before) of allocations made directly in this function. */
  inuseBytes: number;
  /** Flat inuse_objects growth. */
  inuseObjects: number;
  /** Cumulative inuse_space growth: allocations made in this function or anything it called. */
  cumInuseBytes: number;
}

export interface HeapDiff {
  before: HeapTotals;
  after: HeapTotals;
  /** Functions whose flat in-use bytes grew, largest growth first (ties by name); at most `top`. */
  topGrowth: HeapGrowth[];
}

export interface HeapDiffOptions {
  /** Maximum number of topGrowth rows (default 20). */
  top?: number;
}

/**
 * Heap growth between two heap profiles (/debug/pprof/heap, ideally fetched with ?gc=1), by function,
 * with the same numbers as `go tool pprof -top -sample_index=inuse_space -diff_base before after`.
 */
export function diffHeap(before: Profile, after: Profile, options: HeapDiffOptions = {}): HeapDiff {
  const limit = options.top ?? 20;
  const space = diffTop(before, after, 'inuse_space');
  const objects = diffTop(before, after, 'inuse_objects');
  const flatObjects = new Map<string, number>();
  for (const row of objects.rows) flatObjects.set(row.function, row.flat);
  const topGrowth = space.rows
    .filter((row) => row.flat > 0)
    .sort((a, b) => b.flat - a.flat || (a.function < b.function ? -1 : a.function > b.function ? 1 : 0))
    .slice(0, Math.max(0, limit))
    .map((row) => ({
      function: row.function,
      inuseBytes: row.flat,
      inuseObjects: flatObjects.get(row.function) ?? 0,
      cumInuseBytes: row.cum,
    }));
  return { before: heapTotals(before), after: heapTotals(after), topGrowth };
}

/** In-use bytes and objects of a heap profile (the sum over all samples). */
export function heapTotals(profile: Profile): HeapTotals {
  const space = sampleTypeIndex(profile, 'inuse_space');
  const objects = sampleTypeIndex(profile, 'inuse_objects');
  let inuseBytes = 0;
  let inuseObjects = 0;
  for (const sample of profile.samples) {
    inuseBytes += sample.values[space];
    inuseObjects += sample.values[objects];
  }
  return { inuseBytes, inuseObjects };
}
