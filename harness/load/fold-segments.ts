/**
 * The judging run's side of distributed load (`chainsoak run --load-stats <dir>`): collect the segments'
 * stats files from the folder, waiting for the ones not there yet, and fold them (and the run's own
 * segment, if it sends one) into one set of workload figures for the budgets and the report.
 *
 * Synchronization: segments write their file when their phases end (or before the run, for load run
 * earlier). The judging run reads the folder after its 'after' snapshot and waits up to `waitMs` more for
 * missing segments; the number of segments comes from the files themselves (their `segmentCount`). What is
 * still missing then is named in the report (`segments.missing`), and the verdict is given on what came.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { InfraError } from '../errors.ts';
import type { SegmentsReport } from '../result/types.ts';
import { formatSegment, type Segment } from '../workloads/segment.ts';
import { sleep } from '../workloads/stats.ts';
import { mergeWorkload, withoutHistogram } from './merge.ts';
import { readStatsFile, type LoadStatsFile, type SegmentWorkload } from './stats-file.ts';

/** How long the judging run waits for missing segments after its 'after' snapshot, by default. */
export const LOAD_STATS_WAIT_MS = 60_000;

export interface FoldRequest {
  dir: string;
  scenario: string;
  /** The workloads in scenario order (phase, kind), to check a file belongs to this scenario. */
  shape: ReadonlyArray<{ phase: string; kind: string }>;
  /** The run's own segment and its figures, when it sends one. */
  own?: { segment: Segment; workloads: SegmentWorkload[] };
  runStartedAt: number;
  waitMs: number;
  signal: AbortSignal;
}

export interface Folded {
  workloads: SegmentWorkload[];
  report: SegmentsReport;
}

export async function foldSegments(req: FoldRequest): Promise<Folded> {
  const deadline = Date.now() + req.waitMs;
  let found = readSegments(req);
  while (!complete(found, req) && Date.now() < deadline && !req.signal.aborted) {
    await sleep(Math.min(500, deadline - Date.now()), req.signal);
    found = readSegments(req);
  }
  const files = [...found.files.values()].sort((a, b) => a.stats.segmentIndex - b.stats.segmentIndex);
  if (!files.length && !req.own) {
    const why = found.invalid.length ? `; not folded: ${found.invalid.map((i) => `${path.basename(i.file)} (${i.reason})`).join(', ')}` : '';
    throw new InfraError(`--load-stats ${req.dir}: no segment stats file of scenario ${req.scenario} arrived within ${Math.round(req.waitMs / 1000)} s of the run's end${why}`);
  }
  const count = found.count;
  const parts = [...(req.own ? [{ segment: req.own.segment, workloads: req.own.workloads }] : []), ...files.map((f) => ({ segment: segmentOf(f.stats), workloads: f.stats.workloads }))].sort(
    (a, b) => a.segment.index - b.segment.index,
  );
  const have = new Set(parts.map((p) => p.segment.index));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !have.has(i)).map((i) => formatSegment({ index: i, count }));
  const workloads = req.shape.map((_, k) => mergeWorkload(parts.map((p) => p.workloads[k]!)));
  return {
    workloads,
    report: {
      dir: req.dir,
      count,
      folded: parts.map((p) => formatSegment(p.segment)),
      missing,
      ...(req.own ? { own: formatSegment(req.own.segment) } : {}),
      parts: [
        ...(req.own ? [{ segment: formatSegment(req.own.segment), file: null, startedAt: null, endedAt: null, exitCode: 0, error: null, beforeRun: false, workloads: req.own.workloads.map(withoutHistogram) }] : []),
        ...files.map(({ file, stats }) => ({
          segment: stats.segment,
          file,
          startedAt: stats.startedAt,
          endedAt: stats.endedAt,
          exitCode: stats.exitCode,
          error: stats.error,
          beforeRun: Date.parse(stats.endedAt) < req.runStartedAt,
          workloads: stats.workloads.map(withoutHistogram),
        })),
      ],
      invalid: found.invalid.map((i) => ({ file: i.file, reason: i.reason })),
    },
  };
}

interface Found {
  /** The newest file of each segment index, of the segment count the run folds. */
  files: Map<number, { file: string; stats: LoadStatsFile }>;
  /** That count: the run's own segment's, else the newest file's (0 while none came). */
  count: number;
  invalid: Array<{ file: string; reason: string }>;
}

function readSegments(req: FoldRequest): Found {
  const valid: Array<{ file: string; stats: LoadStatsFile }> = [];
  const invalid: Found['invalid'] = [];
  let names: string[] = [];
  try {
    names = readdirSync(req.dir).filter((n) => n.endsWith('.load-stats.json'));
  } catch {
    // checked before the run; a folder gone since holds nothing
  }
  for (const name of names) {
    const file = path.join(req.dir, name);
    const stats = readStatsFile(file);
    if ('invalid' in stats) invalid.push({ file, reason: stats.invalid });
    else if (stats.scenario !== req.scenario) continue; // another scenario's segments share the folder
    else {
      const reason = mismatch(stats, req);
      if (reason) invalid.push({ file, reason });
      else valid.push({ file, stats });
    }
  }
  valid.sort((a, b) => Date.parse(b.stats.endedAt) - Date.parse(a.stats.endedAt)); // newest first
  const count = req.own?.segment.count ?? valid[0]?.stats.segmentCount ?? 0;
  const files: Found['files'] = new Map();
  for (const f of valid) {
    if (f.stats.segmentCount !== count) invalid.push({ file: f.file, reason: `a segment of ${f.stats.segmentCount}, the newest segments are of ${count}` });
    else if (!files.has(f.stats.segmentIndex)) files.set(f.stats.segmentIndex, f);
  }
  return { files, count, invalid };
}

/** Why a file of this scenario cannot be folded in, or undefined when it can. */
function mismatch(stats: LoadStatsFile, req: FoldRequest): string | undefined {
  if (stats.segmentIndex >= stats.segmentCount) return `segment ${stats.segment} is not one of ${stats.segmentCount}`;
  if (req.own && stats.segmentCount !== req.own.segment.count) return `a segment of ${stats.segmentCount}, the run sends ${formatSegment(req.own.segment)}`;
  if (req.own && stats.segmentIndex === req.own.segment.index) return `segment ${stats.segment} is the run's own`;
  const same = stats.workloads.length === req.shape.length && stats.workloads.every((w, k) => w.phase === req.shape[k]!.phase && w.kind === req.shape[k]!.kind);
  if (!same) return "its workloads are not the scenario's (phase and kind, in order)";
  return undefined;
}

function complete(found: Found, req: FoldRequest): boolean {
  return found.count > 0 && found.files.size + (req.own ? 1 : 0) >= found.count;
}

function segmentOf(stats: LoadStatsFile): Segment {
  return { index: stats.segmentIndex, count: stats.segmentCount };
}
