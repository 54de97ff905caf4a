/**
 * `chainsoak load`: only the workloads of a scenario's phases, as one segment, against nodes that run
 * elsewhere (the external runtime). No node control, no profiles, no faults, no budgets: the same prepare
 * and phases as a run (phases.ts), the phases starting when the warm-up ends, so a load started beside a
 * judging run sends in the judging run's window; then one stats file (stats-file.ts) for it to fold in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChainsoakError, Interrupted } from '../errors.ts';
import type { DisruptedNodes } from '../faults/timeline.ts';
import { RunContext } from '../run/context.ts';
import { launchNetwork, newNetwork, stopNetwork, type Network } from '../run/network.ts';
import { preparePhases, releaseWorkloads, runPhases, type PlannedPhase } from '../run/phases.ts';
import type { NetworkPlan } from '../run/plan.ts';
import { createRuntime } from '../runtimes/registry.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { Segment } from '../workloads/segment.ts';
import { checkSegmentable } from '../workloads/segment-shares.ts';
import { statsOf, writeStatsFile, type LoadStatsFile, type SegmentWorkload } from './stats-file.ts';

export interface LoadOptions {
  segment: Segment;
  /** Where the stats file goes. */
  statsFile: string;
  /** --duration: the phases scaled to this total, as a run scales them. */
  durationMs?: number;
  signal?: AbortSignal;
  /** Progress lines (workloads' funding and signing, the phases). */
  log?(line: string): void;
}

/** No trend samples: a load process takes no profile. */
const NO_TREND = { sample: async () => undefined };

/**
 * Run the segment's load and write its stats file (also when the load failed part way, with its error and
 * what it sent until then); returns the stats, or throws the load's error after writing them.
 */
export async function runLoad(scenario: Scenario, plan: NetworkPlan, options: LoadOptions): Promise<LoadStatsFile> {
  checkSegmentable(scenario, options.segment); // before anything connects, for library callers too
  // The run machinery wants a folder for node logs; a load keeps none of it.
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-load-'));
  const run = new RunContext(scenario, {
    reportsDir: scratch,
    runtime: plan.runtime,
    segment: options.segment,
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    view: { log: (line) => options.log?.(line), phase: () => undefined, track: () => undefined, watch: () => undefined, stop: () => undefined },
  });
  let network: Network | undefined;
  let phases: PlannedPhase[] = [];
  let startedAt = Date.now();
  let failure: unknown;
  try {
    network = newNetwork(await createRuntime(plan.runtime, { runId: run.id, ...(plan.external ? { external: plan.external } : {}) }));
    await launchNetwork(plan, network, { dir: run.dir, signal: run.signal, onCrash: (error) => run.abort(error) });
    const disrupted: DisruptedNodes = new Set();
    // Faults are the judging run's to make: a segment only sends.
    phases = (await preparePhases(run, network, disrupted)).map((p) => ({ ...p, faults: [] }));
    // The phases start at the warm-up's end counted from the process's start, as a judging run started
    // with it starts its phases (it prepares nothing): the segment's preparation (funding, signing) is
    // spent inside the warm-up instead of delaying the load past the judging run's window.
    run.enterPhase('warmup', scenario.warmup);
    await run.wait(scenario.warmup - run.elapsedMs());
    startedAt = Date.now();
    await runPhases(run, network, phases, disrupted, NO_TREND);
  } catch (caught) {
    failure = run.signal.aborted && run.signal.reason instanceof Error ? run.signal.reason : caught;
  } finally {
    await releaseWorkloads(phases);
    if (network) await stopNetwork(network);
    run.close();
    await rm(scratch, { recursive: true, force: true });
  }
  const stats = statsOf(options.segment, {
    scenario: scenario.name,
    seed: scenario.seed,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date().toISOString(),
    exitCode: failure === undefined ? 0 : exitCodeOf(failure),
    error: failure === undefined ? null : failure instanceof Error ? failure.message : String(failure),
    workloads: segmentWorkloads(phases),
  });
  // A load that failed before it sent anything has no figures worth a file: the judging run marks it missing.
  if (failure === undefined || stats.workloads.some((w) => w.sent > 0)) await writeStatsFile(options.statsFile, stats);
  if (failure !== undefined) throw failure;
  return stats;
}

function segmentWorkloads(phases: PlannedPhase[]): SegmentWorkload[] {
  return phases.flatMap((p) => p.workloads.map((w) => ({ phase: p.name, ...w.stats(), histogram: w.progress().latency?.toJSON() ?? null })));
}

function exitCodeOf(error: unknown): number {
  if (error instanceof ChainsoakError) return error.exitCode;
  if (error instanceof Interrupted) return 130;
  return 3;
}

