/**
 * Is a difference between two sets of runs real? For one figure: the difference of the centres (means,
 * or medians from 5 runs a side on), a noise band around zero from the spread of both sides, and a
 * verdict. Two identical builds differ run to run (GC timing, heap profile sampling, the machine's other
 * load), so a figure only regresses when the difference is both statistically clear (beyond what
 * identical builds show 99 times in 100) and big enough to matter (beyond a practical floor per metric).
 * Pure functions, no I/O.
 */
import jStat from 'jstat';
import type { Figure, Metric } from './figures.ts';
import { figureName, formatValue } from './format.ts';

const MB = 1024 * 1024;

/**
 * Smallest difference that matters for each metric, even when it is statistically clear, and the whole
 * band when there is no spread to go by (one run a side): the largest of `absolute`, `relative` × |base
 * centre| and `level` × the level the growth started from (heap or RSS before: a 2 GB heap jitters more
 * than a 50 MB one). Set from 28 identical runs of test/compare/geth-short.ts (geth dev chain, 100 tx/s,
 * 13 s, memProfileRate 4096) on a busy 2-core machine: heap in-use growth 5.7 MB ± 0.8 MB (sd; range
 * 4.6–7.1 MB; at Go's default 512 KB profile sampling ± 3.3 MB), RSS growth 15.3 MB ± 5.2 MB (5.5–25.3),
 * p95 latency 7.0 ms ± 3.8 ms (3.4–21.9), goroutine growth 0.1 ± 0.5, accepted rate 99.4 ± 0.5 tx/s.
 */
export const NOISE_FLOORS: Readonly<Record<Metric, { absolute: number; relative: number; level?: number }>> = {
  heapInuseGrowth: { absolute: 2 * MB, relative: 0.1, level: 0.1 },
  // RSS follows the heap with the scavenger's delay and lags behind frees: far noisier than the heap.
  rssGrowth: { absolute: 24 * MB, relative: 0.1, level: 0.1 },
  goroutineGrowth: { absolute: 3, relative: 0.1 },
  // A leak of 256 bytes per operation is below anything a trend over a short run can show.
  heapSlopePer1kOps: { absolute: 256 * 1024, relative: 0.1 },
  heapSlopePerCycle: { absolute: 256 * 1024, relative: 0.1 },
  goroutineSlopePer1kOps: { absolute: 0.5, relative: 0.1 },
  goroutineSlopePerCycle: { absolute: 0.5, relative: 0.1 },
  // Scores flat 0, bounded 1, leak 3 (figures.ts): flat ↔ bounded is noise, bounded → leak is not.
  heapTrend: { absolute: 1, relative: 0 },
  goroutineTrend: { absolute: 1, relative: 0 },
  acceptedRate: { absolute: 0.1, relative: 0.1 },
  errorRate: { absolute: 0.001, relative: 0.1 },
  // Localhost p95 is a few ms with a long tail (a block being sealed stalls submissions): 20%, at least 25 ms.
  p95Latency: { absolute: 25, relative: 0.2 },
};

/** From this many runs a side on, centres are medians and spreads MADs: one odd run does not move them. */
export const MEDIAN_FROM = 5;

export type FigureVerdict = 'regressed' | 'improved' | 'same' | 'missing';

export interface SideStats {
  n: number;
  values: number[];
  /** Mean, or median for n ≥ MEDIAN_FROM. */
  center: number;
  /** Standard deviation, or 1.4826 × MAD for n ≥ MEDIAN_FROM; NaN for n < 2. */
  spread: number;
}

export interface Judgement {
  base: SideStats;
  candidate: SideStats;
  /** candidate centre − base centre */
  difference: number;
  /** Half-width of the noise band around zero: max(statistical, floor). */
  band: number;
  /** The statistical half-width from the spreads (0 when no side has a spread). */
  statistical: number;
  floor: number;
  verdict: FigureVerdict;
}

export interface FigureComparison extends Omit<Figure, 'value' | 'within' | 'level'>, Judgement {}

/**
 * Judge one figure. `within` is a side's own 95% half-width for a single run (a trend slope's interval),
 * used when both sides have one run; `level` is the base's starting level for the floor.
 */
export function judge(
  base: number[],
  candidate: number[],
  figure: Pick<Figure, 'metric' | 'worseWhen'>,
  extra: { level?: number; within?: { base?: number; candidate?: number } } = {},
): Judgement {
  const b = sideStats(base);
  const c = sideStats(candidate);
  const difference = c.center - b.center;
  const floor = noiseFloor(figure.metric, b.center, extra.level);
  if (b.n === 0 || c.n === 0) return { base: b, candidate: c, difference: NaN, band: floor, statistical: 0, floor, verdict: 'missing' };
  const statistical = statisticalHalfWidth(b, c, extra.within ?? {});
  const band = Math.max(statistical, floor);
  const worse = figure.worseWhen === 'higher' ? difference : -difference;
  const verdict: FigureVerdict = worse > band ? 'regressed' : worse < -band ? 'improved' : 'same';
  return { base: b, candidate: c, difference, band, statistical, floor, verdict };
}

export function noiseFloor(metric: Metric, baseCenter: number, level?: number): number {
  const rule = NOISE_FLOORS[metric];
  return Math.max(rule.absolute, rule.relative * Math.abs(Number.isFinite(baseCenter) ? baseCenter : 0), (rule.level ?? 0) * Math.abs(level ?? 0));
}

export function sideStats(values: number[]): SideStats {
  const n = values.length;
  if (n === 0) return { n, values, center: NaN, spread: NaN };
  if (n >= MEDIAN_FROM) {
    const center = median(values);
    return { n, values, center, spread: 1.4826 * median(values.map((v) => Math.abs(v - center))) };
  }
  const center = mean(values);
  const spread = n < 2 ? NaN : Math.sqrt(values.reduce((a, v) => a + (v - center) ** 2, 0) / (n - 1));
  return { n, values, center, spread };
}

/**
 * Half-width of the band the difference of centres stays within, 99 times in 100, when both sides come
 * from the same build: a Student t interval with the pooled spread of both sides (the question is "could
 * these be one build?", and under that hypothesis both sides share one spread; pooling also gives more
 * degrees of freedom than Welch's unequal-spread interval, which with 2 or 3 runs a side is too wide to
 * see anything). One-sided 99% rather than 95% because a comparison judges half a dozen figures at once:
 * at 95% each, two identical builds would show a "regression" in one comparison out of seven or so.
 * A side with one run has no spread of its own; it shares the other side's (one run against a history
 * is then a prediction interval, s·√(1/n + 1)). Two single runs have only their runs' own intervals
 * (`within`, trend slopes), else no statistical band: the floor alone decides. Medians cost √(π/2) in
 * standard error against means.
 */
function statisticalHalfWidth(b: SideStats, c: SideStats, within: { base?: number; candidate?: number }): number {
  const sumSquares = (s: SideStats) => (s.n >= 2 ? (s.n - 1) * s.spread ** 2 : 0);
  const df = Math.max(b.n - 1, 0) + Math.max(c.n - 1, 0);
  if (df > 0) {
    const pooled = (sumSquares(b) + sumSquares(c)) / df;
    const weight = (s: SideStats) => (s.n >= MEDIAN_FROM ? Math.PI / 2 : 1) / s.n;
    return tQuantile(df) * Math.sqrt(pooled * (weight(b) + weight(c)));
  }
  const known = [within.base, within.candidate].filter((w): w is number => w !== undefined && w > 0);
  if (known.length === 0) return 0;
  // A run's own interval is a 95% two-sided one: back to a standard error, then to our quantile.
  const se = Math.sqrt(known.reduce((a, w) => a + (w / 1.959964) ** 2, 0) * (2 / known.length));
  return tQuantile(Infinity) * se;
}

/** One-sided confidence of the band: see statisticalHalfWidth. */
export const CONFIDENCE = 0.99;

function tQuantile(df: number): number {
  return df === Infinity ? 2.326348 : jStat.studentt.inv(CONFIDENCE, df);
}

/** Compare all figures of the base runs with those of the candidate runs, in the base's order. */
export function compareRuns(baseRuns: Figure[][], candidateRuns: Figure[][]): FigureComparison[] {
  const first = new Map<string, Figure>();
  for (const f of [...baseRuns.flat(), ...candidateRuns.flat()]) if (!first.has(f.key)) first.set(f.key, f);
  return [...first.values()].map((figure) => {
    const pick = (runs: Figure[][]) => runs.flatMap((figs) => figs.filter((f) => f.key === figure.key));
    const [b, c] = [pick(baseRuns), pick(candidateRuns)];
    const levels = b.flatMap((f) => (f.level !== undefined ? [f.level] : []));
    const { value: _value, within: _within, level: _level, ...meta } = figure;
    return {
      ...meta,
      ...judge(
        b.map((f) => f.value),
        c.map((f) => f.value),
        figure,
        { ...(levels.length ? { level: mean(levels) } : {}), within: { base: rms(b), candidate: rms(c) } },
      ),
    };
  });
}

/** The gating figures that regressed: any one means the candidate regressed. */
export function regressions(comparisons: FigureComparison[]): FigureComparison[] {
  return comparisons.filter((c) => c.gating && c.verdict === 'regressed');
}

/**
 * One line: "geth heap in-use growth +52.0 MB (base 3.9 MB ± 0.4 MB (n=3), candidate 55.9 MB ± 0.6 MB
 * (n=3); noise band ±2.0 MB): regressed". `names` renames the sides (history: "last 5 runs", "this run").
 */
export function describe(c: FigureComparison, names: { base: string; candidate: string } = { base: 'base', candidate: 'candidate' }): string {
  const side = (s: SideStats) => `${formatValue(s.center, c.unit)}${Number.isFinite(s.spread) ? ` ± ${formatValue(s.spread, c.unit)}` : ''} (n=${s.n})`;
  if (c.verdict === 'missing') return `${figureName(c)}: only in the ${c.base.n ? names.base : names.candidate}`;
  return `${figureName(c)} ${formatValue(c.difference, c.unit, true)} (${names.base} ${side(c.base)}, ${names.candidate} ${side(c.candidate)}; noise band ±${formatValue(c.band, c.unit)}): ${c.verdict}`;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Root mean square of the runs' own half-widths, when every run has one. */
function rms(figures: Figure[]): number | undefined {
  const ws = figures.map((f) => f.within);
  if (ws.length === 0 || ws.some((w) => w === undefined)) return undefined;
  return Math.sqrt(mean(ws.map((w) => w! ** 2)));
}
