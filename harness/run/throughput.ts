/**
 * Workload progress over time, for the report's rate and latency charts: every interval, the sum of all
 * workloads' counters and the p95 of the requests completed since the previous point. Reads counters
 * the workloads keep anyway; the only work per tick is merging a few hundred histogram buckets.
 */
import type { ThroughputPoint } from '../report/summary.ts';
import { LatencyHistogram } from '../workloads/stats.ts';
import type { Workload } from '../workloads/workload.ts';

export class ThroughputRecorder {
  readonly points: ThroughputPoint[] = [];
  private timer: NodeJS.Timeout | undefined;
  private previous: LatencyHistogram | undefined;

  constructor(
    private readonly workloads: () => Workload[],
    private readonly intervalMs: number,
    private readonly startedAt: number,
    private readonly currentPhase: () => string,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.record(), this.intervalMs);
  }

  record(): void {
    let sent = 0;
    let accepted = 0;
    let failed = 0;
    const latency = new LatencyHistogram();
    for (const w of this.workloads()) {
      const p = w.progress();
      sent += p.sent;
      accepted += p.accepted;
      failed += p.failed;
      try {
        if (p.latency) latency.merge(p.latency);
      } catch {
        // a workload with its own bucket layout stays out of the combined latency
      }
    }
    const p95 = latency.percentileSince(this.previous, 95);
    this.previous = latency;
    this.points.push({ t: Date.now() - this.startedAt, phase: this.currentPhase(), sent, accepted, failed, p95Ms: p95 === null ? null : Math.round(p95 * 1000) / 1000 });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
