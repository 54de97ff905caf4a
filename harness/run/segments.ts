/**
 * A judging run's load segments (`--load-stats <dir>`): the run's own segment's figures (when it sends
 * one) and the segments' stats files, folded (load/fold-segments.ts) into the workloads the budgets judge
 * and the report shows, and the `segments` part of the summary.
 */
import { foldSegments, LOAD_STATS_WAIT_MS } from '../load/fold-segments.ts';
import { withoutHistogram } from '../load/merge.ts';
import type { SegmentsReport, WorkloadStats } from '../result/types.ts';
import { entryKind } from '../workloads/schemas.ts';
import type { RunContext } from './context.ts';
import type { PlannedPhase } from './phases.ts';

export async function foldRunSegments(run: RunContext, phases: PlannedPhase[]): Promise<{ workloads: Array<WorkloadStats & { phase: string }>; segments: SegmentsReport }> {
  const { scenario, options } = run;
  const shape = scenario.phases.flatMap((p) => p.workloads.map((w) => ({ phase: p.name, kind: entryKind(w) })));
  const own = options.segment
    ? { segment: options.segment, workloads: phases.flatMap((p) => p.workloads.map((w) => ({ phase: p.name, ...w.stats(), histogram: w.progress().latency?.toJSON() ?? null }))) }
    : undefined;
  run.enterPhase('segments', 0);
  const folded = await foldSegments({
    dir: options.loadStats!,
    scenario: scenario.name,
    shape,
    ...(own ? { own } : {}),
    runStartedAt: run.startedAt,
    waitMs: options.loadStatsWaitMs ?? LOAD_STATS_WAIT_MS,
    signal: run.signal,
  });
  const { report } = folded;
  run.event('segments', `${report.folded.length} of ${report.count} folded (${report.folded.join(', ')})${report.missing.length ? `; missing ${report.missing.join(', ')}` : ''}`);
  return { workloads: folded.workloads.map(withoutHistogram), segments: report };
}
