/**
 * Sensitivity of the budgets, measured on the leak fixture: one run holds a ladder of leaky-node nodes
 * per leak pattern (each leaking a fixed amount per operation, the rungs 4× apart) and a few healthy
 * nodes, all under the same operations for 3 minutes in 12 cycles. Every node is judged on its own, so
 * one run gives, per budget and pattern, the smallest leak the budget catches; the healthy nodes over
 * repeated runs give the false alarms (which must be zero).
 */
import type { BudgetResult } from '../analysis/budgets.ts';
import { nodeBudgetNames } from '../analysis/budget-table.ts';
import type { LeakPattern } from '../nodes/leaky-node.ts';
import { formatBytes } from '../scenario/units.ts';
import type { BudgetsInput, ScenarioInput } from '../scenario/schema.ts';
import type { RunResult } from '../index.ts';

/**
 * Leak per operation on each rung. Goroutines per operation for `goroutine`, bytes for the rest.
 * `subscription` (a goroutine per operation holding its bytes) has no ladder: its two budgets are the
 * goroutine and heap ones the `goroutine` and `map` ladders already measure. `orphan-goroutine` has none
 * either: every budget here sees it exactly as `goroutine` (only the goroutine leak profile tells them apart).
 */
const LADDERS: Record<Exclude<LeakPattern, 'subscription' | 'orphan-goroutine'>, number[]> = {
  map: [8, 32, 128, 512, 2048],
  timers: [8, 32, 128, 512, 2048],
  logging: [8, 32, 128, 512, 2048],
  decoder: [8, 32, 128, 512, 2048],
  iterator: [8, 32, 128, 512, 2048],
  goroutine: [0.0005, 0.002, 0.008, 0.03, 0.1],
  offheap: [512, 2048, 8192, 32768, 131072],
};
const HEALTHY_NODES = 4;
/** Operations each node gets per second, sent 10 at a time (one request per node per second or so). */
const OPS_PER_NODE_PER_S = 8;
const MINUTES = 3;
const CYCLES = 12;

/** The budgets a nightly scenario would set; the table says what each of them catches. */
export const SENSITIVITY_BUDGETS: BudgetsInput = {
  heapInuseGrowth: { bytes: '4MB' },
  rssGrowth: { bytes: '32MB' },
  goroutineGrowth: 20,
  noLeakTrend: true,
  heapGrowthPer1kOps: '64KB',
  goroutineGrowthPer1kOps: 1,
};
const BUDGET_NAMES = nodeBudgetNames(SENSITIVITY_BUDGETS);

function scenario(run: number): ScenarioInput {
  const nodes: NonNullable<ScenarioInput['nodes']> = [];
  for (const [pattern, rungs] of Object.entries(LADDERS)) {
    rungs.forEach((amount, i) => nodes.push({ name: `${pattern}-${i + 1}`, node: 'leaky-node', options: { leaks: { [pattern]: amount } } }));
  }
  for (let i = 1; i <= HEALTHY_NODES; i++) nodes.push({ name: `healthy-${i}`, node: 'leaky-node', options: { leaks: {} } });
  const rate = nodes.length * OPS_PER_NODE_PER_S;
  return {
    name: `bench-sensitivity-${run}`,
    seed: run,
    nodes,
    warmup: '5s',
    phases: [{ name: 'ops', duration: `${MINUTES}m`, cycles: CYCLES, workloads: [{ kind: 'fixture-ops', rate, batch: 10, maxOps: rate * MINUTES * 60 * 2 }] }],
    cooldown: '2s',
    sampleInterval: '5s',
    budgets: SENSITIVITY_BUDGETS,
  };
}

const failedBudgets = (r: RunResult, node: string): BudgetResult[] => r.budgets.filter((b) => b.node === node && !b.pass);

export async function sensitivity(run: (s: ScenarioInput) => Promise<RunResult>, row: (label: string, value: string) => void, runs: number): Promise<void> {
  const results: RunResult[] = [];
  for (let i = 1; i <= runs; i++) results.push(await run(scenario(i)));
  // Operations a node really got per minute (the generator may fall short of the target on 2 cores).
  const lastOps = results.flatMap((r) => r.nodes.map((n) => n.trend?.points.at(-1)?.ops ?? 0));
  const perOpPerMinute = lastOps.reduce((a, b) => a + b, 0) / lastOps.length / MINUTES;
  const show = (pattern: string, amount: number) =>
    pattern === 'goroutine' ? `${amount}/op (${(amount * perOpPerMinute).toFixed(1)}/min)` : `${amount} B/op (${formatBytes(amount * perOpPerMinute).slice(1)}/min)`;
  row(`5. sensitivity: smallest leak each budget catches in every one of ${runs} ${MINUTES}-minute runs`, `(${(perOpPerMinute / 60).toFixed(1)} ops/s per node)`);
  for (const budget of BUDGET_NAMES) {
    const caught = Object.entries(LADDERS).flatMap(([pattern, rungs]) => {
      const i = rungs.findIndex((_, k) => results.every((r) => failedBudgets(r, `${pattern}-${k + 1}`).some((b) => b.name === budget)));
      return i < 0 ? [] : [`${pattern} ${show(pattern, rungs[i]!)}`];
    });
    row(`   ${budget}`, caught.length ? caught.join('; ') : 'catches none of the ladders');
  }
  const healthy = results.flatMap((r) => Array.from({ length: HEALTHY_NODES }, (_, i) => failedBudgets(r, `healthy-${i + 1}`)));
  const alarms = healthy.filter((f) => f.length > 0);
  row('   false alarms on healthy nodes', `${alarms.length} of ${healthy.length} healthy node runs${alarms.length ? ': ' + alarms.flat().map((b) => `${b.node} ${b.name}`).join(', ') : ''}`);
  const verdicts = results.flatMap((r) => r.nodes.filter((n) => n.name.startsWith('healthy')).map((n) => n.trend?.heapAlloc.verdict ?? 'none'));
  row('   healthy heap trend verdicts', verdicts.join(' '));
}
