/**
 * Every budget, one row each: the scenario field, the result names it produces, what it reads, how it
 * judges, and the check itself. The scenario schema is built from `schema`, the bench and the reports
 * read names, `reads` and `judges`; adding a budget is adding a row.
 *
 * Trend budgets judge the steady state, not two snapshots. A heap floor that rises with nothing the
 * profiles can show ('rising', unattributed) passes them with a warning, unless `noLeakTrend: 'strict'`.
 */
import { z } from 'zod';
import { size, span } from '../scenario/fields.ts';
import { formatBytes } from '../scenario/units.ts';
import type { BudgetResult, ProvenLeaks, TrendFit, WorkloadStats } from '../result/types.ts';
import { describeProvenLeaks } from './proven-leaks.ts';
import { daysText } from './trend.ts';

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
  /** A node built with `provenLeaks: true`: what its goroutine leak profiles proved. */
  provenLeaks?: ProvenLeaks;
}

/** The budgets object as the schema gives it (each field optional). */
type Budgets = { [K in BudgetKey]?: unknown } & { noLeakTrend?: boolean | 'strict' };

export interface CheckContext {
  budgets: Budgets;
  /** The node judged (node budgets). */
  node?: NodeMeasurement;
  workloads: WorkloadStats[];
}

export interface BudgetSpec<S extends z.ZodType = z.ZodType> {
  /** The scenario field (budgets.<key>); null for results made elsewhere (history, OOM kills). */
  key: BudgetKey | null;
  /** Result names this budget produces for a given limit. */
  names: (limit: z.output<S>) => string[];
  scope: 'node' | 'run';
  unit: BudgetResult['unit'];
  /** What it reads, for the reports and docs/budgets.md. */
  reads: string;
  /** How it judges. */
  judges: string;
  /** Judged on the cycles' trend: the phases need cycles. */
  needsTrend?: boolean;
  /** About how the node ended, so judged for nodes without both snapshots too (checkBudgets does it). */
  judgesUnmeasured?: true;
  /** On without being asked for this node (false in the scenario turns it off): the limit it then has. */
  byDefault?: (node: NodeMeasurement) => unknown;
  schema: S;
  check: (limit: z.output<S>, ctx: CheckContext) => BudgetResult[];
}

const growth = z
  .strictObject({
    /** Absolute growth allowed, after minus before. */
    bytes: size.optional(),
    /** Growth allowed relative to before, in percent. */
    percent: z.number().min(0).optional(),
  })
  // `{}` would judge nothing, and a run could never fail on it.
  .refine((g) => g.bytes !== undefined || g.percent !== undefined, { message: 'needs a limit: bytes, percent or both' });
type Growth = z.output<typeof growth>;

/** Each budget's scenario field, as the scenario schema takes it (every one optional there). */
export const BUDGET_SCHEMAS = {
  heapInuseGrowth: growth,
  goroutineGrowth: z.number().int().min(0),
  rssGrowth: growth,
  noLeakTrend: z.union([z.boolean(), z.literal('strict')]),
  heapGrowthPer1kOps: size,
  goroutineGrowthPer1kOps: z.number().min(0),
  maxGrowthPerDay: size,
  oomAfter: z.strictObject({ limit: size.optional(), atLeast: span }),
  errorRate: z.number().min(0).max(1),
  p95LatencyMs: z.number().positive(),
  noOomKill: z.boolean(),
  noProvenLeaks: z.boolean(),
} as const;

export type BudgetKey = keyof typeof BUDGET_SCHEMAS;

const growthNames = (name: string) => (limit: Growth) => [...(limit.bytes !== undefined ? [name] : []), ...(limit.percent !== undefined ? [`${name} %`] : [])];

function row<S extends z.ZodType>(spec: BudgetSpec<S>): BudgetSpec {
  return spec as unknown as BudgetSpec;
}

/** True when the scenario asks 'rising' (unattributed) floors to fail like leaks. */
const strict = (ctx: CheckContext) => ctx.budgets.noLeakTrend === 'strict';

export const BUDGETS: readonly BudgetSpec[] = [
  row({
    key: 'heapInuseGrowth',
    names: growthNames('heap in-use growth'),
    scope: 'node',
    unit: 'bytes',
    reads: "inuse_space of the forced-GC heap profiles 'before' and 'after'",
    judges: 'after − before ≤ bytes; or as a percentage of before',
    schema: BUDGET_SCHEMAS.heapInuseGrowth,
    check: (limit, { node: m }) => growthResults(m!.node, 'heap in-use growth', limit, m!.heapInuseBefore, m!.heapInuseAfter),
  }),
  row({
    key: 'goroutineGrowth',
    names: () => ['goroutine growth'],
    scope: 'node',
    unit: 'goroutines',
    reads: "the goroutine profiles 'before' and 'after' (goroutineIgnore left out)",
    judges: 'after − before ≤ limit',
    schema: BUDGET_SCHEMAS.goroutineGrowth,
    check: (limit, { node: m }) => {
      const observed = m!.goroutinesAfter - m!.goroutinesBefore;
      return [result('goroutine growth', m!.node, limit, observed, 'goroutines', `goroutines ${m!.goroutinesBefore} → ${m!.goroutinesAfter} (${signed(observed)}, limit ${signed(limit)})`)];
    },
  }),
  row({
    key: 'rssGrowth',
    names: growthNames('rss growth'),
    scope: 'node',
    unit: 'bytes',
    reads: "the node's resident set size (a container's anonymous memory) at 'before' and 'after'",
    judges: 'after − before ≤ bytes; or as a percentage of before',
    schema: BUDGET_SCHEMAS.rssGrowth,
    check: (limit, { node: m }) => {
      if (m!.rssAbsent) return [{ name: 'rss growth', node: m!.node, limit: NaN, observed: NaN, unit: 'bytes', pass: true, skipped: true, message: `not judged: ${m!.rssAbsent}` }];
      if (m!.rssBefore === null || m!.rssAfter === null) return [{ name: 'rss growth', node: m!.node, limit: NaN, observed: NaN, unit: 'bytes', pass: false, message: 'RSS could not be read from this runtime' }];
      return growthResults(m!.node, 'rss growth', limit, m!.rssBefore, m!.rssAfter);
    },
  }),
  row({
    key: 'noLeakTrend',
    names: () => ['heap trend', 'goroutine trend'],
    scope: 'node',
    unit: 'ratio',
    reads: 'the post-GC heap floor and goroutines after each cycle; the tail cycles\' heap profiles for the evidence',
    judges: "fails on 'leak' (the floor still rises and the profiles show the sites); 'rising' with nothing attributable warns, or fails when 'strict'",
    needsTrend: true,
    schema: BUDGET_SCHEMAS.noLeakTrend,
    check: (limit, ctx) => {
      if (!limit) return [];
      const trend = needTrend(ctx, ['heap trend', 'goroutine trend']);
      if (!Array.isArray(trend)) {
        return ([['heap trend', trend.heapAlloc], ['goroutine trend', trend.goroutines]] as const).map(([name, fit]) => {
          const fails = fit.verdict === 'leak' || (fit.verdict === 'rising' && strict(ctx));
          return { name, node: ctx.node!.node, limit: 0, observed: fails ? 1 : 0, unit: 'ratio' as const, pass: !fails, message: `${fit.verdict}: ${fit.message}`, ...risingWarning(fit, ctx) };
        });
      }
      return trend;
    },
  }),
  row({
    key: 'heapGrowthPer1kOps',
    names: () => ['heap growth per 1k ops'],
    scope: 'node',
    unit: 'bytes',
    reads: "the heap floor's slope over the last cycles against the operations the node received",
    judges: 'slope per 1,000 operations ≤ limit when the floor keeps rising (bounded or flat growth is 0 per operation)',
    needsTrend: true,
    schema: BUDGET_SCHEMAS.heapGrowthPer1kOps,
    check: (limit, ctx) => perOps(ctx, 'heap growth per 1k ops', limit, 'heapAlloc', 'bytes', formatBytes),
  }),
  row({
    key: 'goroutineGrowthPer1kOps',
    names: () => ['goroutine growth per 1k ops'],
    scope: 'node',
    unit: 'goroutines',
    reads: 'the goroutine count\'s slope over the last cycles against the operations the node received',
    judges: 'slope per 1,000 operations ≤ limit when goroutines keep rising',
    needsTrend: true,
    schema: BUDGET_SCHEMAS.goroutineGrowthPer1kOps,
    check: (limit, ctx) => perOps(ctx, 'goroutine growth per 1k ops', limit, 'goroutines', 'goroutines', (v) => (v >= 0 ? '+' : '') + v.toFixed(2)),
  }),
  row({
    key: 'maxGrowthPerDay',
    names: () => ['heap growth per day'],
    scope: 'node',
    unit: 'bytes',
    reads: "the heap floor's slope over the last cycles against time, projected to a day",
    judges: 'projected growth per day ≤ limit when the floor keeps rising',
    needsTrend: true,
    schema: BUDGET_SCHEMAS.maxGrowthPerDay,
    check: (limit, ctx) => {
      const trend = needTrend(ctx, ['heap growth per day']);
      if (Array.isArray(trend)) return trend;
      const fit = trend.heapAlloc;
      const perDay = fit.projection?.perDay ?? 0;
      const judged = judgedRising(fit, ctx);
      const text = `${formatBytes(perDay)} per day (95% CI ${formatBytes(fit.projection?.perDayCI[0] ?? 0)}..${formatBytes(fit.projection?.perDayCI[1] ?? 0)})`;
      const why = judged ? `${fit.verdict}: ${text}` : fit.verdict === 'rising' ? `rising, unattributed: ${text}, not judged without evidence (noLeakTrend: 'strict' would)` : `${fit.verdict}, so no steady growth (the tail's slope is ${text})`;
      return [{ ...result('heap growth per day', ctx.node!.node, limit, judged ? perDay : 0, 'bytes', `${why} (limit ${formatBytes(limit)} per day)`), ...risingWarning(fit, ctx, perDay > limit) }];
    },
  }),
  row({
    key: 'oomAfter',
    names: () => ['time to OOM'],
    scope: 'node',
    unit: 'days',
    reads: "the heap floor's slope per day, the node's memory at the end of the run, and the limit (oomAfter.limit, else the node's memLimit)",
    judges: 'days until the node reaches the limit ≥ atLeast when the floor keeps rising',
    needsTrend: true,
    schema: BUDGET_SCHEMAS.oomAfter,
    check: (limit, ctx) => {
      const trend = needTrend(ctx, ['time to OOM']);
      if (Array.isArray(trend)) return trend;
      const fit = trend.heapAlloc;
      const atLeast = limit.atLeast / 86_400_000;
      const days = fit.projection?.daysToLimit;
      const judged = judgedRising(fit, ctx) && days !== undefined;
      const observed = judged ? days : Infinity;
      const message = judged ? fit.projection!.message : `${fit.verdict}: no date to OOM (${fit.projection?.message ?? 'no projection'})`;
      return [{ name: 'time to OOM', node: ctx.node!.node, limit: atLeast, observed, unit: 'days', pass: observed >= atLeast, message: `${message} (at least ${daysText(atLeast)})`, ...risingWarning(fit, ctx, days !== undefined && days < atLeast) }];
    },
  }),
  row({
    key: 'errorRate',
    names: () => ['error rate'],
    scope: 'run',
    unit: 'ratio',
    reads: 'failed / sent over all workloads',
    judges: 'ratio ≤ limit (0..1)',
    schema: BUDGET_SCHEMAS.errorRate,
    check: (limit, { workloads }) => {
      const sent = sum(workloads.map((w) => w.sent));
      const failed = sum(workloads.map((w) => w.failed));
      const observed = sent === 0 ? 0 : failed / sent;
      return [result('error rate', '*', limit, observed, 'ratio', `${failed} of ${sent} requests failed (${pct(observed)}, limit ${pct(limit)})`)];
    },
  }),
  row({
    key: 'p95LatencyMs',
    names: () => ['p95 latency'],
    scope: 'run',
    unit: 'ms',
    reads: "the worst p95 submission latency among the workloads, ms",
    judges: 'p95 ≤ limit; no workload measuring latency fails',
    schema: BUDGET_SCHEMAS.p95LatencyMs,
    check: (limit, { workloads }) => {
      const withLatency = workloads.filter((w) => w.latency);
      const observed = Math.max(0, ...withLatency.map((w) => w.latency!.p95Ms));
      const noData = withLatency.length === 0;
      return [{ ...result('p95 latency', '*', limit, observed, 'ms', noData ? 'no workload measured latency' : `p95 ${observed.toFixed(1)} ms (limit ${limit} ms)`), pass: !noData && observed <= limit }];
    },
  }),
  row({
    key: 'noOomKill',
    names: () => ['no OOM kill'],
    scope: 'node',
    unit: 'ratio',
    reads: "the runtime's exit report of nodes with a memLimit (the kernel's OOM killer)",
    judges: 'fails when the node was OOM-killed; on by default with memLimit, false only reports it',
    judgesUnmeasured: true,
    schema: BUDGET_SCHEMAS.noOomKill,
    check: () => [], // judged in checkBudgets: it covers nodes that never reached the 'after' snapshot
  }),
  row({
    key: 'noProvenLeaks',
    names: () => ['proven goroutine leaks'],
    scope: 'node',
    unit: 'goroutines',
    reads: "the goroutine leak profile (/debug/pprof/goroutineleak) of nodes built with provenLeaks: goroutines the GC proved blocked forever",
    judges: "fails on any goroutine proven leaked that was not at 'before' (goroutineIgnore left out); on by default with provenLeaks",
    schema: BUDGET_SCHEMAS.noProvenLeaks,
    byDefault: (m) => (m.provenLeaks ? true : undefined),
    check: (limit, { node: m }) => {
      if (!limit || !m!.provenLeaks) return [];
      const leaks = m!.provenLeaks;
      return [{ name: 'proven goroutine leaks', node: m!.node, limit: 0, observed: leaks.newSinceBefore, unit: 'goroutines', pass: leaks.newSinceBefore === 0, message: describeProvenLeaks(leaks) }];
    },
  }),
  row({
    key: null,
    names: () => ['history: <figure>'],
    scope: 'run',
    unit: 'ratio',
    reads: 'the run\'s figures against the last N runs of the scenario in the history file (--against-history N)',
    judges: "fails when a gating figure is beyond the history's noise band, worse side",
    schema: z.never(),
    check: () => [],
  }),
];

/** The row behind a result name ('heap in-use growth %' → heapInuseGrowth, 'history: …' → history). */
export function budgetSpecOf(resultName: string): BudgetSpec | undefined {
  if (resultName.startsWith('history')) return BUDGETS.find((b) => b.key === null);
  const base = resultName.replace(/ %$/, '');
  return BUDGETS.find((b) => b.key && resultNames(b).some((n) => n === base || n === resultName));
}

/** Every result name a row can produce (each limit form given), without a scenario: for reports and the docs test. */
export function resultNames(spec: BudgetSpec): string[] {
  return spec.names(spec.key ? PROBE[spec.key] : undefined);
}

/** A limit each row accepts, to list its names without a scenario. */
const PROBE: Record<BudgetKey, unknown> = {
  heapInuseGrowth: { bytes: 0, percent: 0 },
  goroutineGrowth: 0,
  rssGrowth: { bytes: 0, percent: 0 },
  noLeakTrend: true,
  heapGrowthPer1kOps: 0,
  goroutineGrowthPer1kOps: 0,
  maxGrowthPerDay: 0,
  oomAfter: { atLeast: 0 },
  errorRate: 0,
  p95LatencyMs: 1,
  noOomKill: true,
  noProvenLeaks: true,
};

/** Every result name a budgets object produces per node. */
export function nodeBudgetNames(budgets: Budgets): string[] {
  return BUDGETS.filter((b) => b.scope === 'node' && b.key && budgets[b.key] !== undefined).flatMap((b) => b.names(budgets[b.key!]));
}

/** The trend fits, or the failed results a node without them gets. */
function needTrend(ctx: CheckContext, names: string[]): NonNullable<NodeMeasurement['trend']> | BudgetResult[] {
  if (ctx.node!.trend) return ctx.node!.trend;
  return names.map((name) => ({ name, node: ctx.node!.node, limit: NaN, observed: NaN, unit: 'bytes' as const, pass: false, message: 'no trend: the node missed the cycle samples' }));
}

/** A rate budget judges the slope only when the metric keeps rising with evidence (or strictly, without). */
const judgedRising = (fit: TrendFit, ctx: CheckContext) => fit.verdict === 'leak' || (fit.verdict === 'rising' && strict(ctx));

/** A 'rising' floor passes with a warning saying what it would have failed on and what would settle it. */
function risingWarning(fit: TrendFit, ctx: CheckContext, wouldFail = true): { warning?: string } {
  if (fit.verdict !== 'rising' || strict(ctx) || !wouldFail) return {};
  const advice = fit.advice?.length ? `; ${fit.advice.join('; ')}` : '';
  return { warning: `rising, unattributed: ${fit.projection?.message ?? fit.message}${advice}` };
}

function perOps(ctx: CheckContext, name: string, limit: number, metric: 'heapAlloc' | 'goroutines', unit: BudgetResult['unit'], show: (v: number) => string): BudgetResult[] {
  const trend = needTrend(ctx, [name]);
  if (Array.isArray(trend)) return trend;
  const fit = trend[metric];
  const node = ctx.node!.node;
  const slope = fit.tailSlopePer1kOps;
  const rising = judgedRising(fit, ctx);
  if (slope === undefined) {
    // No operations in the steady state: nothing to divide by; only a rising metric is a problem then.
    return [{ name, node, limit, observed: rising ? Infinity : 0, unit, pass: !rising, message: rising ? `rising with no operations sent over the last cycles: ${fit.message}` : `${fit.verdict}, and no operations sent over the last cycles`, ...risingWarning(fit, ctx) }];
  }
  const why = rising
    ? `still rising: ${show(slope)} per 1k ops over the last cycles`
    : fit.verdict === 'rising'
      ? `rising, unattributed (steady state ${show(slope)} per 1k ops, not judged without evidence)`
      : `${fit.verdict} (steady state ${show(slope)} per 1k ops, not a leak)`;
  return [{ ...result(name, node, limit, rising ? slope : 0, unit, `${why} (limit ${show(limit)} per 1k ops)`), ...risingWarning(fit, ctx, slope > limit) }];
}

function growthResults(node: string, name: string, limit: Growth, before: number, after: number): BudgetResult[] {
  const out: BudgetResult[] = [];
  const growth = after - before;
  if (limit.bytes !== undefined) {
    out.push(result(name, node, limit.bytes, growth, 'bytes', `${name.replace(' growth', '')} ${formatBytes(before).replace('+', '')} → ${formatBytes(after).replace('+', '')} (${formatBytes(growth)}, limit ${formatBytes(limit.bytes)})`));
  }
  if (limit.percent !== undefined) {
    const percent = before > 0 ? (growth / before) * 100 : growth > 0 ? Infinity : 0;
    out.push(result(`${name} %`, node, limit.percent, percent, 'percent', `${name} ${percent.toFixed(1)}% (limit ${limit.percent}%)`));
  }
  return out;
}

function result(name: string, node: string, limit: number, observed: number, unit: BudgetResult['unit'], message: string): BudgetResult {
  return { name, node, limit, observed, unit, pass: observed <= limit, message };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const pct = (r: number) => `${(r * 100).toFixed(2)}%`;

/** The scenario schema's `budgets` object: every row's field, optional. */
export function budgetsSchema() {
  const shape = Object.fromEntries(Object.entries(BUDGET_SCHEMAS).map(([k, v]) => [k, v.optional()])) as { [K in BudgetKey]: z.ZodOptional<(typeof BUDGET_SCHEMAS)[K]> };
  return z.strictObject(shape);
}
