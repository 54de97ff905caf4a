/**
 * One run, start to verdict: setup → start → prepare load → warm-up → snapshot → phases →
 * cool-down → snapshot → test → report → cleanup. Cleanup runs whatever happens before it.
 */
import path from 'node:path';
import { checkBudgets, verdictOf, type BudgetResult, type OomKill } from '../analysis/budgets.ts';
import { judgeAgainstHistory, readHistory } from '../compare/history.ts';
import { formatBytes } from '../scenario/units.ts';
import type { DisruptedNodes } from '../faults/timeline.ts';
import { goroutineTotal, heapTotals, ProfileError, readProfile } from '../analysis/index.ts';
import { ChainsoakError, InfraError, Interrupted, UNEXPECTED, UsageError } from '../errors.ts';
import { Sampler } from '../probes/sampler.ts';
import type { Snapshot } from '../probes/snapshot.ts';
import type { NodeReport, RunSummary } from '../report/summary.ts';
import { writeRunReport } from '../report/write.ts';
import { loadScenarioFile, validateScenario } from '../scenario/load.ts';
import type { Scenario, ScenarioInput } from '../scenario/schema.ts';
import { analyzeNode } from './analyze.ts';
import { snapshotAll, TrendRecorder } from './cycles.ts';
import { ThroughputRecorder } from './throughput.ts';
import { RunContext, type RunOptions } from './context.ts';
import { createRuntime } from '../runtimes/registry.ts';
import type { ExitInfo, NodeRuntime } from '../runtimes/runtime.ts';
import { launchNetwork, newNetwork, stopNetwork, type Network } from './network.ts';
import { planNetwork, type NetworkPlan } from './plan.ts';
import { declaredMs } from './durations.ts';
import { preparePhases, releaseWorkloads, runPhases, workloadStats, type PlannedPhase } from './phases.ts';
import { foldRunSegments } from './segments.ts';
import { checkSegmentOptions } from '../workloads/segment-shares.ts';

export type RunResult = RunSummary;

/** Run a scenario (a file path or a scenario object) and return its summary; never leaves a node behind. */
export async function runScenario(input: string | ScenarioInput | Scenario, options: RunOptions = {}): Promise<RunResult> {
  const loaded = typeof input === 'string' ? await loadScenarioFile(input) : validateScenario(input, 'scenario');
  const scenario = options.seed === undefined ? loaded : { ...loaded, seed: options.seed };
  const plan = planNetwork(scenario, { ...(options.node ? { node: options.node } : {}), ...(options.nodesFile ? { nodesFile: options.nodesFile } : {}), ...(options.runtime ? { runtime: options.runtime } : {}) });
  checkSegmentOptions(scenario, options);
  const run = new RunContext(scenario, { ...options, runtime: plan.runtime });
  try {
    return await runPlanned(run, plan, options);
  } finally {
    run.close();
  }
}

/** The run itself, from the runtime's creation to the written report. */
async function runPlanned(run: RunContext, plan: NetworkPlan, options: RunOptions): Promise<RunResult> {
  const { scenario } = run;
  let runtime: NodeRuntime;
  try {
    runtime = await createRuntime(plan.runtime, { runId: run.id, log: (line) => run.event('runtime', line), ...(plan.external ? { external: plan.external } : {}) });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // The runtime itself is not there (no Docker engine): an infrastructure error with a report, like a failed start.
    const summary = makeSummary(run, { ...describeFailure(error), nodes: [], budgets: [], phases: [], throughput: [] });
    await writeRunReport(summary, []);
    return summary;
  }
  const network = newNetwork(runtime);
  const sampler = new Sampler([], scenario.sampleInterval, run.startedAt, path.join(run.dir, 'samples.jsonl'), () => run.phase, new Set(scenario.sampleOn));
  let phases: PlannedPhase[] = [];
  const throughput = new ThroughputRecorder(() => phases.flatMap((p) => p.workloads), scenario.sampleInterval, run.startedAt, () => run.phase);
  const trend = new TrendRecorder();
  const disrupted: DisruptedNodes = new Set();
  const oomKills: OomKill[] = [];
  let nodes: NodeReport[] = [];
  let summary: RunSummary;
  try {
    await launchNetwork(plan, network, {
      dir: run.dir,
      signal: run.signal,
      log: (line) => options.view?.log(line),
      event: (kind, detail) => run.event(kind, detail),
      onCrash: (error) => run.abort(error),
      onOomKill: (node, info) => {
        const message = oomMessage(info);
        oomKills.push({ node, message });
        run.event('oom-kill', `${node}: ${message}`);
      },
    });
    sampler.watch(network.members.map((m) => ({ node: m.node, flavor: m.flavor, ...(m.snapshotInterval ? { snapshotInterval: m.snapshotInterval } : {}) })));
    options.view?.watch(sampler, network.members.map((m) => m.node.name));
    sampler.start();
    phases = await preparePhases(run, network, disrupted);

    run.enterPhase('warmup', scenario.warmup);
    await run.wait(scenario.warmup);
    const before = await snapshotAll(run, network, 'before');
    // The 'before' snapshot is cycle 0 of the trend.
    if (phases.some((p) => p.cycles > 1)) network.members.forEach((m, i) => before[i] && trend.add(run, m.node.name, before[i], 0));

    throughput.start();
    await runPhases(run, network, phases, disrupted, trend);
    throughput.stop();
    throughput.record();

    run.enterPhase('cooldown', scenario.cooldown);
    await run.wait(scenario.cooldown);
    const after = await snapshotAll(run, network, 'after');
    // Optionally: release what the workloads hold, let it settle, and look again. Growth that goes away
    // here was held by the clients; growth that stays is the node's own.
    const released = scenario.afterRelease === undefined ? [] : await releaseAndSnapshot(run, network, phases, scenario.afterRelease);

    // A node without both snapshots (down at one of them) has no diff; one a fault hit is not judged.
    const series = (name: string) => ({ samples: sampler.samples.filter((x) => x.node === name), trendPoints: trend.points.get(name) ?? [] });
    const analyzed = network.members.flatMap((m, i) =>
      before[i] && after[i] ? [analyzeNode(run, m, before[i], after[i], disrupted.has(m.node.name), series(m.node.name))] : [],
    );
    nodes = analyzed.map((a) => withReleased(a.report, released[network.members.findIndex((m) => m.node.name === a.report.name)]));
    const unmeasured = network.members.map((m) => m.node.name).filter((name) => !nodes.some((n) => n.name === name));
    const oom = { limited: plan.nodes.filter((n) => n.limits?.memBytes !== undefined).map((n) => n.name), kills: oomKills };
    // With --load-stats the load's figures are the segments', folded with the run's own.
    const segments = options.loadStats === undefined ? undefined : await foldRunSegments(run, phases);
    const workloads = segments?.workloads ?? workloadStats(phases);
    const budgets = checkBudgets(scenario.budgets, analyzed.map((a) => a.measurement), workloads, [...disrupted, ...unmeasured], oom);
    const measured = { ...makeSummary(run, { verdict: 'pass', exitCode: 0, error: null, nodes, budgets, phases, throughput: throughput.points }), ...segments };
    // Judged once, on every result (the history's too), before the report is written.
    const results = [...budgets, ...(await historyResults(measured, options.history))];
    summary = { ...measured, budgets: results, ...verdictOf(results) };
    // Every budget skipped (no node measured, say): a pass would be a verdict on nothing.
    if (results.every((r) => r.skipped)) summary = { ...summary, ...describeFailure(new InfraError('nothing was judged: no budget gave a result (every node disrupted or unmeasured, or every budget turned off)')) };
  } catch (caught) {
    const error = run.signal.aborted && run.signal.reason instanceof Error ? run.signal.reason : caught;
    summary = makeSummary(run, { ...describeFailure(error), nodes, budgets: [], phases, throughput: throughput.points });
  } finally {
    throughput.stop();
    await releaseWorkloads(phases);
    await sampler.stop();
    await stopNetwork(network, { keepData: run.options.keep ?? false });
    options.view?.stop();
  }
  summary.durationMs = run.elapsedMs();
  await writeRunReport(summary, sampler.samples);
  return summary;
}

/** With `--against-history N`: the run's figures against the last N runs of its scenario. */
async function historyResults(summary: RunSummary, history: RunOptions['history']): Promise<BudgetResult[]> {
  if (history?.against === undefined) return [];
  return judgeAgainstHistory(summary, await readHistory(history.file), history.against, history.file);
}

/** "OOM-killed after 3m12s at 498 MB (limit 512 MB)": what the report and the budget say. */
function oomMessage(info: ExitInfo): string {
  const seconds = Math.round((info.uptimeMs ?? 0) / 1000);
  const after = info.uptimeMs !== undefined ? ` after ${seconds >= 60 ? `${Math.floor(seconds / 60)}m` : ''}${seconds % 60}s` : '';
  const at = info.lastMemoryBytes !== undefined ? ` at ${formatBytes(info.lastMemoryBytes).replace(/^\+/, '')}` : '';
  const limit = info.memLimitBytes !== undefined ? ` (limit ${formatBytes(info.memLimitBytes).replace(/^\+/, '')})` : '';
  return `OOM-killed${after}${at}${limit}`;
}

/** Snapshot every running node; a node that a fault left down gets none (null). */
async function releaseAndSnapshot(run: RunContext, network: Network, phases: PlannedPhase[], settleMs: number): Promise<Array<Snapshot | null>> {
  await releaseWorkloads(phases);
  run.enterPhase('released', settleMs);
  await run.wait(settleMs);
  return snapshotAll(run, network, 'released');
}

function withReleased(report: NodeReport, snapshot: Snapshot | null | undefined): NodeReport {
  if (!snapshot) return report;
  const heap = heapTotals(readProfile(snapshot.heapProfile));
  return {
    ...report,
    released: { goroutines: goroutineTotal(readProfile(snapshot.goroutineProfile)), inuseBytes: heap.inuseBytes, rssBytes: snapshot.rssBytes },
  };
}

function describeFailure(error: unknown): Pick<RunSummary, 'verdict' | 'exitCode' | 'error'> {
  if (error instanceof ChainsoakError) {
    return { verdict: 'error', exitCode: error.exitCode, error: { message: error.message, ...(error.detail ? { detail: error.detail } : {}) } };
  }
  if (error instanceof ProfileError) return { verdict: 'error', exitCode: 3, error: { message: error.message } };
  if (error instanceof Interrupted) return { verdict: 'error', exitCode: 130, error: { message: error.message } };
  const wrapped = new InfraError(`${UNEXPECTED}: ${error instanceof Error ? error.message : String(error)}`, {
    detail: error instanceof Error ? error.stack : undefined,
  });
  return { verdict: 'error', exitCode: 3, error: { message: wrapped.message, ...(wrapped.detail ? { detail: wrapped.detail } : {}) } };
}

export { Interrupted }; // where library users have always imported it from

function makeSummary(
  run: RunContext,
  result: Pick<RunSummary, 'verdict' | 'exitCode' | 'error' | 'nodes' | 'budgets' | 'throughput'> & { phases: PlannedPhase[] },
): RunSummary {
  const { scenario } = run;
  return {
    scenario: scenario.name,
    ...(scenario.file ? { file: scenario.file } : {}),
    seed: scenario.seed,
    verdict: result.verdict,
    exitCode: result.exitCode,
    error: result.error,
    reportDir: run.dir,
    startedAt: new Date(run.startedAt).toISOString(),
    durationMs: run.elapsedMs(),
    declaredMs: declaredMs(scenario, run.options.durationMs),
    nodes: result.nodes,
    workloads: workloadStats(result.phases),
    budgets: result.budgets,
    events: run.events,
    timeline: run.timeline,
    samples: 'samples.jsonl',
    throughput: result.throughput,
  };
}
