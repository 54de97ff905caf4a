/**
 * The stats file a `chainsoak load` segment writes and the judging run reads: per phase, per workload,
 * its WorkloadStats plus its latency histogram's buckets (so merged percentiles are exact, not an
 * average of percentiles), the segment, and when the segment's load ran. Plain JSON, one file a segment.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { WorkloadStats } from '../result/types.ts';
import type { SerializedHistogram } from '../workloads/stats.ts';
import { formatSegment, type Segment } from '../workloads/segment.ts';

export const LOAD_STATS_FORMAT = 'chainsoak-load-stats/1';

/** One workload's figures in one segment: its stats and its histogram (null when it recorded nothing). */
export interface SegmentWorkload extends WorkloadStats {
  phase: string;
  histogram: SerializedHistogram | null;
}

export interface LoadStatsFile {
  format: typeof LOAD_STATS_FORMAT;
  scenario: string;
  seed: number;
  /** 'i/n' as given to --segment. */
  segment: string;
  segmentIndex: number;
  segmentCount: number;
  /** When the segment's load started and ended (ISO times): its first phase's start, its last phase's end. */
  startedAt: string;
  endedAt: string;
  /** 0 when every phase ran; the load's exit code otherwise (its stats are what it sent until then). */
  exitCode: number;
  error: string | null;
  workloads: SegmentWorkload[];
}

/** The file name a segment writes into a stats folder: one per scenario and segment, so reruns replace it. */
export function statsFileName(scenario: string, s: Segment): string {
  return `${scenario}.segment-${s.index + 1}-of-${s.count}.load-stats.json`;
}

/** Where `--load-stats <path>` puts the file: into the folder when the path is one, else the path itself. */
export function statsFilePath(target: string, isFolder: boolean, scenario: string, s: Segment): string {
  return isFolder ? path.join(target, statsFileName(scenario, s)) : target;
}

/** Written whole then renamed: a judging run polling the folder never reads half a file. */
export async function writeStatsFile(file: string, stats: LoadStatsFile): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(stats, null, 2) + '\n');
  await rename(tmp, file);
}

export function statsOf(segment: Segment, fields: Omit<LoadStatsFile, 'format' | 'segment' | 'segmentIndex' | 'segmentCount'>): LoadStatsFile {
  return { format: LOAD_STATS_FORMAT, segment: formatSegment(segment), segmentIndex: segment.index, segmentCount: segment.count, ...fields };
}

const num = z.number().finite();
const histogramSchema = z.object({
  minMs: num,
  maxMs: num,
  bucketsPerDoubling: num,
  count: num,
  sumMs: num,
  loMs: num,
  hiMs: num,
  buckets: z.array(z.tuple([num, num])),
});
const fileSchema = z.object({
  format: z.literal(LOAD_STATS_FORMAT),
  scenario: z.string(),
  seed: num,
  segment: z.string(),
  segmentIndex: z.number().int().min(0),
  segmentCount: z.number().int().min(1),
  startedAt: z.string(),
  endedAt: z.string(),
  exitCode: num,
  error: z.string().nullable(),
  workloads: z.array(
    z.object({
      phase: z.string(),
      kind: z.string(),
      sent: num,
      accepted: num,
      failed: num,
      achievedRate: num,
      durationMs: num,
      latency: z.object({ p50Ms: num, p95Ms: num, p99Ms: num, maxMs: num }).nullable(),
      errors: z.array(z.string()),
      extra: z.record(z.string(), z.union([num, z.string()])).optional(),
      histogram: histogramSchema.nullable(),
    }),
  ),
});

/** A stats file, checked; a file that is not one gives the reason (the caller names the file). */
export function readStatsFile(file: string): LoadStatsFile | { invalid: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { invalid: (error as Error).message.split('\n')[0]! };
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { invalid: `${issue.path.join('.') || '(top level)'}: ${issue.message}` };
  }
  return parsed.data as LoadStatsFile;
}
