/**
 * A workload is a Jepsen-style client + generator: it drives traffic at nodes for one phase.
 * prepare() runs before the measured window (funding accounts, signing transactions), so the
 * window measures the node, not the generator's setup.
 */
import type { RunningNode } from '../runtimes/runtime.ts';
import type { LatencyHistogram } from './stats.ts';
import type { WorkloadStats } from '../result/types.ts';
import type { Segment } from './segment.ts';
export type { LatencySummary, WorkloadStats } from '../result/types.ts';

export interface WorkloadContext {
  /** Nodes of the run the workload may target (already ready). */
  nodes: RunningNode[];
  /** Scenario seed; every random choice derives from it so a run can be replayed. */
  seed: number;
  /**
   * The share of the load this process sends (`--segment i/n`, segment.ts); absent: the whole workload.
   * A workload that honours it sends its share of the rate and count from the items it owns.
   */
  segment?: Segment;
  /** Aborted on Ctrl-C, SIGTERM or a node crash: stop promptly. */
  signal: AbortSignal;
  /** How long run() will be asked to drive traffic, when known at prepare() time (sizes pre-signing). */
  plannedDurationMs?: number;
  /** Tell the run the workload restarted or stopped a node: its before/after profiles are not judged. */
  disrupted?(node: string): void;
  /** Human-readable progress line for the node log / console. */
  log(message: string): void;
}

/** Live figures for the console view and the run's throughput series. */
export interface WorkloadProgress {
  sent: number;
  accepted: number;
  failed: number;
  /** The workload's cumulative latency histogram (read only), for latency over time. */
  latency?: LatencyHistogram;
  /** Operations sent to each node (by name), where the workload spreads them over nodes itself. */
  perNode?: Record<string, number>;
}

export interface Workload {
  readonly kind: string;
  prepare(ctx: WorkloadContext): Promise<void>;
  /** Drive traffic until durationMs passes, the count bound is reached, or ctx.signal aborts. */
  run(ctx: WorkloadContext, durationMs: number): Promise<void>;
  /** Release whatever the workload still holds (connections, clients). Always called. */
  release(): Promise<void>;
  progress(): WorkloadProgress;
  stats(): WorkloadStats;
}
