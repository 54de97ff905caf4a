/** summary.json: the machine-readable result of one run. Field names are a public contract. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BudgetResult } from '../analysis/budgets.ts';
import type { PatternFinding } from '../analysis/patterns.ts';
import type { TrendFit, TrendPoint } from '../analysis/trend.ts';
import type { MemStats } from '../probes/memstats.ts';
import type { RunEvent } from '../run/context.ts';
import type { RuntimeKind } from '../runtimes/runtime.ts';
import type { WorkloadStats } from '../workloads/workload.ts';

export type Verdict = 'pass' | 'fail' | 'error';

export interface NodeReport {
  name: string;
  flavor: string;
  version: string;
  /** The host binary it ran ('' when it ran only an image, or ran elsewhere). */
  binary: string;
  /** Where it ran: 'process', 'container' or 'external'. */
  runtime: RuntimeKind;
  /** The container image it ran (container runtime). */
  image?: string;
  heap: {
    before: { inuseBytes: number; inuseObjects: number; memstats: MemStats };
    after: { inuseBytes: number; inuseObjects: number; memstats: MemStats };
    topGrowth: Array<{ function: string; inuseBytes: number; inuseObjects: number; cumInuseBytes: number }>;
  };
  goroutines: {
    before: number;
    after: number;
    topGrowth: Array<{ stack: string[]; entry: string; before: number; after: number; count: number }>;
  };
  rss: { before: number | null; after: number | null };
  /** Paths relative to the report folder. */
  profiles: { heapBefore: string; heapAfter: string; goroutineBefore: string; goroutineAfter: string };
  pprofCommands: string[];
  log: string;
  /** With `afterRelease`: the node after the workloads let go of what they held (clients, subscriptions). */
  released?: { goroutines: number; inuseBytes: number; rssBytes: number | null };
  /** A scenario fault hit this node between the snapshots: its diff is shown but not judged. */
  disrupted: boolean;
  /** Bytes between heap profile samples (runtime.MemProfileRate; GODEBUG=memprofilerate sets it). */
  heapSampleRate: number;
  /** Runtime figures per phase, from the samples at the phase's start and end. */
  phases: PhaseFigures[];
  /** Forced-GC samples after each workload cycle and the fits over them (phases with `cycles`). */
  trend?: { points: TrendPoint[]; heapAlloc: TrendFit; goroutines: TrendFit; rss?: TrendFit; sys?: TrendFit };
  /** Memory growing outside the Go heap (cgo, mmap): Sys or RSS growing much faster than HeapInuse. */
  outsideHeap: { flagged: boolean; heapInuseGrowth: number; sysGrowth: number; rssGrowth: number | null; message: string };
  /** Top growth classified into known leak patterns, most bytes (or goroutines) first. */
  patterns: PatternFinding[];
}

/** Where the memory is, per phase (runtime.MemStats names). */
export interface PhaseFigures {
  phase: string;
  /** ms since the run started */
  startT: number;
  endT: number;
  heapInuse: { start: number; end: number; max: number };
  heapAlloc: { start: number; end: number; max: number };
  sys: { start: number; end: number };
  rss: { start: number | null; end: number | null };
  goroutines: { start: number; end: number; max: number };
  /** Bytes allocated during the phase (TotalAlloc difference): GC churn. */
  allocated: number;
  numGC: number;
  /** Total GC stop-the-world pause during the phase, ms, where the source reports it. */
  gcPauseMs?: number;
  /** Fraction of CPU used by the GC since the node started, at the phase's end, where reported. */
  gcCpuFraction?: number;
  /** A container's memory as its cgroup counts it (what a memory limit judges), on the container runtime. */
  container?: { usage: { start: number; end: number; max: number }; cache: { start: number | null; end: number | null } };
}

export interface RunSummary {
  scenario: string;
  file?: string;
  seed: number;
  verdict: Verdict;
  exitCode: 0 | 1 | 2 | 3 | 130;
  error: { message: string; detail?: string } | null;
  reportDir: string;
  startedAt: string;
  /** Wall time from start to verdict. */
  durationMs: number;
  /** What the scenario declares: warm-up + phases + cool-down. */
  declaredMs: number;
  nodes: NodeReport[];
  workloads: Array<WorkloadStats & { phase: string }>;
  budgets: BudgetResult[];
  events: RunEvent[];
  /** The planned timeline (seeded decisions): equal for equal scenario and seed. */
  timeline: string[];
  /** JSON lines of runtime samples, relative to the report folder. */
  samples: string;
  /** Workload progress over time, all workloads together, one point per sample interval. */
  throughput: ThroughputPoint[];
  /** The HTML report, relative to the report folder. */
  html?: string;
}

/** Cumulative workload counters at a moment; rates are differences between points. */
export interface ThroughputPoint {
  /** ms since the run started */
  t: number;
  phase: string;
  sent: number;
  accepted: number;
  failed: number;
  /** p95 submission latency of requests completed since the previous point, ms (null: none completed). */
  p95Ms: number | null;
}

export async function writeSummary(summary: RunSummary): Promise<string> {
  const file = path.join(summary.reportDir, 'summary.json');
  await writeFile(file, JSON.stringify(summary, null, 2) + '\n');
  return file;
}
