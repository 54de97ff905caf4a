/**
 * The figures every workload reports, kept once for all of them: operations sent, accepted, failed and in
 * flight, the latency histogram, a sample of distinct errors, operations per node and per tag.
 */
import { ErrorSample, LatencyHistogram } from '../stats.ts';
import type { OpOutcome } from './client.ts';

interface TagCounters {
  ok: number;
  failed: number;
  hist: LatencyHistogram;
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

  /** Runs one call of `n` operations and counts them; never rejects. In flight counts calls. */
  async count(node: string, n: number, op: () => Promise<OpOutcome>): Promise<void> {
    this.sent += n;
    this.calls++;
    this.perNode[node] = (this.perNode[node] ?? 0) + n;
    if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    const t0 = performance.now();
    let outcome: OpOutcome;
    let error: string | undefined;
    try {
      outcome = await op();
      if (outcome && outcome.ok === false) error = outcome.error ?? 'failed';
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const ms = performance.now() - t0;
    this.inFlight--;
    this.hist.recordN(ms, n);
    if (error === undefined) this.accepted += n;
    else {
      this.failed += n;
      this.errors.add(error);
    }
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
}
