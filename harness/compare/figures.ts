/**
 * The numbers two runs are compared on, read from a run summary. One figure per judged node per metric
 * plus a few run-wide ones. Keys are `<node>.<metric>` (`*` for run-wide), stable between runs of the
 * same scenario because scenario node names are; a node a fault hit is left out (its diff spans two
 * processes, so it says nothing about the build).
 */
import type { TrendFit } from '../analysis/trend.ts';
import type { NodeReport, RunSummary } from '../report/summary.ts';

export type Metric =
  | 'heapInuseGrowth'
  | 'goroutineGrowth'
  | 'rssGrowth'
  | 'heapSlopePer1kOps'
  | 'heapSlopePerCycle'
  | 'goroutineSlopePer1kOps'
  | 'goroutineSlopePerCycle'
  | 'heapTrend'
  | 'goroutineTrend'
  | 'acceptedRate'
  | 'errorRate'
  | 'p95Latency';

export type FigureUnit = 'bytes' | 'goroutines' | 'bytes/1k ops' | 'bytes/cycle' | 'goroutines/1k ops' | 'goroutines/cycle' | 'verdict' | 'ops/s' | 'ratio' | 'ms';

export interface Figure {
  /** `<node>.<metric>`, or `*.<metric>` for run-wide figures. */
  key: string;
  /** What it measures, without the node: 'heap in-use growth'. */
  label: string;
  node?: string;
  metric: Metric;
  value: number;
  unit: FigureUnit;
  worseWhen: 'higher' | 'lower';
  /** A gating figure that regressed fails a compare (exit 1) or a run judged against its history. */
  gating: boolean;
  /** The level the growth started from (heap or RSS before): big heaps jitter more, see noise.ts. */
  level?: number;
  /** 95% half-width of this one measurement, when the run itself knows it (a trend slope's interval). */
  within?: number;
}

/**
 * Trend verdicts as numbers: a leak is much worse than a plateau, so it sits further up, and the noise
 * floor of 1 (noise.ts) lets flat ↔ bounded pass as noise but not bounded → leak.
 */
export const TREND_SCORE: Readonly<Record<Exclude<TrendFit['verdict'], 'insufficient'>, number>> = { flat: 0, bounded: 1, rising: 2, leak: 3 };

export function runFigures(summary: RunSummary): Figure[] {
  return [...summary.nodes.filter((n) => !n.disrupted).flatMap(nodeFigures), ...runWideFigures(summary)];
}

function nodeFigures(node: NodeReport): Figure[] {
  const figures: Figure[] = [];
  const add = (metric: Metric, what: string, value: number, unit: FigureUnit, extra: Partial<Figure> = {}) =>
    figures.push({ key: `${node.name}.${metric}`, label: what, node: node.name, metric, value, unit, worseWhen: 'higher', gating: true, ...extra });

  add('heapInuseGrowth', 'heap in-use growth', node.heap.after.inuseBytes - node.heap.before.inuseBytes, 'bytes', { level: node.heap.before.inuseBytes });
  add('goroutineGrowth', 'goroutine growth', node.goroutines.after - node.goroutines.before, 'goroutines', { level: node.goroutines.before });
  if (node.rss.before !== null && node.rss.after !== null) add('rssGrowth', 'RSS growth', node.rss.after - node.rss.before, 'bytes', { level: node.rss.before });

  const trends: Array<[TrendFit | undefined, 'heap' | 'goroutine', 'bytes' | 'goroutines', string]> = [
    [node.trend?.heapAlloc, 'heap', 'bytes', 'heap'],
    [node.trend?.goroutines, 'goroutine', 'goroutines', 'goroutines'],
  ];
  for (const [fit, prefix, unit, what] of trends) {
    if (!fit || fit.verdict === 'insufficient') continue;
    // Per 1k operations when the workloads count them: comparable across rates and durations. The
    // fit's own interval is per cycle; operations per cycle convert it.
    const halfWidth = (fit.tailSlopeCI[1] - fit.tailSlopeCI[0]) / 2;
    if (fit.tailSlopePer1kOps !== undefined) {
      add(`${prefix}SlopePer1kOps`, `${what} tail slope per 1k ops`, fit.tailSlopePer1kOps, `${unit}/1k ops`, finite((halfWidth * 1000) / opsPerCycle(node)));
    } else {
      add(`${prefix}SlopePerCycle`, `${what} tail slope per cycle`, fit.tailSlopePerCycle, `${unit}/cycle`, finite(halfWidth));
    }
    // Shown, not gating: the verdict is a threshold on the same slope, and near the threshold it flips
    // between bounded and leak on identical builds; the slope with its interval is the figure to judge.
    add(`${prefix}Trend`, `${what} trend (flat 0, bounded 1, leak 3)`, TREND_SCORE[fit.verdict], 'verdict', { gating: false });
  }
  return figures;
}

function opsPerCycle(node: NodeReport): number {
  const points = node.trend?.points ?? [];
  const first = points[0];
  const last = points[points.length - 1];
  return first && last && last.cycle > first.cycle ? (last.ops - first.ops) / (last.cycle - first.cycle) : NaN;
}

function finite(within: number): Partial<Figure> {
  return Number.isFinite(within) ? { within } : {};
}

function runWideFigures(summary: RunSummary): Figure[] {
  const workloads = summary.workloads;
  const sent = sum(workloads.map((w) => w.sent));
  if (sent === 0) return [];
  const figures: Figure[] = [];
  const add = (metric: Metric, label: string, value: number, unit: FigureUnit, worseWhen: Figure['worseWhen']) =>
    figures.push({ key: `*.${metric}`, label, metric, value, unit, worseWhen, gating: true });

  // Workloads of one phase run side by side, phases one after another: the measured time is the sum
  // over phases of each phase's longest workload window.
  const windowMs = new Map<string, number>();
  for (const w of workloads) windowMs.set(w.phase, Math.max(windowMs.get(w.phase) ?? 0, w.durationMs));
  const totalMs = sum([...windowMs.values()]);
  if (totalMs > 0) add('acceptedRate', 'accepted rate', sum(workloads.map((w) => w.accepted)) / (totalMs / 1000), 'ops/s', 'lower');
  add('errorRate', 'error rate', sum(workloads.map((w) => w.failed)) / sent, 'ratio', 'higher');
  const p95s = workloads.flatMap((w) => (w.latency ? [w.latency.p95Ms] : []));
  if (p95s.length) add('p95Latency', 'p95 latency (worst workload)', Math.max(...p95s), 'ms', 'higher');
  return figures;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** What compare and history keep of a run besides its verdict: its nodes and its figures. */
export function runRecord(summary: RunSummary): { nodes: Array<{ name: string; flavor: string; version: string; binary: string }>; figures: Figure[] } {
  return {
    nodes: summary.nodes.map((n) => ({ name: n.name, flavor: n.flavor, version: n.version, binary: n.binary })),
    figures: summary.verdict === 'error' ? [] : runFigures(summary),
  };
}
