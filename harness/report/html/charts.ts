/**
 * Time-series chart specs for the report: per node heap, goroutines and memory outside the heap; run-wide
 * transaction rate and p95 latency. Built here in Node as plain arrays; client.js hands them to uPlot.
 * Each series is its own [x[], y[]] table, joined in the browser with uPlot.join: a null there is a gap
 * (a node that was down), while points missing only because another series has an x there are spanned.
 */
import type { NodeReport, RunSummary, ThroughputPoint } from '../summary.ts';
import type { Sample } from '../../probes/sampler.ts';
import { fitLine, MIN_TREND_POINTS, tailLength, type TrendFit, type TrendPoint } from '../../analysis/trend.ts';
import { esc, slugify } from './escape.ts';
import { bytes, count } from './format.ts';

export type ChartUnit = 'bytes' | 'count' | 'rate' | 'ms';

export interface SeriesSpec {
  label: string;
  color: string;
  /** Markers only, no line (forced-GC samples). */
  points?: boolean;
  dash?: number[];
  /** Seconds since the run started. */
  x: number[];
  y: Array<number | null>;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** Trend verdict line under the title, when the node has trend data. */
  subtitle?: string;
  /** A trend fit of this chart says leak: the subtitle is shown in red. */
  leak?: boolean;
  /** It says rising, unattributed: the subtitle is shown in amber. */
  rising?: boolean;
  node?: string;
  unit: ChartUnit;
  series: SeriesSpec[];
}

export interface PhaseBand {
  name: string;
  /** seconds */
  start: number;
  end: number;
}

export interface Marker {
  /** seconds */
  t: number;
  label: string;
}

export interface ChartData {
  charts: ChartSpec[];
  /** Seconds: the x axis runs from 0 to here on every chart. */
  end: number;
  bands: PhaseBand[];
  faults: Marker[];
}

const COLORS = {
  heapInuse: '#1f5fbf',
  heapAlloc: '#7aa6e0',
  floor: '#0b7a3e',
  forced: '#b8004a',
  goroutines: '#6a3d9a',
  rss: '#c25400',
  sys: '#8a6d00',
  cgroup: '#008b8b',
  cache: '#9aa5b1',
  projection: '#b8004a',
  accepted: '#0b7a3e',
  failed: '#c0162c',
  p95: '#6a3d9a',
};

export function chartData(summary: RunSummary, samples: Sample[]): ChartData {
  // A loop, not Math.max(...spread): a day-long soak has more samples than a call has arguments.
  let endMs = summary.durationMs || 0;
  for (const s of samples) endMs = Math.max(endMs, s.t);
  for (const p of summary.throughput ?? []) endMs = Math.max(endMs, p.t);
  const end = endMs / 1000;
  const charts: ChartSpec[] = [];
  for (const name of nodeNames(summary, samples)) {
    const own = samples.filter((s) => s.node === name).sort((a, b) => a.t - b.t);
    const report = summary.nodes.find((n) => n.name === name);
    if (own.length === 0 && !report) continue;
    charts.push(...nodeCharts(name, own, report, summary));
  }
  charts.push(...throughputCharts(summary.throughput ?? []));
  return { charts, end: Math.ceil(end * 1.01), bands: phaseBands(summary, end), faults: faultMarkers(summary) };
}

/** Nodes in the order the summary lists them, then any that only have samples (a run that failed early). */
export function nodeNames(summary: RunSummary, samples: Sample[]): string[] {
  const names = summary.nodes.map((n) => n.name);
  for (const s of samples) if (!names.includes(s.node)) names.push(s.node);
  return names;
}

function nodeCharts(name: string, own: Sample[], report: NodeReport | undefined, summary: RunSummary): ChartSpec[] {
  const slug = slugify(name);
  const floor = heapFloor(own);
  // Gaps are found on every sample, then each stretch between gaps is thinned on its own: thinned
  // samples are irregular and would look like gaps themselves.
  const withGaps = splitAtGaps(own).flatMap((run, i) => [...(i > 0 ? [null] : []), ...decimate(run, Math.ceil((MAX_POINTS * run.length) / own.length))]);
  const xs = withGaps.map((s) => (s ? s.t / 1000 : null));
  const series = (label: string, color: string, pick: (s: Sample) => number | null, dash?: number[]): SeriesSpec => {
    const x: number[] = [];
    const y: Array<number | null> = [];
    withGaps.forEach((s, i) => {
      x.push(xs[i] ?? (gapX(withGaps, i) as number));
      y.push(s ? pick(s) : null);
    });
    return { label, color, x, y, ...(dash ? { dash } : {}) };
  };
  const floorSeries = series('heap floor (lowest HeapAlloc over the last 2 GCs)', COLORS.floor, (s) => floor.get(s) ?? null, [6, 4]);

  const trend = report?.trend;
  const heapPoints = forcedGcPoints(report, summary, 'heap');
  const goroutinePoints = forcedGcPoints(report, summary, 'goroutines');
  const heap: ChartSpec = {
    id: `chart-${slug}-heap`,
    title: `${name}: Go heap`,
    ...(trend ? { subtitle: trendLine('post-GC heap floor', trend.heapAlloc, 'bytes'), leak: trend.heapAlloc.verdict === 'leak', rising: trend.heapAlloc.verdict === 'rising' } : {}),
    node: name,
    unit: 'bytes',
    series: [
      series('HeapInuse', COLORS.heapInuse, (s) => s.heapInuse),
      series('HeapAlloc', COLORS.heapAlloc, (s) => s.heapAlloc),
      floorSeries,
      ...(heapPoints.x.length ? [{ label: trend ? 'post-GC heap (snapshots and cycle ends)' : 'post-GC heap (snapshots)', color: COLORS.forced, points: true, ...heapPoints }] : []),
      ...(trend ? projectionSeries(trend.points, trend.heapAlloc) : []),
    ],
  };
  const goroutines: ChartSpec = {
    id: `chart-${slug}-goroutines`,
    title: `${name}: goroutines`,
    ...(trend ? { subtitle: trendLine('goroutines', trend.goroutines, 'count'), leak: trend.goroutines.verdict === 'leak' } : {}),
    node: name,
    unit: 'count',
    series: [
      series('goroutines', COLORS.goroutines, (s) => s.goroutines),
      ...(goroutinePoints.x.length ? [{ label: trend ? 'snapshots and cycle ends' : 'snapshots', color: COLORS.forced, points: true, ...goroutinePoints }] : []),
    ],
  };
  // A container's cgroup counts what its memory limit (and the OOM killer) judges: usage and page cache.
  const inContainer = own.some((s) => s.container);
  const memory: ChartSpec = {
    id: `chart-${slug}-memory`,
    title: inContainer
      ? `${name}: the container's memory (cgroup) and RSS and Sys against the heap (the gap is memory outside the Go heap)`
      : `${name}: RSS and Sys against the heap (the gap is memory outside the Go heap)`,
    ...(trend?.rss || trend?.sys
      ? {
          subtitle: [trend.rss && trendLine('RSS', trend.rss, 'bytes'), trend.sys && trendLine('Sys', trend.sys, 'bytes')].filter(Boolean).join(' · '),
          leak: trend.rss?.verdict === 'leak' || trend.sys?.verdict === 'leak',
        }
      : {}),
    node: name,
    unit: 'bytes',
    series: [
      ...(inContainer
        ? [
            series('container usage (cgroup)', COLORS.cgroup, (s) => s.container?.usageBytes ?? null),
            series('container page cache', COLORS.cache, (s) => s.container?.cacheBytes ?? null, [2, 2]),
          ]
        : []),
      series(inContainer ? 'RSS (cgroup anonymous memory)' : 'RSS', COLORS.rss, (s) => s.rss),
      series('Sys', COLORS.sys, (s) => s.sys),
      series('HeapInuse', COLORS.heapInuse, (s) => s.heapInuse, [4, 3]),
    ],
  };
  return [heap, goroutines, memory];
}

/**
 * The floor's steady-state line: the least-squares fit of the tail points against time (the one the
 * projection comes from), drawn over the tail and on for a quarter of the run, labelled with the
 * projection per day (and to the limit, where there is one).
 */
function projectionSeries(points: readonly TrendPoint[], fit: TrendFit): SeriesSpec[] {
  if (!fit.projection || points.length < MIN_TREND_POINTS) return [];
  const tail = points.slice(-tailLength(points.length));
  const line = fitLine(tail.map((p) => p.t), tail.map((p) => p.heapAlloc));
  const start = tail[0]!.t;
  const end = points[points.length - 1]!.t;
  const ahead = end + (end - points[0]!.t) / 4;
  const at = (t: number) => line.intercept + line.slope * t;
  return [{ label: `steady-state line: ${fit.projection.message}`, color: COLORS.projection, dash: [2, 3], x: [start / 1000, end / 1000, ahead / 1000], y: [at(start), at(end), at(ahead)] }];
}

function trendLine(what: string, fit: TrendFit, unit: 'bytes' | 'count'): string {
  const f = (n: number) => (unit === 'bytes' ? bytes(n) : count(Math.round(n * 100) / 100));
  const sign = (n: number) => (n > 0 ? '+' : '');
  // A fit over too few points has an infinite interval, which JSON turns into null: both print as '–'.
  const line = `${what} trend: ${fit.verdict} — slope ${sign(fit.slopePerCycle)}${f(fit.slopePerCycle)}/cycle, tail ${sign(fit.tailSlopePerCycle)}${f(fit.tailSlopePerCycle)}/cycle (95% CI ${f(fit.tailSlopeCI[0])} … ${f(fit.tailSlopeCI[1])})`;
  return fit.message ? `${line}. ${fit.message}` : line;
}

/**
 * Forced-GC figures: the before/after (and released) snapshots, plus the trend points after each cycle.
 * These are the honest post-GC floor; the sampled HeapInuse in between includes garbage not yet collected.
 */
function forcedGcPoints(report: NodeReport | undefined, summary: RunSummary, what: 'heap' | 'goroutines'): { x: number[]; y: number[] } {
  if (!report) return { x: [], y: [] };
  const byT = new Map<number, number>();
  const snapshotAt = (label: string) => summary.events.find((e) => e.kind === 'snapshot' && e.detail === label)?.t;
  const add = (t: number | undefined, v: number | undefined) => {
    if (t !== undefined && v !== undefined && Number.isFinite(v)) byT.set(t / 1000, v);
  };
  if (what === 'heap') {
    add(snapshotAt('before'), report.heap.before.memstats.HeapAlloc);
    add(snapshotAt('after'), report.heap.after.memstats.HeapAlloc);
    add(snapshotAt('released'), report.released?.inuseBytes);
    for (const p of report.trend?.points ?? []) add(p.t, p.heapAlloc);
  } else {
    add(snapshotAt('before'), report.goroutines.before);
    add(snapshotAt('after'), report.goroutines.after);
    add(snapshotAt('released'), report.released?.goroutines);
    for (const p of report.trend?.points ?? []) add(p.t, p.goroutines);
  }
  const x = [...byT.keys()].sort((a, b) => a - b);
  return { x, y: x.map((t) => byT.get(t)!) };
}

/**
 * The heap floor between forced GCs: the lowest HeapAlloc seen since two GCs ago. A window that spans a
 * completed GC cycle contains a sample taken soon after a collection, so its minimum tracks the live heap
 * while HeapInuse saw-tooths with garbage. A restarted node (NumGC went down) starts a new window.
 */
function heapFloor(own: Sample[]): Map<Sample, number> {
  const floor = new Map<Sample, number>();
  for (let i = 0; i < own.length; i++) {
    const s = own[i]!;
    let min = s.heapAlloc;
    // Bounded lookback: a node that never collects (GOGC=off) must not make this quadratic.
    for (let j = i - 1; j >= Math.max(0, i - 500); j--) {
      const p = own[j]!;
      if (p.numGC > s.numGC || s.numGC - p.numGC > 2) break;
      min = Math.min(min, p.heapAlloc);
    }
    floor.set(s, min);
  }
  return floor;
}

/** Per node and chart, at most about this many points: beyond it a long soak's page gets slow and large. */
const MAX_POINTS = 3000;

/**
 * A long run's samples thinned to about MAX_POINTS, keeping in each time bucket the samples with the
 * lowest and highest HeapInuse and the most goroutines, so peaks and the floor survive; event-triggered
 * samples (blocks, peer peaks) are thinned like the rest.
 */
function decimate(own: Sample[], max: number): Sample[] {
  if (own.length <= max) return own;
  const buckets = Math.max(1, Math.floor(max / 3));
  const size = own.length / buckets;
  const kept: Sample[] = [];
  for (let b = 0; b < buckets; b++) {
    const slice = own.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (slice.length === 0) continue;
    let lo = slice[0]!;
    let hi = slice[0]!;
    let most = slice[0]!;
    for (const s of slice) {
      if (s.heapInuse < lo.heapInuse) lo = s;
      if (s.heapInuse > hi.heapInuse) hi = s;
      if (s.goroutines > most.goroutines) most = s;
    }
    kept.push(...new Set([lo, hi, most]));
  }
  return kept.sort((a, b) => a.t - b.t);
}

/** Stretches of samples split where two are much further apart than usual (the node was down or paused). */
function splitAtGaps(own: Sample[]): Sample[][] {
  const steps = own.slice(1).map((s, i) => s.t - own[i]!.t).filter((d) => d > 0).sort((a, b) => a - b);
  const typical = steps.length ? steps[Math.floor(steps.length / 2)]! : 0;
  const runs: Sample[][] = [];
  own.forEach((s, i) => {
    if (i === 0 || (typical > 0 && s.t - own[i - 1]!.t > Math.max(3 * typical, typical + 3000))) runs.push([]);
    runs.at(-1)!.push(s);
  });
  return runs;
}

/** x of an inserted gap: halfway between its neighbours. */
function gapX(list: Array<Sample | null>, i: number): number {
  return (list[i - 1]!.t + list[i + 1]!.t) / 2000;
}

function throughputCharts(points: ThroughputPoint[]): ChartSpec[] {
  if (points.length < 2) return [];
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const x: number[] = [];
  const accepted: Array<number | null> = [];
  const failed: Array<number | null> = [];
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i]!;
    const q = sorted[i - 1]!;
    const dt = (p.t - q.t) / 1000;
    if (dt <= 0) continue;
    x.push(p.t / 1000);
    accepted.push(Math.max(0, p.accepted - q.accepted) / dt);
    failed.push(Math.max(0, p.failed - q.failed) / dt);
  }
  const latencyX = sorted.map((p) => p.t / 1000);
  return [
    {
      id: 'chart-run-rate',
      title: 'run: workload rate',
      unit: 'rate',
      series: [
        { label: 'accepted/s', color: COLORS.accepted, x, y: accepted },
        { label: 'failed/s', color: COLORS.failed, x: [...x], y: failed },
      ],
    },
    {
      id: 'chart-run-latency',
      title: 'run: p95 submission latency',
      unit: 'ms',
      series: [{ label: 'p95', color: COLORS.p95, x: latencyX, y: sorted.map((p) => p.p95Ms) }],
    },
  ];
}

/** Phase bands from the run's 'phase' events ("flood (60 s)"); before the first one, setup. */
function phaseBands(summary: RunSummary, end: number): PhaseBand[] {
  const starts = summary.events
    .filter((e) => e.kind === 'phase')
    .map((e) => ({ t: e.t / 1000, name: /^(.*) \(\d+ s\)$/.exec(e.detail ?? '')?.[1] ?? e.detail ?? 'phase' }));
  const bands: PhaseBand[] = [];
  if (starts.length === 0 || starts[0]!.t > 0) bands.push({ name: 'setup', start: 0, end: starts[0]?.t ?? end });
  starts.forEach((s, i) => bands.push({ name: s.name, start: s.t, end: starts[i + 1]?.t ?? end }));
  return bands.filter((b) => b.end > b.start);
}

function faultMarkers(summary: RunSummary): Marker[] {
  return summary.events.filter((e) => e.kind === 'fault').map((e) => ({ t: e.t / 1000, label: e.detail ?? 'fault' }));
}

/** The section holding the chart containers; client.js fills them. */
export function chartsSection(data: ChartData, summary: RunSummary, samples: Sample[]): string {
  const parts: string[] = ['<section id="charts"><h2>Over time</h2>'];
  parts.push('<p class="note">Shaded bands are phases; red dashed lines are injected faults; filled dots are forced-GC figures (snapshots, and cycle ends when the scenario has cycles). Drag to zoom, double-click to reset.</p>');
  if (data.charts.length === 0) parts.push('<p class="empty">No runtime samples were recorded.</p>');
  let group: string | null = null;
  for (const chart of data.charts) {
    const next = chart.node ?? '';
    if (next !== group) {
      group = next;
      if (chart.node === undefined) parts.push('<h3>Run</h3>');
      else {
        const report = summary.nodes.find((n) => n.name === chart.node);
        const count = samples.filter((s) => s.node === chart.node).length;
        parts.push(`<h3>${esc(chart.node)}${report?.disrupted ? ' <span class="tag warn">disrupted</span>' : ''} <span class="muted">${count} samples</span></h3>`);
      }
    }
    parts.push(
      `<figure class="chart" data-chart="${esc(chart.id)}"><figcaption>${esc(chart.title)}${chart.subtitle ? `<br><span class="trend${chart.leak ? ' leak' : chart.rising ? ' rising' : ''}">${esc(chart.subtitle)}</span>` : ''}</figcaption><div class="plot" id="${esc(chart.id)}"></div></figure>`,
    );
  }
  if ((summary.throughput?.length ?? 0) < 2) parts.push('<p class="empty">No throughput series in this summary (no workload ran, or the run ended before one).</p>');
  parts.push('</section>');
  return parts.join('\n');
}
