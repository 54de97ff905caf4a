/**
 * `chainsoak load <scenario> --runtime external --nodes nodes.json --segment i/n --load-stats <file|dir>`:
 * the checks (one line, exit 2, before anything connects), then the segment's load (load/run-load.ts),
 * then one line per workload and where the stats went.
 */
import { statSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { planNetwork } from '../run/plan.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import { checkSegmentable } from '../workloads/segment-shares.ts';
import { formatSegment, WHOLE, type Segment } from '../workloads/segment.ts';
import { statsFilePath } from '../load/stats-file.ts';
import { checkOutputFile } from './flags.ts';
import { checkNodeFlag, planOverrides, type PlanFlags } from './scenarios.ts';

export interface LoadFlags extends PlanFlags {
  segment?: Segment;
  loadStats: string;
  duration?: number;
  seed?: number;
  quiet?: boolean;
}

export async function loadCommand(file: string, flags: LoadFlags, signal: AbortSignal): Promise<void> {
  checkNodeFlag(flags);
  if (flags.runtime && flags.runtime !== 'external') {
    throw new UsageError(`--runtime ${flags.runtime}: load sends to nodes that run elsewhere (--runtime external --nodes nodes.json); a run on the ${flags.runtime} runtime starts its own`);
  }
  const segment = flags.segment ?? WHOLE;
  // The stats' path first: a file nobody can write fails before the scenario loads.
  const isFolder = isDirectory(flags.loadStats);
  if (!isFolder) checkOutputFile('--load-stats', flags.loadStats);
  const loaded = await loadScenarioFile(file, { signal });
  const scenario = flags.seed === undefined ? loaded : { ...loaded, seed: flags.seed };
  checkSegmentable(scenario, segment);
  const plan = planNetwork(scenario, planOverrides({ ...flags, runtime: 'external' }));
  const statsFile = statsFilePath(flags.loadStats, isFolder, scenario.name, segment);

  const { runLoad } = await import('../load/run-load.ts');
  const log = flags.quiet ? undefined : (line: string) => process.stderr.write(`  ${line}\n`);
  const stats = await runLoad(scenario, plan, { segment, statsFile, signal, ...(flags.duration !== undefined ? { durationMs: flags.duration } : {}), ...(log ? { log } : {}) });
  for (const w of stats.workloads) {
    process.stdout.write(`segment ${formatSegment(segment)} ${w.phase}/${w.kind}: sent ${w.sent}, accepted ${w.accepted}, failed ${w.failed}, ${w.achievedRate}/s${w.latency ? `, p95 ${w.latency.p95Ms} ms` : ''}\n`);
  }
  process.stdout.write(`load stats: ${statsFile}\n`);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
