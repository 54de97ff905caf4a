/**
 * Load: every workload of every phase is prepared up front (before warm-up, so funding and signing
 * are not measured), then phases run in order with their workloads in parallel. Workloads are
 * released only after the final snapshot, so whatever they hold (open subscriptions, zombie clients)
 * is still held when the 'after' profiles are taken.
 */
import { planFaults, runFaults, type DisruptedNodes, type Fault, type FaultTarget } from '../faults/timeline.ts';
import { createWorkload } from '../workloads/registry.ts';
import { segmentDecl } from '../workloads/segment-shares.ts';
import type { Workload, WorkloadContext, WorkloadStats } from '../workloads/workload.ts';
import type { RunContext } from './context.ts';
import type { TrendRecorder } from './cycles.ts';
import type { Network } from './network.ts';
import { phaseDurations } from './durations.ts';

export interface PlannedPhase {
  name: string;
  durationMs: number;
  /** Workload cycles, each followed by a forced-GC trend sample when more than one. */
  cycles: number;
  workloads: Workload[];
  faults: Fault[];
}

export async function preparePhases(run: RunContext, network: Network, disrupted: DisruptedNodes): Promise<PlannedPhase[]> {
  const durations = phaseDurations(run.scenario, run.options.durationMs);
  const planned: PlannedPhase[] = [];
  let index = 0;
  // A judging run folding load segments (--load-stats) sends none itself, unless it runs a segment of its own.
  const sendsLoad = !(run.options.loadStats && !run.options.segment);
  for (const [i, phase] of run.scenario.phases.entries()) {
    const workloads: Workload[] = [];
    for (const decl of sendsLoad ? phase.workloads : []) {
      const workload = createWorkload(segmentDecl(decl, run.options.segment));
      workloads.push(workload);
      await workload.prepare({ ...workloadContext(run, network, index++, disrupted), plannedDurationMs: durations[i]! });
      run.event('workload-prepared', `${phase.name}/${workload.kind}`);
    }
    const scale = durations[i]! / phase.duration; // --duration stretches fault times with their phase
    const faults = planFaults(phase.faults, run.scenario.seed, phase.name, scale);
    for (const f of faults) run.plan('fault', `${phase.name}+${f.at}ms ${f.action} ${f.node}`);
    planned.push({ name: phase.name, durationMs: durations[i]!, cycles: phase.cycles, workloads, faults });
  }
  return planned;
}

/** `trend`: where cycles take their forced-GC samples (a `chainsoak load` process takes none). */
export async function runPhases(run: RunContext, network: Network, phases: PlannedPhase[], disrupted: DisruptedNodes, trend: Pick<TrendRecorder, 'sample'>): Promise<void> {
  let index = 0;
  for (const phase of phases) {
    run.enterPhase(phase.name, phase.durationMs);
    run.options.view?.track(phase.workloads);
    const contexts = phase.workloads.map(() => workloadContext(run, network, index++, disrupted));
    // Faults keep their times from the phase start, across cycles.
    await Promise.all([runCycles(run, network, phases, phase, contexts, trend), runFaults(run, faultTarget(network), phase.faults, disrupted, phase.durationMs)]);
    run.throwIfAborted();
  }
}

async function runCycles(run: RunContext, network: Network, phases: PlannedPhase[], phase: PlannedPhase, contexts: WorkloadContext[], trend: Pick<TrendRecorder, 'sample'>): Promise<void> {
  const cycleMs = phase.durationMs / phase.cycles;
  for (let c = 1; c <= phase.cycles; c++) {
    const started = Date.now();
    await Promise.all(phase.workloads.map((w, i) => w.run(contexts[i]!, cycleMs)));
    // A workload that ends early (count bound) leaves the node idle for the rest of the cycle.
    await run.wait(cycleMs - (Date.now() - started));
    if (phase.cycles > 1) {
      run.event('cycle', `${phase.name} ${c}/${phase.cycles}`);
      await trend.sample(run, network, (node) => operations(phases, node));
    }
  }
}

/**
 * Operations every workload of the run sent so far: the x axis of per-operation budgets. Sent, not
 * accepted: a request the node refused (a full pool) still went through its code and can still leak.
 */
export function operations(phases: PlannedPhase[], node?: string): number {
  let n = 0;
  for (const w of phases.flatMap((p) => p.workloads)) {
    const progress = w.progress();
    // A workload that says where its operations went counts only this node's; others count all theirs.
    n += node !== undefined && progress.perNode ? (progress.perNode[node] ?? 0) : progress.sent;
  }
  return n;
}

export async function releaseWorkloads(phases: PlannedPhase[]): Promise<void> {
  await Promise.all(phases.flatMap((p) => p.workloads.map((w) => w.release().catch(() => undefined))));
}

export function workloadStats(phases: PlannedPhase[]): Array<WorkloadStats & { phase: string }> {
  return phases.flatMap((p) => p.workloads.map((w) => ({ phase: p.name, ...w.stats() })));
}

function workloadContext(run: RunContext, network: Network, index: number, disrupted: DisruptedNodes): WorkloadContext {
  return {
    disrupted: (node) => {
      if (!disrupted.has(node)) run.event('workload-disrupted', node);
      disrupted.add(node);
    },
    nodes: network.members.map((m) => m.node),
    // Each workload gets its own stream of randomness, all derived from the scenario seed.
    seed: run.scenario.seed * 1000 + index,
    ...(run.options.segment ? { segment: run.options.segment } : {}),
    signal: run.signal,
    log: (message) => run.options.view?.log(message),
  };
}

/** The nodes faults act on, and the runtime's network cuts where it has them (containers). */
function faultTarget(network: Network): FaultTarget {
  const { runtime } = network;
  return {
    nodes: network.members.map((m) => m.node),
    ...(runtime.partition ? { partition: (nodes) => runtime.partition!(nodes) } : {}),
    ...(network.links ? { links: network.links } : {}),
  };
}
