/**
 * Trend verdict: is the post-GC floor still rising, or did it plateau? Two snapshots are fooled by
 * warm-up and by caches that fill to a bound; a series of forced-GC samples, one after each workload
 * cycle, is not. (Implementation follows; the types are the contract the report and compare read.)
 */

import jStat from 'jstat';

/** One forced-GC sample taken after a workload cycle. */
export interface TrendPoint {
  /** 1-based cycle index over the whole run (cycle 0 is the 'before' snapshot). */
  cycle: number;
  phase: string;
  /** ms since the run started */
  t: number;
  /** Operations the workloads completed (accepted) up to this point. */
  ops: number;
  /** Post-GC heap in use (inuse_space of the forced-GC heap profile), bytes. */
  heapInuse: number;
  /** runtime.MemStats.HeapAlloc read right after the forced GC: the heap floor the trend fits. */
  heapAlloc: number;
  sys: number;
  goroutines: number;
  rss: number | null;
  /** Heap profile of this sample, relative to the report folder. */
  profile?: string;
}

export type TrendVerdict = 'leak' | 'bounded' | 'flat' | 'insufficient';

export interface TrendFit {
  /** heapAlloc: the post-GC heap floor (live bytes right after a forced GC, exact, unlike the sampled profile). */
  metric: 'heapAlloc' | 'goroutines' | 'rss' | 'sys';
  verdict: TrendVerdict;
  /** Growth from the first point to the end (the median of the last third of the points). */
  growth: number;
  /** Least-squares slope over the whole series, per cycle, with its 95% confidence interval. */
  slopePerCycle: number;
  slopeCI: [number, number];
  /** Slope over the last half of the series (the steady state), per cycle, with its 95% interval. */
  tailSlopePerCycle: number;
  tailSlopeCI: [number, number];
  /** Tail slope per 1,000 operations, when the workloads count operations. */
  tailSlopePer1kOps?: number;
  /** Tail slope per minute. */
  tailSlopePerMinute: number;
  /** Plain-language reason for the verdict. */
  message: string;
}

/** A least-squares line with the 95% confidence interval of its slope. */
export interface LineFit {
  slope: number;
  intercept: number;
  ci: [number, number];
  n: number;
}

export function tQuantile975(df: number): number {
  return df < 1 ? Infinity : jStat.studentt.inv(0.975, df);
}

/** Ordinary least squares of y on x; the slope's interval is ± t(n−2) × its standard error. */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit {
  const n = xs.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  if (n < 3 || sxx === 0) return { slope, intercept, ci: [-Infinity, Infinity], n };
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - (intercept + slope * xs[i]!)) ** 2;
  const half = tQuantile975(n - 2) * Math.sqrt(sse / (n - 2) / sxx);
  return { slope, intercept, ci: [slope - half, slope + half], n };
}

/**
 * Smallest growth over a run that counts at all, per metric: below it, GC timing and allocator noise
 * dominate. A floor in absolute units plus a share of the starting level (big heaps jitter more).
 */
export const NOISE_FLOOR: Readonly<Record<TrendFit['metric'], { absolute: number; relative: number }>> = {
  heapAlloc: { absolute: 64 << 10, relative: 0.02 },
  goroutines: { absolute: 3, relative: 0.02 },
  rss: { absolute: 4 << 20, relative: 0.03 },
  sys: { absolute: 4 << 20, relative: 0.03 },
};

/** Fewer points than this (the 'before' snapshot + 4 cycles) cannot tell a plateau from a slope. */
export const MIN_TREND_POINTS = 5;

/**
 * Leak, bounded or flat, from the forced-GC points of one metric:
 * - leak: the last half of the series still rises (its slope's 95% interval is above zero) by more than
 *   the noise floor over the run — or the whole series rises and the last half is too noisy to show a
 *   plateau;
 * - bounded: it grew by more than the noise floor, but the last half is flat (or clearly flatter than
 *   the whole): a cache that filled to its bound, warm-up;
 * - flat: no growth beyond the noise floor.
 */
export function fitTrend(points: readonly TrendPoint[], metric: TrendFit['metric'], format: (v: number) => string = String): TrendFit | undefined {
  const series = points.map((p) => ({ x: p.cycle, y: value(p, metric), ops: p.ops, t: p.t })).filter((p): p is { x: number; y: number; ops: number; t: number } => p.y !== null);
  const n = series.length;
  if (n === 0) return undefined;
  // From the first point (the 'before' snapshot) to the level the run ended at (median of the last third).
  const growth = median(series.slice(-Math.max(1, Math.floor(n / 3))).map((p) => p.y)) - series[0]!.y;
  const whole = fitLine(series.map((p) => p.x), series.map((p) => p.y));
  const tail = series.slice(-Math.max(3, Math.ceil(n / 2)));
  const tailFit = fitLine(tail.map((p) => p.x), tail.map((p) => p.y));
  const tailOps = tail[tail.length - 1]!.ops - tail[0]!.ops;
  const perOp = tailOps > 0 ? fitLine(tail.map((p) => p.ops), tail.map((p) => p.y)).slope : undefined;
  const perMs = fitLine(tail.map((p) => p.t), tail.map((p) => p.y)).slope;
  const floorSpec = NOISE_FLOOR[metric];
  const floor = Math.max(floorSpec.absolute, floorSpec.relative * Math.abs(series[0]!.y));
  const span = series[n - 1]!.x - series[0]!.x;
  const fit = {
    metric,
    growth,
    slopePerCycle: whole.slope,
    slopeCI: whole.ci,
    tailSlopePerCycle: tailFit.slope,
    tailSlopeCI: tailFit.ci,
    ...(perOp !== undefined ? { tailSlopePer1kOps: perOp * 1000 } : {}),
    tailSlopePerMinute: perMs * 60_000,
  };
  const per = (v: number) => `${v < 0 ? '-' : '+'}${format(Math.abs(v))}`;
  const ci = (c: [number, number]) => `95% CI ${per(c[0])}..${per(c[1])}`;
  if (n < MIN_TREND_POINTS) {
    return { ...fit, verdict: 'insufficient', message: `${n} forced-GC points; a trend needs at least ${MIN_TREND_POINTS} (4 cycles)` };
  }
  const tailRising = tailFit.ci[0] > 0 && tailFit.slope * span >= floor;
  const tailFlat = tailFit.ci[1] < whole.slope || Math.abs(tailFit.slope) * span < floor;
  const wholeRising = whole.ci[0] > 0 && whole.slope * span >= floor;
  if (tailRising || (wholeRising && !tailFlat)) {
    const how = tailRising ? `still rising over the last ${tail.length} cycles` : 'rising through the run (the last cycles are too noisy to show a plateau)';
    return { ...fit, verdict: 'leak', message: `${how}: ${per(tailFit.slope)} per cycle (${ci(tailFit.ci)}), ${per(growth)} in all` };
  }
  if (growth >= floor) {
    return { ...fit, verdict: 'bounded', message: `grew ${per(growth)}, then levelled off: ${per(tailFit.slope)} per cycle over the last ${tail.length} cycles (${ci(tailFit.ci)})` };
  }
  return { ...fit, verdict: 'flat', message: `no growth beyond noise (${per(growth)}; floor ${format(floor)})` };
}

function value(p: TrendPoint, metric: TrendFit['metric']): number | null {
  return metric === 'heapAlloc' ? p.heapAlloc : metric === 'goroutines' ? p.goroutines : metric === 'rss' ? p.rss : p.sys;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
