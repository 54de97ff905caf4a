/**
 * False alarms on real healthy nodes: a matrix of configurations nobody expects to leak (geth with a
 * bounded cache under a flood; CometBFT/Tendermint versions under a flood of reused keys, re-opened
 * websocket subscriptions, peer churn), each run as a trend scenario (cycles) with the budgets a nightly
 * would set. Any failed node budget here is a false alarm: the table counts them per budget, beside the
 * heap trend verdicts seen, and every run's report folder is printed and kept so its profiles can be read
 * (and re-judged offline by a newer verdict).
 * BENCH_FALSE_ALARM_RUNS (default 2) repeats the matrix; BENCH_FALSE_ALARM_MINUTES (default 3) sets each
 * run's trend phase; BENCH_FALSE_ALARM_ONLY=cometbft@v0.37.18,geth keeps configurations whose name
 * contains one of the words; BENCH_FALSE_ALARM_REPORTS (default reports/false-alarms) is where runs go;
 * BENCH_FALSE_ALARM_MEMPROFILERATE sets the nodes' heap sample rate: at Go's 512 KB a tail growing
 * ~100 KB a cycle is one profile sample or none, too coarse to say what grew.
 */
import path from 'node:path';
import Table from 'cli-table3';
import { runScenario, type RunResult, type ScenarioInput } from '../index.ts';
import { nodeBudgetNames } from '../analysis/budget-table.ts';
import type { BudgetsInput } from '../scenario/schema.ts';
import { formatBytes } from '../scenario/units.ts';

const CYCLES = 12;
/** The budgets a nightly would set, the issue's day budget among them; their result names come from the budget table. */
const NIGHTLY_BUDGETS: BudgetsInput = { noLeakTrend: true, heapGrowthPer1kOps: '64KB', maxGrowthPerDay: '256MB', goroutineGrowth: 20, goroutineGrowthPer1kOps: 1 };
const BUDGET_NAMES = nodeBudgetNames(NIGHTLY_BUDGETS);
/** Column heads of BUDGET_NAMES, short enough for the table to fit a terminal. */
const HEADS = BUDGET_NAMES.map((n) => n.replace(/ growth per /, '/').replace(/^goroutine growth$/, 'goroutines'));
const COMET_VERSIONS = ['cometbft@v0.37.18', 'cometbft@v0.38.26', 'cometbft@v1.0.1', 'tendermint@v0.34.24'];

type Nodes = ScenarioInput['nodes'];
type Workloads = NonNullable<ScenarioInput['phases']>[number]['workloads'];
interface Config {
  name: string;
  nodes: Nodes;
  warmup: string;
  /** The workloads of one cycle, bounded in count for the whole phase (`seconds`) as well as by its time. */
  workloads(cycleMs: number, seconds: number): Workloads;
  /**
   * Seconds of the same load before the measured phase, for nodes that hold recent blocks by design: geth
   * keeps its last 256 blocks and bodies, so the trend calls no leak before block 256 (trend.ts); filled
   * under the flood, the caches hold full blocks when the cycles start.
   */
  fillSeconds?: number;
}

/** A flood of reused keys: every tx's bytes are new, the app's key set is fixed (state does not grow). */
const cometFlood = (rate: number, seconds: number) => ({ kind: 'comet-tx-flood' as const, rate, keys: 'reused' as const, maxTxs: Math.ceil(rate * seconds * 1.1) });
// 1 s blocks, as in the issue's example (cometbft v0.37.18, a false 'leak').
const comet = { app: 'persistent_kvstore', blockTime: '1s' } as const;

function configs(): Config[] {
  const out: Config[] = [
    {
      name: 'geth@v1.17.10/tx-flood',
      // --cache 64 bounds pebble and the trie caches (scenarios/geth-flood-trend.ts); --txpool.nolocals keeps
      // geth's local-tx tracker (a real, known growth with refused local txs) out of a healthy baseline.
      nodes: [{ name: 'geth', node: 'geth@v1.17.10', options: { datadir: true, devPeriod: 1, cacheMB: 64, extraArgs: ['--txpool.nolocals'] } }],
      warmup: '20s',
      fillSeconds: 270,
      workloads: (_, s) => [{ kind: 'geth-tx-flood', rate: 150, senders: 50, maxTxs: Math.ceil(150 * s * 1.1) }],
    },
  ];
  for (const node of COMET_VERSIONS) {
    out.push(
      { name: `${node}/tx-flood`, nodes: [{ name: 'comet', node, options: comet }], warmup: '15s', workloads: (_, s) => [cometFlood(100, s)] },
      {
        name: `${node}/ws-streams`,
        nodes: [{ name: 'comet', node, options: comet }],
        warmup: '15s',
        // Five NewBlock subscriptions re-opened every 5 s, ended every way a client ends one, beside a small flood.
        workloads: (cycleMs, s) => [
          cometFlood(10, s),
          {
            kind: 'ws-streams',
            clients: 5,
            holdMs: 5000,
            cycles: Math.max(1, Math.ceil(cycleMs / 5000)),
            end: [{ mode: 'unsubscribe' }, { mode: 'unsubscribe_all' }, { mode: 'close' }, { mode: 'abrupt' }, { mode: 'reset' }],
          },
        ],
      },
      {
        name: `${node}/peer-churn`,
        // Two validators (both needed for a quorum) dial a full node nobody peers with, which is stopped each
        // round; the full node is restarted, so it is not judged, the validators are. The flood goes to all
        // three: a few txs meet the full node as it stops (connection refused), counted as failed, not judged.
        nodes: [
          { name: 'val', node, count: 2, options: { ...comet, config: { 'rpc.unsafe': true } } },
          { name: 'full', node, options: { ...comet, role: 'full', peering: 'none' }, start: 'fault' },
        ],
        warmup: '15s',
        workloads: (cycleMs, s) => [cometFlood(20, s), { kind: 'comet-peer-churn', cycles: Math.max(1, Math.floor(cycleMs / 7000)), intervalMs: 2000, target: 'full' }],
      },
    );
  }
  return out;
}

function scenario(c: Config, run: number, minutes: number, memProfileRate?: number): ScenarioInput {
  const ms = Math.round(minutes * 60_000);
  return {
    name: `fa-${c.name.replace(/[@/.]/g, '-')}-r${run}`.slice(0, 41),
    seed: run,
    nodes: c.nodes,
    warmup: c.warmup,
    phases: [
      ...(c.fillSeconds ? [{ name: 'fill', duration: c.fillSeconds * 1000, workloads: c.workloads(c.fillSeconds * 1000, c.fillSeconds) }] : []),
      { name: 'load', duration: ms, cycles: CYCLES, workloads: c.workloads(ms / CYCLES, ms / 1000) },
    ],
    cooldown: '5s',
    sampleInterval: '5s',
    budgets: NIGHTLY_BUDGETS,
    ...(memProfileRate ? { memProfileRate } : {}),
  };
}

function describe(c: Config, i: number, r: RunResult): string[] {
  const lines = [`   ${c.name} run ${i}: ${r.verdict} in ${(r.durationMs / 1000).toFixed(0)} s; report ${r.reportDir}`];
  if (r.error) lines.push(`     error: ${r.error.message}`);
  for (const n of r.nodes.filter((n) => !n.disrupted && n.trend)) {
    const h = n.trend!.heapAlloc;
    lines.push(`     ${n.name}: heap ${h.verdict} (${formatBytes(h.tailSlopePerCycle)}/cycle, ${formatBytes(h.growth)} in all), goroutines ${n.trend!.goroutines.verdict}, sample rate ${n.heapSampleRate}`);
    // The tail profiles a reviewer diffs for a 'leak' (its sites) or a 'rising' floor (why nothing shows).
    const a = h.attribution;
    if (a?.fromProfile && a.toProfile) lines.push(`       go tool pprof -top -sample_index=inuse_space -diff_base ${path.join(r.reportDir, a.fromProfile)} ${path.join(r.reportDir, a.toProfile)}`);
    for (const site of a?.sites.slice(0, 3) ?? []) lines.push(`       site ${site.function} ${formatBytes(site.growth)}`);
    for (const advice of h.advice ?? []) lines.push(`       advice: ${advice}`);
  }
  return lines;
}

export async function falseAlarms(row: (label: string, value: string) => void): Promise<void> {
  const runs = Number(process.env.BENCH_FALSE_ALARM_RUNS ?? 2);
  const minutes = Number(process.env.BENCH_FALSE_ALARM_MINUTES ?? 3);
  const only = process.env.BENCH_FALSE_ALARM_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  const reportsDir = path.resolve(process.env.BENCH_FALSE_ALARM_REPORTS ?? 'reports/false-alarms');
  const rate = process.env.BENCH_FALSE_ALARM_MEMPROFILERATE ? Number(process.env.BENCH_FALSE_ALARM_MEMPROFILERATE) : undefined;
  const matrix = configs().filter((c) => !only || only.some((w) => c.name.includes(w)));
  row(`6. false alarms on healthy nodes: ${matrix.length} configurations × ${runs} runs of ${minutes} min in ${CYCLES} cycles${rate ? `, heap sampled every ${rate} B` : ''}`, reportsDir);
  const results = new Map<Config, RunResult[]>(matrix.map((c) => [c, []]));
  const t0 = Date.now();
  // Run-major and one at a time: a whole pass of the matrix lands before the repeats, and on 2 cores runs
  // side by side would distort each other's timing and heap.
  for (let i = 1; i <= runs; i++) {
    for (const c of matrix) {
      const r = await runScenario(scenario(c, i, minutes, rate), { reportsDir });
      results.get(c)!.push(r);
      for (const line of describe(c, i, r)) console.log(line);
    }
    row(`   pass ${i} of the matrix done`, `${((Date.now() - t0) / 60_000).toFixed(1)} min since the start`);
  }
  const table = new Table({ head: ['configuration', 'runs', ...HEADS, 'warnings', 'heap trend verdicts', 'failed / sent'], style: { head: [], border: [] } });
  for (const [c, rs] of results) {
    const judged = rs.flatMap((r) => r.budgets.filter((b) => b.node !== '*' && !b.skipped));
    const alarms = BUDGET_NAMES.map((name) => {
      const mine = judged.filter((b) => b.name === name);
      return `${mine.filter((b) => !b.pass).length}/${mine.length}`;
    });
    const verdicts = rs.flatMap((r) => (r.exitCode >= 2 ? ['error'] : r.nodes.filter((n) => !n.disrupted).map((n) => n.trend?.heapAlloc.verdict ?? 'none')));
    const sent = rs.flatMap((r) => r.workloads).reduce((a, w) => a + w.sent, 0);
    const failed = rs.flatMap((r) => r.workloads).reduce((a, w) => a + w.failed, 0);
    const warnings = judged.filter((b) => b.warning).length;
    table.push([c.name, String(rs.length), ...alarms, String(warnings), verdicts.join(' '), `${failed}/${sent}`]);
  }
  console.log(table.toString());
}
