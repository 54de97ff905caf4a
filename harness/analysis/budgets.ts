/**
 * The checker: turns measured growth into pass/fail per budget, like k6 thresholds. One result per
 * budget per node (node budgets) or per run (workload objectives), each a JUnit test case.
 */
import type { Scenario } from '../scenario/schema.ts';
import type { TrendFit } from './trend.ts';
import { formatBytes } from '../scenario/units.ts';
import type { WorkloadStats } from '../workloads/workload.ts';

export interface NodeMeasurement {
  node: string;
  heapInuseBefore: number;
  heapInuseAfter: number;
  goroutinesBefore: number;
  goroutinesAfter: number;
  rssBefore: number | null;
  rssAfter: number | null;
  /** Why RSS cannot be had where the node runs (an external node: a remote process); its budget is then skipped. */
  rssAbsent?: string;
  /** Trend fits over the forced-GC cycle samples, when the phases have cycles. */
  trend?: { heapAlloc: TrendFit; goroutines: TrendFit };
}

export interface BudgetResult {
  name: string;
  /** Node name, or '*' for run-wide workload objectives. */
  node: string;
  limit: number;
  observed: number;
  unit: 'bytes' | 'percent' | 'goroutines' | 'ratio' | 'ms';
  pass: boolean;
  /** Not judged: a fault hit the node, or it was down at a snapshot. Skipped budgets never fail a run. */
  skipped?: boolean;
  /** Human-readable one-liner: "heap in-use grew +12.3 MB (limit +64 MB)". */
  message: string;
}

type Budgets = Scenario['budgets'];

/** A node the kernel's OOM killer ended (a container over its memory limit). */
export interface OomKill {
  node: string;
  /** "OOM-killed after 3m12s at 498 MB (limit 512 MB)" */
  message: string;
}

export interface OomWatch {
  /** Nodes with a memory limit: the ones `noOomKill` is judged on. */
  limited: string[];
  kills: OomKill[];
}

export function checkBudgets(budgets: Budgets, nodes: NodeMeasurement[], workloads: WorkloadStats[], notJudged: string[] = [], oom: OomWatch = { limited: [], kills: [] }): BudgetResult[] {
  const results: BudgetResult[] = [];
  const killed = new Map(oom.kills.map((k) => [k.node, k]));
  for (const name of new Set(notJudged)) {
    const why = killed.has(name) ? 'the OOM killer ended this node before the final snapshot' : 'a scenario fault hit this node during the measured window';
    for (const budget of nodeBudgetNames(budgets)) {
      results.push({ name: budget, node: name, limit: NaN, observed: NaN, unit: 'bytes', pass: true, skipped: true, message: `not judged: ${why}` });
    }
  }
  // On by default where a node has a memory limit: an OOM kill is the failure users run chainsoak to avoid.
  if (budgets.noOomKill ?? oom.limited.length > 0) {
    for (const node of new Set([...oom.limited, ...killed.keys()])) {
      const kill = killed.get(node);
      results.push({ name: 'no OOM kill', node, limit: 0, observed: kill ? 1 : 0, unit: 'ratio', pass: !kill, message: kill ? kill.message : 'not OOM-killed' });
    }
  }
  for (const m of nodes.filter((n) => !notJudged.includes(n.node))) {
    growthBudget(results, m.node, 'heap in-use growth', budgets.heapInuseGrowth, m.heapInuseBefore, m.heapInuseAfter);
    if (budgets.rssGrowth) {
      if (m.rssAbsent) {
        results.push({ name: 'rss growth', node: m.node, limit: NaN, observed: NaN, unit: 'bytes', pass: true, skipped: true, message: `not judged: ${m.rssAbsent}` });
      } else if (m.rssBefore === null || m.rssAfter === null) {
        results.push({ name: 'rss growth', node: m.node, limit: NaN, observed: NaN, unit: 'bytes', pass: false, message: 'RSS could not be read from this runtime' });
      } else {
        growthBudget(results, m.node, 'rss growth', budgets.rssGrowth, m.rssBefore, m.rssAfter);
      }
    }
    trendBudgets(results, m, budgets);
    if (budgets.goroutineGrowth !== undefined) {
      const observed = m.goroutinesAfter - m.goroutinesBefore;
      results.push(result('goroutine growth', m.node, budgets.goroutineGrowth, observed, 'goroutines', `goroutines ${m.goroutinesBefore} → ${m.goroutinesAfter} (${signed(observed)}, limit ${signed(budgets.goroutineGrowth)})`));
    }
  }
  if (budgets.errorRate !== undefined) {
    const sent = sum(workloads.map((w) => w.sent));
    const failed = sum(workloads.map((w) => w.failed));
    const observed = sent === 0 ? 0 : failed / sent;
    results.push(result('error rate', '*', budgets.errorRate, observed, 'ratio', `${failed} of ${sent} requests failed (${pct(observed)}, limit ${pct(budgets.errorRate)})`));
  }
  if (budgets.p95LatencyMs !== undefined) {
    const withLatency = workloads.filter((w) => w.latency);
    const observed = Math.max(0, ...withLatency.map((w) => w.latency!.p95Ms));
    const noData = withLatency.length === 0;
    results.push({
      ...result('p95 latency', '*', budgets.p95LatencyMs, observed, 'ms', noData ? 'no workload measured latency' : `p95 ${observed.toFixed(1)} ms (limit ${budgets.p95LatencyMs} ms)`),
      pass: !noData && observed <= budgets.p95LatencyMs,
    });
  }
  return results;
}

function nodeBudgetNames(budgets: Budgets): string[] {
  return [
    ...(budgets.heapInuseGrowth?.bytes !== undefined ? ['heap in-use growth'] : []),
    ...(budgets.heapInuseGrowth?.percent !== undefined ? ['heap in-use growth %'] : []),
    ...(budgets.rssGrowth?.bytes !== undefined ? ['rss growth'] : []),
    ...(budgets.rssGrowth?.percent !== undefined ? ['rss growth %'] : []),
    ...(budgets.goroutineGrowth !== undefined ? ['goroutine growth'] : []),
    ...(budgets.noLeakTrend ? ['heap trend', 'goroutine trend'] : []),
    ...(budgets.heapGrowthPer1kOps !== undefined ? ['heap growth per 1k ops'] : []),
    ...(budgets.goroutineGrowthPer1kOps !== undefined ? ['goroutine growth per 1k ops'] : []),
  ];
}

/**
 * Trend budgets judge the steady state, not two snapshots: a leak verdict fails `noLeakTrend`; the
 * per-operation budgets compare the last cycles' slope per 1,000 operations, and only when the trend
 * says the metric keeps rising (bounded or flat growth is zero growth per operation in the long run).
 */
function trendBudgets(out: BudgetResult[], m: NodeMeasurement, budgets: Budgets): void {
  const wanted = budgets.noLeakTrend || budgets.heapGrowthPer1kOps !== undefined || budgets.goroutineGrowthPer1kOps !== undefined;
  if (!wanted) return;
  if (!m.trend) {
    for (const name of nodeBudgetNames(budgets).filter((n) => n.includes('trend') || n.includes('per 1k'))) {
      out.push({ name, node: m.node, limit: NaN, observed: NaN, unit: 'bytes', pass: false, message: 'no trend: the node missed the cycle samples' });
    }
    return;
  }
  const { heapAlloc, goroutines } = m.trend;
  if (budgets.noLeakTrend) {
    for (const [name, fit] of [['heap trend', heapAlloc], ['goroutine trend', goroutines]] as const) {
      out.push({ name, node: m.node, limit: 0, observed: fit.verdict === 'leak' ? 1 : 0, unit: 'ratio', pass: fit.verdict !== 'leak', message: `${fit.verdict}: ${fit.message}` });
    }
  }
  const perOps = (name: string, limit: number | undefined, fit: TrendFit, unit: BudgetResult['unit'], show: (v: number) => string) => {
    if (limit === undefined) return;
    const slope = fit.tailSlopePer1kOps;
    if (slope === undefined) {
      // No operations in the steady state: nothing to divide by; only a rising metric is a problem then.
      const leak = fit.verdict === 'leak';
      out.push({ name, node: m.node, limit, observed: leak ? Infinity : 0, unit, pass: !leak, message: leak ? `rising with no operations sent over the last cycles: ${fit.message}` : `${fit.verdict}, and no operations sent over the last cycles` });
      return;
    }
    const observed = fit.verdict === 'leak' ? slope : 0;
    const why = fit.verdict === 'leak' ? `still rising: ${show(slope)} per 1k ops over the last cycles` : `${fit.verdict} (steady state ${show(slope)} per 1k ops, not significant)`;
    out.push(result(name, m.node, limit, observed, unit, `${why} (limit ${show(limit)} per 1k ops)`));
  };
  perOps('heap growth per 1k ops', budgets.heapGrowthPer1kOps, heapAlloc, 'bytes', formatBytes);
  perOps('goroutine growth per 1k ops', budgets.goroutineGrowthPer1kOps, goroutines, 'goroutines', (v) => (v >= 0 ? '+' : '') + v.toFixed(2));
}

function growthBudget(out: BudgetResult[], node: string, name: string, limit: { bytes?: number; percent?: number } | undefined, before: number, after: number): void {
  if (!limit) return;
  const growth = after - before;
  if (limit.bytes !== undefined) {
    out.push(result(name, node, limit.bytes, growth, 'bytes', `${name.replace(' growth', '')} ${formatBytes(before).replace('+', '')} → ${formatBytes(after).replace('+', '')} (${formatBytes(growth)}, limit ${formatBytes(limit.bytes)})`));
  }
  if (limit.percent !== undefined) {
    const percent = before > 0 ? (growth / before) * 100 : growth > 0 ? Infinity : 0;
    out.push(result(`${name} %`, node, limit.percent, percent, 'percent', `${name} ${percent.toFixed(1)}% (limit ${limit.percent}%)`));
  }
}

function result(name: string, node: string, limit: number, observed: number, unit: BudgetResult['unit'], message: string): BudgetResult {
  return { name, node, limit, observed, unit, pass: observed <= limit, message };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const pct = (r: number) => `${(r * 100).toFixed(2)}%`;
