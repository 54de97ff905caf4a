/**
 * Growth per full stack (function names, leaf first, inlined frames expanded, as sampleStack gives
 * them): after − before, for heap inuse_space and for goroutine counts. Every stack that changed is kept,
 * shrinking ones too, so that growth netted per suspect matches what `go tool pprof -diff_base` nets
 * into a function's cum.
 */
import { goroutineGroups } from '../goroutine-diff.ts';
import { sampleStack, sampleTypeIndex, type Profile } from '../profile.ts';

export interface StackDelta {
  stack: string[];
  /** after − before */
  delta: number;
  /** Variance of `delta` from heap sampling (bytes²); 0 for goroutine counts, which are exact. */
  variance: number;
}

/**
 * inuse_space growth per stack, with the sampling variance of both profiles' estimates.
 *
 * A heap profile records an allocation of S bytes with probability p = 1 − exp(−S/R) (R: the profile's
 * period, runtime.MemProfileRate) and reports each recorded one as S/p bytes. For a sample reporting V
 * bytes the variance of that estimate is V · (S/p) · (1 − p): about V·R for small objects, near 0 for
 * objects much larger than R. S is the sample's `bytes` label (the block size Go writes). Before and
 * after are added as if independent (true for churned objects; an overestimate for kept ones).
 */
export function heapStackDeltas(before: Profile, after: Profile): StackDelta[] {
  const deltas = new Map<string, StackDelta>();
  const add = (profile: Profile, sign: 1 | -1) => {
    const space = sampleTypeIndex(profile, 'inuse_space');
    const objects = sampleTypeIndex(profile, 'inuse_objects');
    const rate = profile.period;
    for (const sample of profile.samples) {
      const bytes = sample.values[space];
      if (bytes === 0) continue;
      const stack = sampleStack(profile, sample);
      const key = stack.join('\n');
      let entry = deltas.get(key);
      if (!entry) deltas.set(key, (entry = { stack, delta: 0, variance: 0 }));
      entry.delta += sign * bytes;
      entry.variance += sampleVariance(bytes, sample.numLabels.bytes?.[0] ?? bytes / Math.max(1, sample.values[objects]), rate);
    }
  };
  add(before, -1);
  add(after, 1);
  return [...deltas.values()].filter((d) => d.delta !== 0);
}

function sampleVariance(reported: number, blockSize: number, rate: number): number {
  if (!(rate > 0) || !(blockSize > 0)) return 0;
  const p = -Math.expm1(-blockSize / rate);
  return Math.abs(reported) * (blockSize / p) * (1 - p);
}

/**
 * Goroutine count growth per stack. A stack with a frame the ignore list matches is left out, as in
 * diffGoroutines: a string matches a frame containing it, a RegExp a frame it tests true on.
 */
export function goroutineStackDeltas(before: Profile, after: Profile, ignore: ReadonlyArray<string | RegExp> = []): StackDelta[] {
  const matchers = ignore.map((p): ((frame: string) => boolean) => {
    if (typeof p === 'string') return (frame) => frame.includes(p);
    // A global or sticky RegExp keeps lastIndex between test() calls; use a stateless copy.
    const re = p.global || p.sticky ? new RegExp(p.source, p.flags.replace(/[gy]/g, '')) : p;
    return (frame) => re.test(frame);
  });
  const deltas = new Map<string, StackDelta>();
  for (const [key, group] of goroutineGroups(before)) deltas.set(key, { stack: group.stack, delta: -group.count, variance: 0 });
  for (const [key, group] of goroutineGroups(after)) {
    const entry = deltas.get(key);
    if (entry) entry.delta += group.count;
    else deltas.set(key, { stack: group.stack, delta: group.count, variance: 0 });
  }
  return [...deltas.values()].filter((d) => d.delta !== 0 && !d.stack.some((f) => matchers.some((m) => m(f))));
}
