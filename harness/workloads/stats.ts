/**
 * Cheap measurement helpers shared by workloads of every node flavor: a fixed-bucket log-scale latency
 * histogram (no per-sample arrays), a rate pacer for tick-driven generators, a distinct-error sampler,
 * an abortable sleep and a CPU meter.
 */
import { setMaxListeners } from 'node:events';
import type { LatencySummary, WorkloadStats } from './workload.ts';

export interface HistogramOptions {
  /** Smallest resolved latency; everything below lands in one underflow bucket. Default 0.01 ms. */
  minMs?: number;
  /** Largest resolved latency; everything above lands in one overflow bucket. Default 3,600,000 ms. */
  maxMs?: number;
  /** Buckets per doubling of latency; 16 gives about 4.4% bucket width (about 2.2% error). Default 16. */
  bucketsPerDoubling?: number;
}

/**
 * Fixed-bucket log-scale histogram. record() is O(1) with one Math.log2 and no allocation. Percentiles
 * are reported as the geometric middle of the bucket holding the rank, clamped to the exact min and max
 * (so constant inputs come back exact and p100 is always the exact max).
 */
export class LatencyHistogram {
  readonly minMs: number;
  readonly maxMs: number;
  readonly bucketsPerDoubling: number;
  private readonly counts: Float64Array;
  private total = 0;
  private sum = 0;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(opts: HistogramOptions = {}) {
    this.minMs = opts.minMs ?? 0.01;
    this.maxMs = opts.maxMs ?? 3_600_000;
    this.bucketsPerDoubling = opts.bucketsPerDoubling ?? 16;
    if (!(this.minMs > 0) || !(this.maxMs > this.minMs) || !(this.bucketsPerDoubling >= 1)) {
      throw new Error(`invalid histogram options: ${JSON.stringify(opts)}`);
    }
    // [0] underflow (< minMs), [1..n] log buckets, [n+1] overflow (>= maxMs)
    const n = Math.ceil(Math.log2(this.maxMs / this.minMs) * this.bucketsPerDoubling);
    this.counts = new Float64Array(n + 2);
  }

  private index(ms: number): number {
    if (!(ms >= this.minMs)) return 0; // also catches NaN
    if (ms >= this.maxMs) return this.counts.length - 1;
    const i = 1 + Math.floor(Math.log2(ms / this.minMs) * this.bucketsPerDoubling);
    return i < this.counts.length - 1 ? i : this.counts.length - 2;
  }

  /** Record one sample (milliseconds). Negative or NaN samples count as 0. */
  record(ms: number): void {
    this.recordN(ms, 1);
  }

  /** Record the same latency n times (e.g. every tx of one batch round trip). */
  recordN(ms: number, n: number): void {
    if (!(n > 0)) return;
    if (!(ms >= 0)) ms = 0;
    this.counts[this.index(ms)] += n;
    this.total += n;
    this.sum += ms * n;
    if (ms < this.lo) this.lo = ms;
    if (ms > this.hi) this.hi = ms;
  }

  get count(): number {
    return this.total;
  }

  /** Exact largest sample, 0 when empty. */
  get max(): number {
    return this.total ? this.hi : 0;
  }

  /** Exact smallest sample, 0 when empty. */
  get min(): number {
    return this.total ? this.lo : 0;
  }

  mean(): number {
    return this.total ? this.sum / this.total : 0;
  }

  /** Nearest-rank percentile, p in [0, 100]; 0 when empty. */
  percentile(p: number): number {
    if (!this.total) return 0;
    if (p >= 100) return this.hi;
    if (p <= 0) return this.lo;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return this.clamp(this.bucketMiddle(i));
    }
    return this.hi;
  }

  private bucketMiddle(i: number): number {
    if (i === 0) return this.lo;
    if (i === this.counts.length - 1) return this.hi;
    return this.minMs * Math.pow(2, (i - 0.5) / this.bucketsPerDoubling);
  }

  private clamp(v: number): number {
    return v < this.lo ? this.lo : v > this.hi ? this.hi : v;
  }

  /** p50/p95/p99/max rounded to microseconds, or null when nothing was recorded. */
  summary(): LatencySummary | null {
    if (!this.total) return null;
    const r = (v: number) => Math.round(v * 1000) / 1000;
    return {
      p50Ms: r(this.percentile(50)),
      p95Ms: r(this.percentile(95)),
      p99Ms: r(this.percentile(99)),
      maxMs: r(this.hi),
    };
  }

  /** Add another histogram with the same bucket layout into this one. */
  merge(other: LatencyHistogram): void {
    if (
      other.counts.length !== this.counts.length ||
      other.minMs !== this.minMs ||
      other.bucketsPerDoubling !== this.bucketsPerDoubling
    ) {
      throw new Error('cannot merge histograms with different bucket layouts');
    }
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
    this.sum += other.sum;
    if (other.total) {
      if (other.lo < this.lo) this.lo = other.lo;
      if (other.hi > this.hi) this.hi = other.hi;
    }
  }

  /** A copy with the same layout and counts (to subtract later: latency over a window). */
  clone(): LatencyHistogram {
    const copy = new LatencyHistogram({ minMs: this.minMs, maxMs: this.maxMs, bucketsPerDoubling: this.bucketsPerDoubling });
    copy.merge(this);
    return copy;
  }

  /**
   * Nearest-rank percentile of the samples recorded since `earlier` (a clone of this histogram taken
   * before); null when none. Bucket resolution, not clamped to the window's exact min/max.
   */
  percentileSince(earlier: LatencyHistogram | undefined, p: number): number | null {
    const before = earlier?.counts;
    const total = this.total - (earlier?.total ?? 0);
    if (!(total > 0)) return null;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]! - (before?.[i] ?? 0);
      if (seen >= rank) return this.clamp(this.bucketMiddle(i));
    }
    return this.hi;
  }

  /**
   * The histogram as plain JSON (layout, exact min/max/sum, non-empty buckets as [index, count]): what a
   * `chainsoak load` segment writes, so the judging run merges percentiles exactly (fromJSON + merge).
   */
  toJSON(): SerializedHistogram {
    const buckets: Array<[number, number]> = [];
    this.counts.forEach((c, i) => c && buckets.push([i, c]));
    return { minMs: this.minMs, maxMs: this.maxMs, bucketsPerDoubling: this.bucketsPerDoubling, count: this.total, sumMs: this.sum, loMs: this.min, hiMs: this.max, buckets };
  }

  /** The histogram toJSON() wrote; throws on a layout or bucket that does not fit (a corrupt file). */
  static fromJSON(data: SerializedHistogram): LatencyHistogram {
    const h = new LatencyHistogram({ minMs: data.minMs, maxMs: data.maxMs, bucketsPerDoubling: data.bucketsPerDoubling });
    let total = 0;
    for (const [i, c] of data.buckets) {
      if (!Number.isInteger(i) || i < 0 || i >= h.counts.length || !(c > 0)) throw new Error(`histogram bucket [${i}, ${c}] does not fit its layout`);
      h.counts[i] += c;
      total += c;
    }
    if (total !== data.count) throw new Error(`histogram buckets hold ${total} samples, its count says ${data.count}`);
    h.total = total;
    h.sum = data.sumMs;
    if (total) {
      h.lo = data.loMs;
      h.hi = data.hiMs;
    }
    return h;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.lo = Infinity;
    this.hi = -Infinity;
  }
}

/** LatencyHistogram.toJSON(): the layout, the exact figures and the non-empty buckets as [index, count]. */
export interface SerializedHistogram {
  minMs: number;
  maxMs: number;
  bucketsPerDoubling: number;
  count: number;
  sumMs: number;
  loMs: number;
  hiMs: number;
  buckets: Array<[number, number]>;
}

export interface PacerOptions {
  /**
   * Largest number of operations due() hands out at once. When the generator falls further behind
   * (in-flight cap reached, event loop stalled), the excess is dropped and counted in `skipped`
   * instead of being sent later as one burst. Default: one second of traffic (at least 1).
   */
  maxBurst?: number;
  /** Clock in milliseconds; default performance.now. */
  now?: () => number;
  /**
   * Operations the schedule allows by `elapsedMs` after start (not counting the one at t=0), for a rate
   * that changes over time (ramping-arrival-rate's stages). Default: rate × elapsed, a constant rate.
   */
  schedule?: (elapsedMs: number) => number;
}

/**
 * Schedule-based pacer: the schedule allows rate × elapsed operations (plus one at t=0); due() is the
 * schedule minus what was taken or skipped, so uneven ticks average out to the target rate.
 *
 *   const pacer = new Pacer(500); pacer.start();
 *   every tick: const n = pacer.due(); send n; pacer.take(n);
 */
export class Pacer {
  readonly rate: number;
  readonly maxBurst: number;
  private readonly now: () => number;
  private readonly schedule: (elapsedMs: number) => number;
  private t0 = NaN;
  private taken = 0;
  private dropped = 0;

  constructor(rate: number, opts: PacerOptions = {}) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`pacer rate must be a positive number, got ${rate}`);
    this.rate = rate;
    this.maxBurst = Math.max(1, Math.floor(opts.maxBurst ?? rate));
    this.now = opts.now ?? (() => performance.now());
    this.schedule = opts.schedule ?? ((ms) => (rate * ms) / 1000);
  }

  start(at: number = this.now()): void {
    this.t0 = at;
    this.taken = 0;
    this.dropped = 0;
  }

  /** Operations due now (never negative, at most maxBurst). Starts the pacer if start() was not called. */
  due(at: number = this.now()): number {
    if (Number.isNaN(this.t0)) this.start(at);
    const allowed = 1 + Math.floor(this.schedule(Math.max(0, at - this.t0)));
    let due = allowed - this.taken - this.dropped;
    if (due > this.maxBurst) {
      this.dropped += due - this.maxBurst;
      due = this.maxBurst;
    }
    return due > 0 ? due : 0;
  }

  take(n: number): void {
    this.taken += n;
  }

  /** Operations taken so far. */
  get sent(): number {
    return this.taken;
  }

  /** Operations the schedule allowed but the generator could not send in time (dropped backlog). */
  get skipped(): number {
    return this.dropped;
  }

  /** Milliseconds until the next operation becomes due at the constant rate (0 if one is due now). */
  msUntilNext(at: number = this.now()): number {
    if (Number.isNaN(this.t0)) return 0;
    const nextIndex = this.taken + this.dropped; // 0-based: op k is due at k / rate
    const dueAt = this.t0 + (nextIndex * 1000) / this.rate;
    return Math.max(0, dueAt - at);
  }
}

/**
 * Keeps a small sample of distinct error messages. Messages that differ only in numbers or hex
 * (nonces, hashes, addresses) count as the same error; the first one seen is kept, with a count.
 */
export class ErrorSample {
  private readonly seen = new Map<string, { message: string; count: number }>();
  private others = 0;

  constructor(readonly limit = 10) {}

  add(message: string): void {
    const msg = message.length > 300 ? message.slice(0, 300) + '…' : message;
    const key = msg.replace(/0x[0-9a-fA-F]+/g, '0x…').replace(/\d+/g, 'N');
    const entry = this.seen.get(key);
    if (entry) entry.count++;
    else if (this.seen.size < this.limit) this.seen.set(key, { message: msg, count: 1 });
    else this.others++;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Messages with their counts, e.g. "nonce too low (x12)". */
  list(): string[] {
    const out = [...this.seen.values()].map((e) => (e.count > 1 ? `${e.message} (x${e.count})` : e.message));
    if (this.others) out.push(`… ${this.others} more errors of other kinds`);
    return out;
  }
}

/** Sleep that resolves early (never rejects) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface CpuReading {
  userMs: number;
  systemMs: number;
  totalMs: number;
}

/** Starts measuring this process's CPU time; the returned function reads the usage since the start. */
export function startCpuMeter(): () => CpuReading {
  const start = process.cpuUsage();
  return () => {
    const d = process.cpuUsage(start);
    return { userMs: d.user / 1000, systemMs: d.system / 1000, totalMs: (d.user + d.system) / 1000 };
  };
}

/** The WorkloadStats every counting workload reports, from its counters over the measured window. */
export function windowStats(
  kind: string,
  c: { sent: number; accepted: number; failed: number; windowMs: number; hist: LatencyHistogram; errors: ErrorSample; extra: Record<string, number | string> },
): WorkloadStats {
  return {
    kind,
    sent: c.sent,
    accepted: c.accepted,
    failed: c.failed,
    achievedRate: c.windowMs > 0 ? Math.round((c.accepted / (c.windowMs / 1000)) * 10) / 10 : 0,
    durationMs: Math.round(c.windowMs),
    latency: c.hist.summary(),
    errors: c.errors.list(),
    extra: c.extra,
  };
}

/**
 * Poll `check` until it returns true, the timeout passes or the signal aborts: every 25 ms for the first
 * second, then every 250 ms. Returns whether it came true. Errors of check count as false.
 */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const start = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return true;
    const elapsed = performance.now() - start;
    if (elapsed >= timeoutMs || signal.aborted) return false;
    await sleep(Math.min(elapsed < 1_000 ? 25 : 250, timeoutMs - elapsed), signal);
  }
}

/**
 * A local abort signal that follows the harness's: in-flight requests listen on it, so the harness's
 * signal carries one listener per workload instead of one per request. Call unlink() when the run ends.
 */
export function localAbort(outer: AbortSignal, maxListeners: number): { signal: AbortSignal; unlink(): void } {
  const local = new AbortController();
  setMaxListeners(maxListeners, local.signal);
  const onAbort = () => local.abort();
  outer.addEventListener('abort', onAbort, { once: true });
  if (outer.aborted) local.abort();
  return { signal: local.signal, unlink: () => outer.removeEventListener('abort', onAbort) };
}
