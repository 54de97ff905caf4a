/** The floods' paced loop without a node: a fake send that answers after a fixed latency. */
import assert from 'node:assert/strict';
import { pacedLoop } from '../../harness/workloads/paced-loop.ts';

describe('pacedLoop', () => {
  it('at the in-flight cap, sends again as soon as a request ends, not at the next tick', async () => {
    // 8 requests in flight answered in 10 ms can carry 800/s; refilled only at 100 ms ticks they would
    // carry 80/s. The target is 300/s for 1.5 s.
    let inFlight = 0;
    let peak = 0;
    const loop = await pacedLoop({
      rate: 300,
      tickMs: 100,
      from: 0,
      limit: 10_000,
      durationMs: 1_500,
      batchSize: 1,
      lanes: 1,
      laneOf: () => 0,
      maxInFlight: 8,
      inFlight: () => inFlight,
      signal: new AbortController().signal,
      send: () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        return new Promise<void>((r) => setTimeout(r, 10)).then(() => void inFlight--);
      },
    });
    assert.ok(peak <= 8, `the cap held: at most 8 in flight, saw ${peak}`);
    assert.ok(loop.cursor >= 0.8 * 450, `sent ${loop.cursor} of the 450 due at 300/s in 1.5 s`);
    assert.ok(loop.cursor <= 451, `never ahead of the rate: sent ${loop.cursor}`);
  });
});
