/**
 * The figures every workload reports, kept once for all of them: operations sent, accepted, failed and in
 * flight, the latency histogram, a sample of distinct errors, operations per node and per tag. The shared
 * executor counts a call through count(); the floods, whose one request carries a batch of transactions
 * with outcomes of their own, count it through open()/begin() and the request's settle()/end().
 */
import { ErrorSample, LatencyHistogram, windowStats } from '../stats.ts';
import type { WorkloadProgress, WorkloadStats } from '../workload.ts';
import type { OpOutcome } from './client.ts';

interface TagCounters {
  ok: number;
  failed: number;
  hist: LatencyHistogram;
}

/** How operations of one request went: all of them, or a part (a request settled piece by piece). */
export interface RequestOutcome {
  accepted: number;
  failed: number;
  /**
   * Texts for the error sample, one add each (a batch rejected as a whole gives one text, not one per
   * operation). An accepted operation can bring one too (comet's committed-but-failed DeliverTx).
   */
  errors?: readonly string[];
  /** false: no latency to record, the request got no answer to time (geth-tx-flood's transport failures). Default true. */
  timed?: boolean;
}

/**
 * One request on OpCounters: in flight from open() until close(). Its operations count as sent at
 * sent(), which also starts the clock: a flood that waits or signs between the two keeps that out of the
 * latency, yet the request counts against maxInFlight while it waits.
 */
export class OpenRequest {
  private t0 = performance.now();
  private open = true;

  constructor(private readonly c: OpCounters) {}

  /** The request goes out: `n` operations to `node`. */
  sent(node: string, n: number): this {
    const c = this.c;
    c.sent += n;
    c.calls++;
    c.perNode[node] = (c.perNode[node] ?? 0) + n;
    this.t0 = performance.now();
    return this;
  }

  /** Counts operations of this request; each timed one gets the round trip so far. Returns that round trip (ms). */
  settle(o: RequestOutcome): number {
    const c = this.c;
    const ms = performance.now() - this.t0;
    c.accepted += o.accepted;
    c.failed += o.failed;
    if (o.timed !== false) c.hist.recordN(ms, o.accepted + o.failed);
    if (o.errors) for (const e of o.errors) c.errors.add(e);
    return ms;
  }

  /** The request is over: no longer in flight. Idempotent. */
  close(): void {
    if (this.open) {
      this.open = false;
      this.c.inFlight--;
    }
  }

  /** settle() then close(): a request answered all at once. */
  end(o: RequestOutcome): number {
    const ms = this.settle(o);
    this.close();
    return ms;
  }
}

export class OpCounters {
  sent = 0;
  /** Calls of op(): requests, where the executor batches several operations into one. */
  calls = 0;
  accepted = 0;
  failed = 0;
  inFlight = 0;
  peakInFlight = 0;
  readonly hist = new LatencyHistogram();
  readonly errors = new ErrorSample(10);
  readonly perNode: Record<string, number> = {};
  private readonly tags = new Map<string, TagCounters>();

  /** A request in flight whose operations are not sent yet (see OpenRequest). */
  open(): OpenRequest {
    if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    return new OpenRequest(this);
  }

  /** A request of `n` operations to `node`, in flight and sent from now. */
  begin(node: string, n: number): OpenRequest {
    return this.open().sent(node, n);
  }

  /** Runs one call of `n` operations and counts them; never rejects. In flight counts calls. */
  async count(node: string, n: number, op: () => Promise<OpOutcome>): Promise<void> {
    const request = this.begin(node, n);
    let outcome: OpOutcome;
    let error: string | undefined;
    try {
      outcome = await op();
      if (outcome && outcome.ok === false) error = outcome.error ?? 'failed';
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const ms = request.end(error === undefined ? { accepted: n, failed: 0 } : { accepted: 0, failed: n, errors: [error] });
    const tag = outcome?.tag;
    if (tag !== undefined) {
      let t = this.tags.get(tag);
      if (!t) this.tags.set(tag, (t = { ok: 0, failed: 0, hist: new LatencyHistogram() }));
      if (error === undefined) t.ok += n;
      else t.failed += n;
      t.hist.recordN(ms, n);
    }
  }

  /** Per-tag figures for `extra`. */
  tagFigures(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [tag, t] of this.tags) {
      out[`${tag}.sent`] = t.ok + t.failed;
      out[`${tag}.ok`] = t.ok;
      out[`${tag}.failed`] = t.failed;
      const s = t.hist.summary();
      if (s) {
        out[`${tag}.p50Ms`] = s.p50Ms;
        out[`${tag}.p95Ms`] = s.p95Ms;
      }
    }
    return out;
  }

  /** The request figures of `extra`: requests made and the most open at once. */
  requestFigures(): { requests: number; peakInFlight: number } {
    return { requests: this.calls, peakInFlight: this.peakInFlight };
  }

  /** The live figures a workload's progress() gives. */
  progress(): WorkloadProgress {
    return { sent: this.sent, accepted: this.accepted, failed: this.failed, latency: this.hist, perNode: { ...this.perNode } };
  }

  /** A workload's stats() over its measured window, with its own `extra`. */
  stats(kind: string, windowMs: number, extra: Record<string, number | string>): WorkloadStats {
    return windowStats(kind, { sent: this.sent, accepted: this.accepted, failed: this.failed, windowMs, hist: this.hist, errors: this.errors, extra });
  }
}
