/** geth-tx-flood and geth-ws-zombies against the pinned geth --dev, started through the process runtime. */
import assert from 'node:assert/strict';
import { gethTxFlood } from '../../harness/workloads/geth-tx-flood.ts';
import { gethWsZombies } from '../../harness/workloads/geth-ws-zombies.ts';
import type { WorkloadContext } from '../../harness/workloads/workload.ts';
import { startTestGeth, type TestGeth } from '../support/geth.ts';
import { counters } from '../helpers.ts';

function context(g: TestGeth, seed: number, signal = new AbortController().signal): WorkloadContext {
  return { nodes: [g.node], seed, signal, log: () => {} };
}

describe('geth workloads (real geth --dev)', function () {
  this.timeout(600_000);
  let geth: TestGeth | undefined;

  before(async function () {
    geth = await startTestGeth({ devPeriod: 1 });
  });

  after(async function () {
    await geth?.stop();
  });

  it('geth-tx-flood: ~100 tx/s for 10 s with 10 senders, all accepted and included', async function () {
    const g = geth!;
    const w = gethTxFlood({ rate: 100, senders: 10, maxTxs: 5000, inclusionWaitMs: 10_000 });
    const ctx = context(g, 101);
    try {
      await w.prepare(ctx);
      const t = performance.now();
      await w.run(ctx, 10_000);
      assert.ok(performance.now() - t < 10_000 + 10_000 + 5_000, 'run is bounded');
    } finally {
      await w.release();
    }
    const s = w.stats();
    assert.equal(s.kind, 'geth-tx-flood');
    assert.deepEqual(s.errors, []);
    assert.equal(s.failed, 0);
    assert.ok(s.sent >= 950 && s.sent <= 1001, `sent ${s.sent}`);
    assert.equal(s.accepted, s.sent);
    assert.equal(s.extra?.included, s.accepted);
    assert.ok(s.achievedRate > 80 && s.achievedRate < 110, `achieved ${s.achievedRate}/s`);
    assert.ok(s.durationMs >= 9_900 && s.durationMs < 11_000, `window ${s.durationMs} ms`);
    assert.ok(s.latency, 'latency recorded');
    assert.ok(s.latency.p50Ms > 0 && s.latency.p50Ms <= s.latency.p95Ms);
    assert.ok(s.latency.p95Ms <= s.latency.p99Ms && s.latency.p99Ms <= s.latency.maxMs);
    assert.deepEqual(counters(w.progress()), { sent: s.sent, accepted: s.accepted, failed: 0 });
  });

  it('geth-tx-flood: never sends more than maxTxs and stops early when they are out', async function () {
    const g = geth!;
    const w = gethTxFlood({ rate: 200, senders: 4, maxTxs: 150, inclusionWaitMs: 0 });
    const ctx = context(g, 102);
    try {
      await w.prepare(ctx);
      const t = performance.now();
      await w.run(ctx, 5_000);
      assert.ok(performance.now() - t < 5_000, 'returned before the window ended: the count bound stopped it');
    } finally {
      await w.release();
    }
    const s = w.stats();
    assert.equal(s.sent, 150);
    assert.equal(s.accepted, 150);
    assert.equal(s.failed, 0);
  });

  it('geth-tx-flood: stops promptly when the signal aborts', async function () {
    const g = geth!;
    const ac = new AbortController();
    const w = gethTxFlood({ rate: 50, senders: 2, maxTxs: 1000, inclusionWaitMs: 5_000 });
    const ctx = context(g, 103, ac.signal);
    try {
      await w.prepare(ctx);
      setTimeout(() => ac.abort(), 1_000);
      const t = performance.now();
      await w.run(ctx, 20_000);
      assert.ok(performance.now() - t < 20_000, `the abort ended the run before its 20 s window (${Math.round(performance.now() - t)} ms)`);
    } finally {
      await w.release();
    }
    const s = w.stats();
    assert.ok(s.sent > 20 && s.sent < 120, `sent ${s.sent}`);
    assert.equal(typeof s.extra?.included, 'number', 'release() checks inclusion when run() was aborted');
  });

  it('geth-ws-zombies: 30 stalled subscribers raise goroutines, release() brings them back', async function () {
    const g = geth!;
    const before = await g.goroutines();
    const w = gethWsZombies({ clients: 30, subscription: 'newHeads' });
    const ctx = context(g, 104);
    let during = 0;
    try {
      await w.prepare(ctx);
      const t = performance.now();
      await w.run(ctx, 1_500);
      assert.ok(performance.now() - t < 10_000, 'run returned after the hold, not at the phase end');
      during = await g.goroutines();
      const s = w.stats();
      assert.equal(s.sent, 30);
      assert.equal(s.accepted, 30);
      assert.equal(s.failed, 0);
      assert.equal(s.extra?.held, 30);
      assert.ok(s.latency && s.latency.maxMs > 0);
    } finally {
      await w.release();
    }
    assert.ok(during >= before + 30, `goroutines ${before} -> ${during}`);
    let after = during;
    for (let i = 0; i < 50 && after > before + 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await g.goroutines();
    }
    assert.ok(after <= before + 10, `goroutines after release ${after} (before ${before}, during ${during})`);
    assert.equal(w.stats().extra?.held, 0);
  });
});
