import assert from 'node:assert/strict';
import { ErrorSample, LatencyHistogram, Pacer, sleep } from '../../harness/workloads/stats.ts';

const near = (actual: number, expected: number, rel: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= expected * rel, `${what}: ${actual} not within ${rel * 100}% of ${expected}`);

describe('LatencyHistogram', () => {
  it('is empty until something is recorded', () => {
    const h = new LatencyHistogram();
    assert.equal(h.count, 0);
    assert.equal(h.percentile(50), 0);
    assert.equal(h.max, 0);
    assert.equal(h.summary(), null);
  });

  it('gives percentiles of 1..1000 ms within the bucket error', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.record(ms);
    assert.equal(h.count, 1000);
    near(h.percentile(50), 500, 0.03, 'p50');
    near(h.percentile(95), 950, 0.03, 'p95');
    near(h.percentile(99), 990, 0.03, 'p99');
    assert.equal(h.percentile(100), 1000);
    assert.equal(h.max, 1000);
    assert.equal(h.min, 1);
    near(h.mean(), 500.5, 1e-9, 'mean');
    const s = h.summary()!;
    near(s.p50Ms, 500, 0.03, 'summary p50');
    assert.equal(s.maxMs, 1000);
  });

  it('returns constant inputs exactly (clamped to min and max)', () => {
    const h = new LatencyHistogram();
    h.recordN(7, 100);
    assert.deepEqual(h.summary(), { p50Ms: 7, p95Ms: 7, p99Ms: 7, maxMs: 7 });
  });

  it('separates a slow tail', () => {
    const h = new LatencyHistogram();
    h.recordN(2, 990);
    h.recordN(200, 10);
    near(h.percentile(50), 2, 0.03, 'p50');
    near(h.percentile(99), 2, 0.03, 'p99 (990 of 1000 are fast)');
    near(h.percentile(99.5), 200, 0.03, 'p99.5');
    assert.equal(h.max, 200);
  });

  it('handles underflow, overflow and junk', () => {
    const h = new LatencyHistogram({ minMs: 1, maxMs: 1000 });
    h.record(0.001);
    h.record(-5);
    h.record(Number.NaN);
    h.record(5000);
    assert.equal(h.count, 4);
    assert.equal(h.max, 5000);
    assert.equal(h.percentile(100), 5000);
    assert.equal(h.percentile(50), 0);
  });

  it('merges histograms', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 100; i++) a.record(10);
    for (let i = 0; i < 100; i++) b.record(1000);
    a.merge(b);
    assert.equal(a.count, 200);
    assert.equal(a.max, 1000);
    near(a.percentile(25), 10, 0.03, 'p25');
    near(a.percentile(75), 1000, 0.03, 'p75');
    assert.throws(() => a.merge(new LatencyHistogram({ bucketsPerDoubling: 4 })));
  });
});

describe('Pacer', () => {
  it('hands out rate × elapsed operations', () => {
    let now = 0;
    const p = new Pacer(100, { now: () => now });
    p.start();
    assert.equal(p.due(), 1);
    p.take(1);
    now = 50;
    assert.equal(p.due(), 5);
    p.take(5);
    now = 1000;
    assert.equal(p.due(), 95);
    p.take(95);
    assert.equal(p.due(), 0);
    assert.equal(p.sent, 101);
    assert.equal(p.skipped, 0);
  });

  it('drops backlog beyond maxBurst instead of bursting', () => {
    let now = 0;
    const p = new Pacer(1000, { maxBurst: 50, now: () => now });
    p.start();
    now = 1000; // 1001 due, generator was stuck
    assert.equal(p.due(), 50);
    assert.equal(p.skipped, 951);
    p.take(50);
    now = 1010;
    assert.equal(p.due(), 10);
    assert.ok(p.msUntilNext() === 0);
    p.take(10);
    assert.ok(Math.abs(p.msUntilNext() - 1) < 1e-9);
  });

  it('rejects a bad rate', () => {
    assert.throws(() => new Pacer(0));
    assert.throws(() => new Pacer(Number.NaN));
  });
});

describe('ErrorSample', () => {
  it('keeps distinct messages up to the limit, folding numbers and hex', () => {
    const e = new ErrorSample(2);
    e.add('nonce too low: next nonce 5, tx nonce 3');
    e.add('nonce too low: next nonce 9, tx nonce 4');
    e.add('txpool is full');
    e.add('something else');
    assert.deepEqual(e.list(), ['nonce too low: next nonce 5, tx nonce 3 (x2)', 'txpool is full', '… 1 more errors of other kinds']);
  });
});

describe('sleep', () => {
  it('resolves early on abort', async () => {
    const ac = new AbortController();
    const t = performance.now();
    setTimeout(() => ac.abort(), 20);
    await sleep(5_000, ac.signal);
    assert.ok(performance.now() - t < 1_000);
  });
});
