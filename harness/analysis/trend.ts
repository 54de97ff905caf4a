/**
 * Trend verdict: is the post-GC floor still rising, or did it plateau? Two snapshots are fooled by
 * warm-up and by caches that fill to a bound; a series of forced-GC samples, one after each workload
 * cycle, is not. (Implementation follows; the types are the contract the report and compare read.)
 */

/** One forced-GC sample taken after a workload cycle. */
export interface TrendPoint {
  /** 1-based cycle index over the whole run (cycle 0 is the 'before' snapshot). */
  cycle: number;
  phase: string;
  /** ms since the run started */
  t: number;
  /** Operations the workloads completed (accepted) up to this point. */
  ops: number;
  /** Post-GC heap in use (inuse_space of the forced-GC heap profile), bytes. */
  heapInuse: number;
  /** runtime.MemStats right after the forced GC. */
  heapAlloc: number;
  sys: number;
  goroutines: number;
  rss: number | null;
  /** Heap profile of this sample, relative to the report folder. */
  profile?: string;
}

export type TrendVerdict = 'leak' | 'bounded' | 'flat' | 'insufficient';

export interface TrendFit {
  metric: 'heapInuse' | 'goroutines' | 'rss' | 'sys';
  verdict: TrendVerdict;
  /** Growth from the first to the last point (robust: medians of the first and last thirds). */
  growth: number;
  /** Least-squares slope over the whole series, per cycle, with its 95% confidence interval. */
  slopePerCycle: number;
  slopeCI: [number, number];
  /** Slope over the last half of the series (the steady state), per cycle, with its 95% interval. */
  tailSlopePerCycle: number;
  tailSlopeCI: [number, number];
  /** Tail slope per 1,000 operations, when the workloads count operations. */
  tailSlopePer1kOps?: number;
  /** Tail slope per minute. */
  tailSlopePerMinute: number;
  /** Plain-language reason for the verdict. */
  message: string;
}
