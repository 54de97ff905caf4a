/**
 * `npm run bench`: figures for the pinned geth, printed, never asserted.
 *   1. generator CPU per 1,000 accepted transactions at a rate the node sustains: geth's flood, CometBFT's
 *      kvstore flood and the Cosmos SDK bank-send flood (offline- and online-signed) side by side;
 *   2. the rate the generator reaches when the node saturates;
 *   3. time to verdict minus the scenario's declared time (binaries cached), on the process and the
 *      container runtime (image built);
 *   4. chainsoak's own peak RSS through a long flood, and whether it stays flat;
 *   5. the budgets' sensitivity on the Go leak fixture, and their false alarms on healthy nodes;
 *   6. false alarms on real healthy nodes: geth and CometBFT/Tendermint versions under floods, websocket
 *      churn and peer churn (false-alarms.ts; its own BENCH_FALSE_ALARM_* variables, reports kept);
 *   7. the CLI's start: --help, --version, usage errors and validate against `node -e 1` (cli-start.ts);
 *   8. chainsoak's generator beside vegeta and wrk on geth and CometBFT: client CPU per 1,000 requests and
 *      the highest rate each sustains (loadgen-compare.ts; its own BENCH_LOADGEN_* variables).
 * BENCH_SOAK_MINUTES (default 10) sets the length of 4; BENCH_SENSITIVITY_RUNS (default 2) the repeats
 * of 5; BENCH_ONLY=1,3 runs a subset.
 */
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunOptions, type RunResult, type ScenarioInput } from '../index.ts';
import { dockerStatus } from '../runtimes/docker/index.ts';
import { cliStart } from './cli-start.ts';
import { falseAlarms } from './false-alarms.ts';
import { loadgenCompare } from './loadgen-compare.ts';
import type { WorkloadDecl } from '../workloads/schemas.ts';
import { sensitivity } from './sensitivity.ts';

const reportsDir = path.join(os.tmpdir(), 'chainsoak-bench');
const only = process.env.BENCH_ONLY?.split(',').map(Number);
const soakMinutes = Number(process.env.BENCH_SOAK_MINUTES ?? 10);

function flood(name: string, rate: number, seconds: number, options: Record<string, unknown>, extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name,
    nodes: [{ name: 'geth', node: 'geth', options }],
    warmup: '5s',
    phases: [{ name: 'flood', duration: seconds * 1000, workloads: [{ kind: 'geth-tx-flood', rate, senders: 200, maxTxs: Math.ceil(rate * seconds * 1.05) }] }],
    cooldown: '2s',
    sampleInterval: '2s',
    budgets: { errorRate: 1 },
    ...extra,
  };
}

async function run(scenario: ScenarioInput, options: RunOptions = {}): Promise<RunResult> {
  const result = await runScenario(scenario, { reportsDir, ...options });
  if (result.exitCode === 3 || result.exitCode === 2) throw new Error(`${scenario.name}: ${result.error?.message}`);
  return result;
}

const stat = (r: RunResult, key: string) => Number(r.workloads[0]?.extra?.[key] ?? NaN);
const row = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);

/** One flood on one node of a flavor, for the per-flavor generator cost. */
function floodOn(name: string, node: string, workload: Record<string, unknown>, seconds: number): ScenarioInput {
  return {
    name,
    nodes: [{ name: 'node', node }],
    warmup: '5s',
    phases: [{ name: 'flood', duration: seconds * 1000, workloads: [workload as WorkloadDecl] }],
    cooldown: '2s',
    sampleInterval: '2s',
    budgets: { errorRate: 1 },
  };
}

async function generatorCost(): Promise<void> {
  const r = await run(flood('bench-generator-cost', 400, 30, { devPeriod: 1 }));
  const w = r.workloads[0]!;
  row('1. generator CPU per 1,000 accepted tx (400 tx/s, 30 s)', `${(stat(r, 'cpuMsPer1kAccepted') / 1000).toFixed(3)} CPU-s`);
  row('   accepted / included / achieved rate', `${w.accepted} / ${stat(r, 'included')} / ${w.achievedRate.toFixed(0)} tx/s`);
  row('   signing cost (before the window)', `${stat(r, 'signUsPerTx').toFixed(0)} µs/tx`);
  // The same figure for the other floods, each on its own node, beside geth's: what a flood costs the
  // machine it shares with the node.
  const seconds = 30;
  const others: Array<[string, string, Record<string, unknown>]> = [
    ['CometBFT kvstore flood (comet-tx-flood, sync, 400 tx/s)', 'cometbft', { kind: 'comet-tx-flood', rate: 400, maxTxs: 400 * seconds * 2 }],
    ['Cosmos SDK bank-send, offline-signed (simd, 200 tx/s)', 'simd', { kind: 'cosmos-bank-send', rate: 200, maxTxs: 200 * seconds * 2, senders: 40, signing: 'offline' }],
    ['Cosmos SDK bank-send, online-signed (simd, 100 tx/s)', 'simd', { kind: 'cosmos-bank-send', rate: 100, maxTxs: 100 * seconds * 2, senders: 40, signing: 'online' }],
  ];
  for (const [label, node, workload] of others) {
    const o = await run(floodOn(`bench-cost-${node}-${String(workload.signing ?? "sync")}`, node, workload, seconds));
    const ow = o.workloads[0]!;
    const committed = ow.extra?.committed;
    row(`   ${label}`, `${(stat(o, 'cpuMsPer1kAccepted') / 1000).toFixed(3)} CPU-s per 1,000 accepted; ${ow.accepted} accepted${committed === undefined ? '' : `, ${committed} committed`}, ${ow.achievedRate.toFixed(0)} tx/s`);
  }
}

async function saturation(): Promise<void> {
  // --dev.period 0 seals as transactions arrive; bigger pools so geth keeps what it accepts.
  const node = { devPeriod: 0, extraArgs: ['--txpool.globalslots', '200000', '--txpool.accountslots', '2000', '--txpool.globalqueue', '200000'] };
  const r = await run(flood('bench-saturation', 6000, 20, node));
  const w = r.workloads[0]!;
  const windowS = w.durationMs / 1000;
  row('2. rate at saturation (target 6,000 tx/s, --dev.period 0)', `${w.achievedRate.toFixed(0)} tx/s accepted`);
  row('   included in blocks over the window', `${(stat(r, 'included') / windowS).toFixed(0)} tx/s (${stat(r, 'included')} of ${w.accepted})`);
  row('   latency p50 / p95 / p99', `${w.latency?.p50Ms.toFixed(1)} / ${w.latency?.p95Ms.toFixed(1)} / ${w.latency?.p99Ms.toFixed(1)} ms`);
  row('   generator CPU per 1,000 accepted tx at saturation', `${(stat(r, 'cpuMsPer1kAccepted') / 1000).toFixed(3)} CPU-s`);
}

async function overhead(): Promise<void> {
  for (const runtime of ['process', 'container'] as const) {
    if (runtime === 'container' && !(await dockerStatus()).ok) {
      row('3. time to verdict minus declared time, container runtime', `skipped: ${((await dockerStatus()) as { reason: string }).reason}`);
      continue;
    }
    // The container runtime's image is built once (cached by Docker after): the first run builds it, the second is measured.
    if (runtime === 'container') await run(flood('bench-overhead-image', 100, 2, { devPeriod: 1 }), { runtime });
    const r = await run(flood('bench-overhead', 100, 15, { devPeriod: 1 }), { runtime });
    row(`3. time to verdict minus declared time, ${runtime} runtime${runtime === 'container' ? ' (image built)' : ''}`, `${((r.durationMs - r.declaredMs) / 1000).toFixed(1)} s (declared ${r.declaredMs / 1000} s)`);
    const started = r.events.find((e) => e.kind === 'node-started');
    const prepared = r.events.filter((e) => e.kind === 'workload-prepared').at(-1);
    if (started && prepared) row('   of which node start / workload prepare', `${(started.t / 1000).toFixed(1)} s / ${((prepared.t - started.t) / 1000).toFixed(1)} s`);
  }
}

async function selfRss(): Promise<void> {
  const rss: Array<{ t: number; rss: number }> = [];
  const t0 = Date.now();
  const timer = setInterval(() => rss.push({ t: Date.now() - t0, rss: process.memoryUsage().rss }), 1000);
  const seconds = soakMinutes * 60;
  const r = await run(flood('bench-self-rss', 200, seconds, { devPeriod: 1 }, { sampleInterval: '1s' }));
  clearInterval(timer);
  const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;
  const peak = Math.max(...rss.map((s) => s.rss));
  // Flat means: the last fifth of the flood holds no more than the second fifth (after signing and start).
  const floodAt = r.events.find((e) => e.kind === 'phase' && e.detail?.startsWith('flood'))?.t ?? 0;
  const inFlood = rss.filter((s) => s.t >= floodAt && s.t <= floodAt + seconds * 1000);
  const fifth = Math.max(1, Math.floor(inFlood.length / 5));
  const mean = (xs: typeof rss) => xs.reduce((a, s) => a + s.rss, 0) / Math.max(1, xs.length);
  const early = mean(inFlood.slice(fifth, 2 * fifth));
  const late = mean(inFlood.slice(-fifth));
  row(`4. chainsoak peak RSS through a ${soakMinutes}-minute flood at 200 tx/s`, mb(peak));
  row('   mean RSS, 2nd fifth vs last fifth of the flood', `${mb(early)} → ${mb(late)} (${(((late - early) / early) * 100).toFixed(1)}%)`);
  row('   transactions accepted in the soak', `${r.workloads[0]?.accepted}`);
}

const sensitivityRuns = Number(process.env.BENCH_SENSITIVITY_RUNS ?? 2);
const benches = [generatorCost, saturation, overhead, selfRss, () => sensitivity(run, row, sensitivityRuns), () => falseAlarms(row), () => cliStart(row), () => loadgenCompare(row)];
console.log(`chainsoak bench on ${os.cpus().length} cores, Node ${process.version}; reports in ${reportsDir}`);
for (const [i, bench] of benches.entries()) {
  if (only && !only.includes(i + 1)) continue;
  await bench();
}
