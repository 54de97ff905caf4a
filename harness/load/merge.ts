/**
 * The segments' figures of one workload, added up as if one process had sent them all: counts summed,
 * latency from the merged histograms (exact percentiles of all samples, at bucket resolution), rates
 * summed (the segments ran side by side), error samples joined.
 */
import type { WorkloadStats } from '../result/types.ts';
import { LatencyHistogram } from '../workloads/stats.ts';
import type { SegmentWorkload } from './stats-file.ts';

/**
 * `extra` figures that are settings or per-item sizes, not counters: the largest segment's value is kept
 * (summing two segments' tick of 50 ms is not 100 ms). Every other number is a counter and is summed.
 */
const NOT_SUMMED = new Set(['tickMs', 'batch', 'txBytes', 'nodes', 'signUsPerTx', 'prepareMs', 'startHeight', 'endHeight']);

/** Recomputed from summed figures rather than added. */
const RATIOS: Record<string, (extra: Record<string, number | string>, accepted: number) => number> = {
  cpuMsPer1kAccepted: (extra, accepted) => (accepted && typeof extra.cpuMs === 'number' ? Math.round((extra.cpuMs / accepted) * 1000 * 10) / 10 : 0),
};

export function mergeWorkload(parts: readonly SegmentWorkload[]): SegmentWorkload {
  const first = parts[0]!;
  const hist = new LatencyHistogram(first.histogram ?? {});
  for (const p of parts) if (p.histogram) hist.merge(LatencyHistogram.fromJSON(p.histogram));
  const sum = (f: (p: SegmentWorkload) => number) => parts.reduce((n, p) => n + f(p), 0);
  const accepted = sum((p) => p.accepted);
  const extra = mergeExtra(parts.map((p) => p.extra ?? {}), accepted);
  const errors = [...new Set(parts.flatMap((p) => p.errors))];
  return {
    phase: first.phase,
    kind: first.kind,
    sent: sum((p) => p.sent),
    accepted,
    failed: sum((p) => p.failed),
    achievedRate: Math.round(sum((p) => p.achievedRate) * 10) / 10,
    durationMs: Math.max(...parts.map((p) => p.durationMs)),
    latency: hist.summary(),
    errors,
    ...(Object.keys(extra).length ? { extra } : {}),
    histogram: hist.count ? hist.toJSON() : null,
  };
}

function mergeExtra(extras: ReadonlyArray<Record<string, number | string>>, accepted: number): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const key of new Set(extras.flatMap((e) => Object.keys(e)))) {
    const values = extras.map((e) => e[key]).filter((v) => v !== undefined);
    if (values.every((v) => typeof v === 'number')) {
      const nums = values as number[];
      out[key] = NOT_SUMMED.has(key) ? Math.max(...nums) : nums.reduce((a, b) => a + b, 0);
    } else {
      out[key] = [...new Set(values.map(String))].join(',');
    }
  }
  for (const [key, ratio] of Object.entries(RATIOS)) if (key in out) out[key] = ratio(out, accepted);
  return out;
}

/** WorkloadStats without the histogram (what summary.json's `workloads` holds). */
export function withoutHistogram({ histogram: _h, ...stats }: SegmentWorkload): WorkloadStats & { phase: string } {
  return stats;
}
