/**
 * Goroutine growth between two goroutine profiles (/debug/pprof/goroutine, protobuf), grouped by stack
 * like goleak: goroutines whose stacks have the same function names (leaf first, inlined frames
 * expanded, labels ignored) form one group, and a group that has more goroutines after than before is
 * growth. The group's entry is its root frame: the function a `go` statement started.
 */
import { findSampleTypeIndex, ProfileError, type Profile } from './profile.ts';

export interface GoroutineGroup {
  /** Function names, leaf first. */
  stack: string[];
  /** The goroutine's start function: the root (last) frame, skipping a trailing runtime.goexit. */
  entry: string;
  before: number;
  after: number;
  /** after − before */
  count: number;
}

export interface GoroutineDiff {
  /** All goroutines in each profile (nothing ignored). */
  before: number;
  after: number;
  /** Groups with count > 0 and no ignored frame, most growth first; at most `top`. */
  topGrowth: GoroutineGroup[];
  /** Growth (sum of count > 0) of the groups removed by the ignore list. */
  ignoredGrowth: number;
}

export interface GoroutineDiffOptions {
  /**
   * A group is ignored when any of its frames matches: a string matches a frame that contains it
   * (so 'github.com/ethereum/go-ethereum/rpc.' covers a package, a full name covers one function),
   * a RegExp matches a frame it tests true on.
   */
  ignore?: Array<string | RegExp>;
  /** Maximum number of topGrowth groups (default 20). */
  top?: number;
}

/** Index of the goroutine count in a goroutine profile ('goroutine/count'). */
export function goroutineSampleIndex(profile: Profile): number {
  let index = findSampleTypeIndex(profile, 'goroutine');
  if (index < 0) index = findSampleTypeIndex(profile, 'count');
  if (index < 0 && profile.sampleTypes.length === 1) index = 0;
  if (index < 0) {
    const have = profile.sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ');
    throw new ProfileError(profile.source, `profile ${profile.source} is not a goroutine profile (sample types: ${have})`);
  }
  return index;
}

/** Number of goroutines in a goroutine profile. */
export function goroutineTotal(profile: Profile): number {
  const index = goroutineSampleIndex(profile);
  let total = 0;
  for (const sample of profile.samples) total += sample.values[index];
  return total;
}

/** Goroutine counts per stack (key: names joined by '\n', leaf first). */
export function goroutineGroups(profile: Profile): Map<string, { stack: string[]; count: number }> {
  const index = goroutineSampleIndex(profile);
  const names = profile.functionNames;
  const groups = new Map<string, { stack: string[]; count: number }>();
  for (const sample of profile.samples) {
    const value = sample.values[index];
    if (value === 0) continue;
    const stack = Array.from(sample.frames, (id) => names[id]);
    const key = stack.join('\n');
    const group = groups.get(key);
    if (group) group.count += value;
    else groups.set(key, { stack, count: value });
  }
  return groups;
}

export function diffGoroutines(before: Profile, after: Profile, options: GoroutineDiffOptions = {}): GoroutineDiff {
  const limit = options.top ?? 20;
  const matchers = (options.ignore ?? []).map(toMatcher);
  const beforeGroups = goroutineGroups(before);
  const afterGroups = goroutineGroups(after);
  const ignoredCache = new Map<string, boolean>();
  const isIgnored = (frame: string): boolean => {
    let hit = ignoredCache.get(frame);
    if (hit === undefined) {
      hit = matchers.some((m) => m(frame));
      ignoredCache.set(frame, hit);
    }
    return hit;
  };

  const growth: GoroutineGroup[] = [];
  let ignoredGrowth = 0;
  for (const [key, group] of afterGroups) {
    const was = beforeGroups.get(key)?.count ?? 0;
    const count = group.count - was;
    if (count <= 0) continue;
    if (matchers.length > 0 && group.stack.some(isIgnored)) {
      ignoredGrowth += count;
      continue;
    }
    growth.push({ stack: group.stack, entry: entryOf(group.stack), before: was, after: group.count, count });
  }
  growth.sort(
    (a, b) =>
      b.count - a.count ||
      b.after - a.after ||
      compare(a.entry, b.entry) ||
      compare(a.stack.join('\n'), b.stack.join('\n')),
  );
  return {
    before: goroutineTotal(before),
    after: goroutineTotal(after),
    topGrowth: growth.slice(0, Math.max(0, limit)),
    ignoredGrowth,
  };
}

function entryOf(stack: readonly string[]): string {
  let i = stack.length - 1;
  while (i > 0 && stack[i] === 'runtime.goexit') i--;
  return i >= 0 ? stack[i] : '<unknown>';
}

/** A frame matcher of an ignore list entry (also used by proven-leaks.ts). */
export function toMatcher(pattern: string | RegExp): (frame: string) => boolean {
  if (typeof pattern === 'string') return (frame) => frame.includes(pattern);
  // A global or sticky RegExp keeps lastIndex between test() calls; use a stateless copy.
  const re = pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern;
  return (frame) => re.test(frame);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
