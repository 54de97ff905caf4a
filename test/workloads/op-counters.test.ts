// OpCounters' batch-shaped entry, the one the floods count through: a request of n operations whose
// outcomes differ within it, in flight from open() to close(), timed from sent(), settled at once or tx by tx.
import assert from 'node:assert/strict';
import { OpCounters } from '../../harness/workloads/executor/counters.ts';
import { sleep } from '../../harness/workloads/stats.ts';

describe('OpCounters requests (the floods’ batches)', () => {
  it('a batch with mixed outcomes counts sent, accepted, failed, requests and per node; each tx gets the round trip', async () => {
    const c = new OpCounters();
    const a = c.begin('node0', 5);
    const b = c.begin('node1', 3);
    assert.equal(c.inFlight, 2);
    await sleep(30);
    a.end({ accepted: 3, failed: 2, errors: ['nonce too low 7', 'nonce too low 9'] });
    assert.equal(c.inFlight, 1);
    b.end({ accepted: 3, failed: 0 });
    assert.deepEqual({ sent: c.sent, accepted: c.accepted, failed: c.failed, inFlight: c.inFlight }, { sent: 8, accepted: 6, failed: 2, inFlight: 0 });
    assert.deepEqual(c.requestFigures(), { requests: 2, peakInFlight: 2 });
    assert.deepEqual(c.progress().perNode, { node0: 5, node1: 3 });
    // Every tx of both batches is in the histogram, the first batch's 5 at 30 ms or more.
    assert.equal(c.hist.count, 8);
    assert.ok(c.hist.max >= 29, `max ${c.hist.max}`);
    // Errors differing only in numbers are one entry, counted.
    assert.deepEqual(c.errors.list(), ['nonce too low 7 (x2)']);
  });

  it('an untimed outcome (no answer) counts the failure and its error but stays out of the latency', () => {
    const c = new OpCounters();
    c.begin('n', 4).end({ accepted: 0, failed: 4, errors: ['ECONNREFUSED'], timed: false });
    assert.equal(c.failed, 4);
    assert.equal(c.hist.count, 0);
    assert.deepEqual(c.errors.list(), ['ECONNREFUSED']);
    assert.equal(c.stats('x', 1000, {}).latency, null);
  });

  it('open() counts in flight before sent(); the clock starts at sent(), so the wait is not latency', async () => {
    const c = new OpCounters();
    const r = c.open();
    assert.deepEqual({ inFlight: c.inFlight, sent: c.sent, requests: c.calls }, { inFlight: 1, sent: 0, requests: 0 });
    await sleep(60); // waiting for a sender's previous request, signing
    r.sent('n', 2);
    r.end({ accepted: 2, failed: 0 });
    assert.equal(c.sent, 2);
    assert.equal(c.calls, 1);
    assert.ok(c.hist.max < 50, `latency ${c.hist.max} ms includes the wait before sent()`);
  });

  it('a request settled tx by tx stays in flight until close(), which only counts once', () => {
    const c = new OpCounters();
    const r = c.begin('n', 3);
    r.settle({ accepted: 1, failed: 0 });
    r.settle({ accepted: 0, failed: 1, errors: ['CheckTx code 5'] });
    assert.equal(c.inFlight, 1);
    r.settle({ accepted: 1, failed: 0, errors: ['DeliverTx code 1'] }); // accepted, yet an error to show
    r.close();
    r.close();
    assert.equal(c.inFlight, 0);
    assert.deepEqual({ accepted: c.accepted, failed: c.failed, timed: c.hist.count }, { accepted: 2, failed: 1, timed: 3 });
    assert.deepEqual(c.errors.list(), ['CheckTx code 5', 'DeliverTx code 1']);
  });

  it('stats() and progress() read the same counters (the shape every workload reports)', () => {
    const c = new OpCounters();
    c.begin('a', 10).end({ accepted: 10, failed: 0 });
    const s = c.stats('k', 2000, { requests: 1 });
    assert.deepEqual(
      { kind: s.kind, sent: s.sent, accepted: s.accepted, failed: s.failed, rate: s.achievedRate, ms: s.durationMs, extra: s.extra },
      { kind: 'k', sent: 10, accepted: 10, failed: 0, rate: 5, ms: 2000, extra: { requests: 1 } },
    );
    const p = c.progress();
    assert.equal(p.latency, c.hist);
    assert.deepEqual({ sent: p.sent, accepted: p.accepted, failed: p.failed }, { sent: 10, accepted: 10, failed: 0 });
  });
});
