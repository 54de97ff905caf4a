/**
 * Trend verdict: is the post-GC floor still rising, or did it plateau? Two snapshots are fooled by
 * warm-up and by caches that fill to a bound; a series of forced-GC samples, one after each workload
 * cycle, is not. A rising heap floor is only called a leak when the cycles' heap profiles show sites
 * that grew (attribution.ts, judgeHeapTrend below); otherwise it is 'rising' (unattributed), a warning.
 * Every fit also projects its steady-state slope to hours and days.
 */

import jStat from 'jstat';
import { formatBytes } from '../scenario/units.ts';
import type { Attribution } from './attribution.ts';
import type { TrendFit, TrendPoint, TrendProjection } from '../result/types.ts';

export type { TrendFit, TrendPoint, TrendVerdict, TrendProjection } from '../result/types.ts';

/** A least-squares line with the 95% confidence interval of its slope. */
export interface LineFit {
  slope: number;
  intercept: number;
  ci: [number, number];
  n: number;
}

export function tQuantile975(df: number): number {
  return tQuantile(df, 0.975);
}

function tQuantile(df: number, q: number): number {
  return df < 1 ? Infinity : jStat.studentt.inv(q, df);
}

/** Ordinary least squares of y on x; the slope's interval is ± t(n−2, q) × its standard error (q = 0.975: 95%). */
export function fitLine(xs: readonly number[], ys: readonly number[], quantile = 0.975): LineFit {
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
  const half = tQuantile(n - 2, quantile) * Math.sqrt(sse / (n - 2) / sxx);
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

/** The steady state: the last half of the points (at least 3). */
export const tailLength = (n: number) => Math.max(3, Math.ceil(n / 2));

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
  const tail = series.slice(-tailLength(n));
  const tailFit = fitLine(tail.map((p) => p.x), tail.map((p) => p.y));
  const tailOps = tail[tail.length - 1]!.ops - tail[0]!.ops;
  const perOp = tailOps > 0 ? fitLine(tail.map((p) => p.ops), tail.map((p) => p.y)).slope : undefined;
  const perMs = fitLine(tail.map((p) => p.t), tail.map((p) => p.y));
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
    tailSlopePerMinute: perMs.slope * 60_000,
    projection: project(perMs, format),
  };
  const per = (v: number) => `${v < 0 ? '-' : '+'}${format(Math.abs(v))}`;
  const ci = (c: [number, number]) => `95% CI ${per(c[0])}..${per(c[1])}`;
  if (n < MIN_TREND_POINTS) {
    return { ...fit, verdict: 'insufficient', message: `${n} forced-GC points; a trend needs at least ${MIN_TREND_POINTS} (4 cycles)` };
  }
  const tailRising = tailFit.ci[0] > 0 && tailFit.slope * span >= floor;
  const tailFlat = tailFit.ci[1] < whole.slope || Math.abs(tailFit.slope) * span < floor;
  const wholeRising = whole.ci[0] > 0 && whole.slope * span >= floor;
  // A tail that cannot tell rising from falling, after the series visibly fell (a memtable's sawtooth,
  // a cache's eviction), is no evidence of a leak: something let go of memory it held.
  const fellBack = tailFit.ci[0] <= 0 && maxFall(series.map((p) => p.y)) >= floor;
  if (tailRising || (wholeRising && !tailFlat && !fellBack)) {
    const how = tailRising ? `still rising over the last ${tail.length} cycles` : 'rising through the run (the last cycles are too noisy to show a plateau)';
    return { ...fit, verdict: 'leak', message: `${how}: ${per(tailFit.slope)} per cycle (${ci(tailFit.ci)}), ${per(growth)} in all` };
  }
  if (growth >= floor) {
    return { ...fit, verdict: 'bounded', message: `grew ${per(growth)}, then levelled off: ${per(tailFit.slope)} per cycle over the last ${tail.length} cycles (${ci(tailFit.ci)})` };
  }
  return { ...fit, verdict: 'flat', message: `no growth beyond noise (${per(growth)}; floor ${format(floor)})` };
}

/** The largest drop from an earlier high to a later low. */
function maxFall(ys: readonly number[]): number {
  let high = -Infinity;
  let fall = 0;
  for (const y of ys) {
    high = Math.max(high, y);
    fall = Math.max(fall, high - y);
  }
  return fall;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The tail's slope against time, per hour and per day (the limit comes later: projectToLimit). */
function project(perMs: LineFit, format: (v: number) => string): TrendProjection {
  const per = (v: number) => `${v < 0 ? '-' : '+'}${format(Math.abs(v))}`;
  const perDay = perMs.slope * DAY_MS;
  return {
    perHour: perMs.slope * HOUR_MS,
    perDay,
    perDayCI: [perMs.ci[0] * DAY_MS, perMs.ci[1] * DAY_MS],
    message: `${per(perMs.slope * HOUR_MS)} per hour, ${per(perDay)} per day`,
  };
}

/** Live heap bytes bring this much memory at the heap's peak: Go's default GOGC=100 lets the heap double. */
export const PEAK_PER_LIVE_BYTE = 2;

/**
 * The projection with a memory limit: days until the node's footprint at the end of the run reaches the
 * limit, growing PEAK_PER_LIVE_BYTE × the floor's slope. Only a fit that keeps rising gets a date.
 */
export function projectToLimit(fit: TrendFit, limit: NonNullable<TrendProjection['limit']> | undefined, footprint: number | undefined): TrendFit {
  const projection = fit.projection;
  if (!projection) return fit;
  const rising = fit.verdict === 'leak' || fit.verdict === 'rising';
  const next: TrendProjection = { ...projection, ...(limit ? { limit } : {}), ...(footprint !== undefined ? { footprint } : {}) };
  if (limit && footprint !== undefined && rising && projection.perDay > 0) {
    next.daysToLimit = Math.max(0, (limit.bytes - footprint) / (PEAK_PER_LIVE_BYTE * projection.perDay));
    const size = (v: number) => bytesText(v);
    next.message = `${projection.message}; at this rate the node (${size(footprint)} now) reaches its ${size(limit.bytes)} ${limit.source === 'memLimit' ? 'memory limit' : 'oomAfter limit'} in ${daysText(next.daysToLimit)} (×${PEAK_PER_LIVE_BYTE} for GOGC=100 garbage at the heap's peak)`;
  }
  return { ...fit, projection: next };
}

export function daysText(days: number): string {
  if (!Number.isFinite(days)) return 'never';
  if (days < 1) return `${(days * 24).toFixed(1)} hours`;
  return `${days < 10 ? days.toFixed(1) : Math.round(days)} days`;
}

const bytesText = (v: number) => formatBytes(v).replace(/^\+/, '');

/**
 * The heap floor's verdict with its evidence: a 'leak' by the numbers stays a leak only when the tail
 * cycles' heap profiles show sites that grew; otherwise it is 'rising' (unattributed), with what would
 * settle it. Growth only inside bounded structures is named as such.
 */
export function judgeHeapTrend(fit: TrendFit, attribution: Attribution | undefined, runMinutes: number, filling?: CachesFilling): TrendFit {
  if (fit.verdict !== 'leak' || !attribution) return fit;
  if (attribution.sites.length > 0 && filling && filling.heightAtTail < filling.blocks) {
    // The sites may be what those caches hold (decoded blocks and transactions): no claim until they are full.
    return {
      ...fit,
      verdict: 'rising',
      attribution,
      advice: [`the node holds ${filling.what} by design and the measured tail began at block ${filling.heightAtTail}: give the run a warm-up past block ${filling.blocks}, then judge`],
      message: `${fit.message}; not called a leak yet: ${filling.what} were still filling (block ${filling.heightAtTail} of ${filling.blocks} at the tail's start)`,
    };
  }
  if (attribution.sites.length > 0) {
    const top = attribution.sites.slice(0, 3).map((s) => `${s.function} +${bytesText(s.growth)}`).join(', ');
    return { ...fit, attribution, message: `${fit.message}; the heap profiles of cycles ${attribution.fromCycle}→${attribution.toCycle} show it: ${top}` };
  }
  const tailGrowth = Math.max(0, fit.tailSlopePerCycle) * Math.max(1, attribution.toCycle - attribution.fromCycle);
  const advice: string[] = [];
  if (attribution.bounded.length > 0) {
    advice.push(`growth the profiles show is inside bounded structures: ${attribution.bounded.map((s) => `${s.bounded} +${bytesText(s.growth)}`).join(', ')}: run long enough for them to fill (they then level off)`);
  }
  if (tailGrowth > 0) {
    // A site must grow MIN_SAMPLES samples in the tail: at this floor slope, how long, or how fine a rate.
    const longer = Math.ceil((runMinutes * attribution.resolution * 2) / tailGrowth);
    if (longer > runMinutes) advice.push(`run longer than ${longer} min (the tail must grow ${bytesText(attribution.resolution)} per site to show at this profile rate)`);
    const rate = finerRate(tailGrowth, attribution.resolution / attribution.rate);
    if (rate < attribution.rate) advice.push(`lower memProfileRate to ${rate} (now ${attribution.rate}) so the tail's +${bytesText(tailGrowth)} spans enough heap profile samples`);
  }
  return {
    ...fit,
    verdict: 'rising',
    attribution,
    advice,
    message: `${fit.message}; unattributed: no site in the heap profiles of cycles ${attribution.fromCycle}→${attribution.toCycle} grew beyond sampling noise (profile total ${bytesText(attribution.profileGrowth)}, resolution ${bytesText(attribution.resolution)} per site)`,
  };
}

/** A flavor's caches of recent blocks (NodeFlavor.fillsUntilBlock) and the chain height when the tail began. */
export interface CachesFilling {
  blocks: number;
  what: string;
  heightAtTail: number;
}

/** A power-of-two memProfileRate at which `growth` is 4 × the samples a site needs (not below 512 bytes). */
function finerRate(growth: number, samplesPerSite: number): number {
  const target = growth / (4 * samplesPerSite);
  return Math.max(512, 2 ** Math.floor(Math.log2(Math.max(1, target))));
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
