/**
 * ws-streams: stream cancellation by every end mode, on the pinned geth --dev and on CometBFT v0.38, one
 * mechanism. Each node test prints its goroutine figures (before / peak during / after) per end mode.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { readGoroutineCount } from '../../harness/probes/memstats.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import type { WorkloadContext, WorkloadStats } from '../../harness/workloads/workload.ts';
import {
  detectProtocol,
  drawEndMode,
  drawEndModes,
  END_MODES,
  wsStreams,
  wsStreamsSchema,
  type EndMode,
  type EndWeight,
} from '../../harness/workloads/ws-streams.ts';
import { startTestComet, type TestCometNetwork } from '../support/comet.ts';
import { startTestGeth, type TestGeth } from '../support/geth.ts';

const TOLERANCE = 10;

function context(node: RunningNode, seed: number, signal = new AbortController().signal): WorkloadContext {
  return { nodes: [node], seed, signal, log: () => {} };
}

/** Goroutines at rest: the lowest of a few reads (block production makes a few come and go). */
async function restingGoroutines(node: RunningNode, reads = 5): Promise<number> {
  let low = Infinity;
  for (let i = 0; i < reads; i++) {
    low = Math.min(low, await readGoroutineCount(node.endpoints));
    await delay(100);
  }
  return low;
}

/** Wait (bounded: maxMs) for goroutines to come back within `tolerance` of `before`; the last count read. */
async function settle(node: RunningNode, before: number, tolerance = TOLERANCE, maxMs = 15_000): Promise<number> {
  const deadline = performance.now() + maxMs;
  let now = await readGoroutineCount(node.endpoints);
  while (now > before + tolerance && performance.now() < deadline) {
    await delay(200);
    now = await readGoroutineCount(node.endpoints);
  }
  // Then the resting value, so a slow straggler shows.
  return Math.min(now, await restingGoroutines(node, 3));
}

/** Read goroutines every 100 ms while `work` runs (bounded by it); the peak. */
async function peakDuring<T>(node: RunningNode, work: Promise<T>): Promise<{ value: T; peak: number }> {
  let done = false;
  let peak = 0;
  const poll = (async () => {
    for (let i = 0; i < 6_000 && !done; i++) {
      peak = Math.max(peak, await readGoroutineCount(node.endpoints).catch(() => 0));
      await delay(100);
    }
  })();
  try {
    const value = await work;
    return { value, peak };
  } finally {
    done = true;
    await poll;
  }
}

function endedSum(s: WorkloadStats): number {
  return END_MODES.reduce((sum, m) => sum + Number(s.extra?.[`ended.${m}`] ?? 0), 0);
}

interface Row {
  flavor: string;
  modes: string;
  clients: number;
  cycles: number;
  before: number;
  during: number;
  after: number;
  accepted: number;
  failed: number;
}

const rows: Row[] = [];

/** One run of cycles × clients with the given end weights; checks counters and goroutine return. */
async function cycleRun(
  node: RunningNode,
  flavor: string,
  end: EndWeight[],
  o: { clients: number; cycles: number; seed: number; holdMs?: number; subscription?: string },
): Promise<{ stats: WorkloadStats; row: Row }> {
  const before = await restingGoroutines(node);
  const w = wsStreams(wsStreamsSchema.parse({ kind: 'ws-streams', clients: o.clients, cycles: o.cycles, end, holdMs: o.holdMs ?? 100, subscription: o.subscription, timeoutMs: 5_000 }));
  const ctx = context(node, o.seed);
  await w.prepare(ctx);
  let during = 0;
  try {
    const t = performance.now();
    ({ peak: during } = await peakDuring(node, w.run(ctx, 60_000)));
    assert.ok(performance.now() - t < 60_000, 'bounded by cycles, not by the duration');
  } finally {
    await w.release();
  }
  const after = await settle(node, before);
  const s = w.stats();
  const row: Row = { flavor, modes: end.map((e) => `${e.mode}:${e.weight}`).join(' '), clients: o.clients, cycles: o.cycles, before, during, after, accepted: s.accepted, failed: s.failed };
  rows.push(row);
  console.log(`      ${flavor} [${row.modes}] ${o.cycles}x${o.clients}: goroutines ${before} -> peak ${during} -> ${after}; ${JSON.stringify(s.extra)} errors ${JSON.stringify(s.errors)}`);

  // Counters add up.
  const n = o.clients * o.cycles;
  assert.equal(s.sent, n, 'one subscription attempt per cycle');
  assert.deepEqual(s.errors, []);
  assert.equal(s.failed, 0);
  assert.equal(s.accepted, n);
  assert.equal(s.extra?.opened, n);
  assert.equal(s.extra?.held, 0);
  assert.equal(s.extra?.interrupted, 0);
  assert.equal(s.extra?.droppedByNode, 0);
  assert.equal(s.extra?.endErrors, 0);
  assert.equal(endedSum(s), s.accepted);
  const drawn = drawEndModes(o.seed, o.clients, o.cycles, end).flat();
  for (const m of END_MODES) assert.equal(Number(s.extra?.[`ended.${m}`] ?? 0), drawn.filter((d) => d === m).length, `ended.${m} matches the draw`);
  assert.ok(s.latency && s.latency.p50Ms > 0 && s.latency.p50Ms <= s.latency.maxMs);
  assert.ok(after <= before + TOLERANCE, `goroutines after the run ${after} (before ${before}, peak ${during})`);
  return { stats: s, row };
}

/** `clients` held clients (zombie or no-pong) raise goroutines; release() brings them back. */
async function heldRun(node: RunningNode, flavor: string, mode: 'zombie' | 'no-pong', clients: number, seed: number): Promise<void> {
  const before = await restingGoroutines(node);
  const w = wsStreams(wsStreamsSchema.parse({ kind: 'ws-streams', clients, cycles: 1, end: [{ mode }], holdMs: 200, timeoutMs: 5_000 }));
  const ctx = context(node, seed);
  await w.prepare(ctx);
  let during = 0;
  let s: WorkloadStats;
  try {
    await w.run(ctx, 30_000);
    await delay(1_500); // a few blocks/heads pushed at the held streams
    during = await readGoroutineCount(node.endpoints);
    s = w.stats();
    assert.equal(s.sent, clients);
    assert.equal(s.accepted, clients);
    assert.equal(s.failed, 0, JSON.stringify(s.errors));
    assert.equal(s.extra?.held, clients);
    assert.equal(s.extra?.[`ended.${mode}`], 0, 'held clients count as ended when released');
  } finally {
    await w.release();
  }
  const after = await settle(node, before);
  s = w.stats();
  rows.push({ flavor, modes: `${mode}:1 (held)`, clients, cycles: 1, before, during, after, accepted: s.accepted, failed: s.failed });
  console.log(`      ${flavor} [${mode}] held ${clients}: goroutines ${before} -> ${during} (held) -> ${after} (released); ${JSON.stringify(s.extra)}`);
  assert.ok(during >= before + clients, `goroutines with ${clients} ${mode} clients held: ${before} -> ${during}`);
  assert.equal(s.extra?.held, 0);
  assert.equal(s.extra?.[`ended.${mode}`], clients);
  assert.equal(endedSum(s) + Number(s.extra?.droppedByNode), s.accepted);
  assert.ok(after <= before + TOLERANCE, `goroutines after release ${after} (before ${before}, held ${during})`);
}

/**
 * `count` slow requests over `via`, each connection destroyed before the answer; goroutines return to
 * within 3 of the baseline within 30 s (geth runs an abandoned trace to its end or its 10 s timeout).
 */
async function abandonRun(node: RunningNode, flavor: string, via: 'http' | 'ws', count: number, seed: number): Promise<void> {
  const before = await restingGoroutines(node);
  const w = wsStreams(
    wsStreamsSchema.parse({ kind: 'ws-streams', clients: 1, cycles: 1, holdMs: 0, end: [{ mode: 'close' }], abandon: via, abandonCount: count, abandonAfterMs: 30, timeoutMs: 5_000 }),
  );
  const ctx = context(node, seed);
  await w.prepare(ctx);
  let during = 0;
  let justAfter = 0;
  try {
    ({ peak: during } = await peakDuring(node, w.run(ctx, 60_000)));
    justAfter = await readGoroutineCount(node.endpoints);
  } finally {
    await w.release();
  }
  const t = performance.now();
  const after = await settle(node, before, 3, 30_000);
  const settleMs = Math.round(performance.now() - t);
  const s = w.stats();
  rows.push({ flavor, modes: `abandon ${via} (settled in ${settleMs} ms)`, clients: 1, cycles: count, before, during, after, accepted: Number(s.extra?.abandoned), failed: Number(s.extra?.abandonFailed) });
  console.log(
    `      ${flavor} abandon over ${via}: goroutines ${before} -> peak ${during} -> ${justAfter} right after the last abandon -> ${after}, settled in ${settleMs} ms; ${JSON.stringify(s.extra)} errors ${JSON.stringify(s.errors)}`,
  );
  assert.equal(s.extra?.abandonFailed, 0, JSON.stringify(s.errors));
  assert.equal(Number(s.extra?.abandoned) + Number(s.extra?.abandonAnswered), count);
  assert.ok(Number(s.extra?.abandoned) >= count / 2, `most requests were still in flight when abandoned: ${JSON.stringify(s.extra)}`);
  assert.ok(after <= before + 3, `goroutines after abandoning ${after} (before ${before}, peak ${during})`);
}

const MIXED: EndWeight[] = [
  { mode: 'unsubscribe', weight: 2 },
  { mode: 'close', weight: 2 },
  { mode: 'abrupt', weight: 1 },
  { mode: 'reset', weight: 1 },
];

describe('ws-streams', function () {
  this.timeout(600_000);

  after(function () {
    if (rows.length === 0) return;
    console.log('\n      goroutines per end mode (before -> peak during -> after):');
    for (const r of rows) console.log(`      ${r.flavor.padEnd(8)} ${r.modes.padEnd(56)} ${String(r.cycles).padStart(3)}x${String(r.clients).padEnd(3)} ${r.before} -> ${r.during} -> ${r.after}`);
  });

  describe('options and the end-mode draw (no node)', function () {
    const end: EndWeight[] = [
      { mode: 'unsubscribe', weight: 1 },
      { mode: 'close', weight: 1 },
      { mode: 'abrupt', weight: 1 },
      { mode: 'reset', weight: 1 },
      { mode: 'zombie', weight: 1 },
    ];

    it('draws the same modes per client and cycle for the same seed, other modes for another seed', function () {
      const a = drawEndModes(7, 10, 20, end);
      const b = drawEndModes(7, 10, 20, end);
      const c = drawEndModes(8, 10, 20, end);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
      const differing = a.flat().filter((m, i) => m !== c.flat()[i]).length;
      assert.ok(differing > 100, `seed 8 differs from seed 7 in ${differing} of 200 draws`);
      // A pure function of (seed, slot, cycle): independent of how many slots or cycles are drawn.
      assert.equal(drawEndMode(7, 3, 5, end), a[3]![5]);
      assert.deepEqual(drawEndModes(7, 4, 6, end), a.slice(0, 4).map((r) => r.slice(0, 6)));
      // Slots differ from each other (not one draw per cycle shared by every slot).
      assert.ok(a.some((r) => r.join() !== a[0]!.join()));
    });

    it('follows the weights', function () {
      const modes = drawEndModes(1, 100, 100, [
        { mode: 'close', weight: 3 },
        { mode: 'reset', weight: 1 },
      ]).flat();
      const close = modes.filter((m) => m === 'close').length;
      assert.ok(close > 7_200 && close < 7_800, `close ${close} of 10,000 (expected ~7,500)`);
      assert.ok(drawEndModes(3, 5, 5, [{ mode: 'abrupt', weight: 1 }]).flat().every((m) => m === 'abrupt'));
    });

    it('has a strict schema with defaults', function () {
      const o = wsStreamsSchema.parse({ kind: 'ws-streams', clients: 3 });
      assert.deepEqual(o.end, [{ mode: 'close', weight: 1 }]);
      assert.equal(o.cycles, 1);
      assert.equal(o.holdMs, 500);
      assert.equal(wsStreamsSchema.parse({ kind: 'ws-streams', clients: 3, holdMs: '2s' }).holdMs, 2_000);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', clients: 3, bogus: 1 }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', clients: 3, end: [{ mode: 'close', extra: 1 }] }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', clients: 3, end: [] }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', clients: 3, end: [{ mode: 'vanish' }] }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', clients: 0 }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', clients: 3, protocol: 'eth', end: [{ mode: 'unsubscribe_all' }] }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', clients: 3, protocol: 'eth', subscription: "tm.event='Tx'" }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', clients: 3, protocol: 'comet', subscription: "tm.event='Tx'", end: [{ mode: 'unsubscribe_all' }] }).success, true);
    });

    it('detects the protocol from the endpoints', function () {
      assert.equal(detectProtocol({ pprof: 'x', http: 'http://127.0.0.1:1', ws: 'ws://127.0.0.1:2' }), 'eth');
      assert.equal(detectProtocol({ pprof: 'x', rpc: 'http://127.0.0.1:1', ws: 'ws://127.0.0.1:1/websocket' }), 'comet');
      assert.equal(detectProtocol({ pprof: 'x' }), undefined);
    });

    it('rejects a protocol mismatch at prepare()', async function () {
      const fake = { name: 'geth0', endpoints: { pprof: 'x', http: 'http://127.0.0.1:1', ws: 'ws://127.0.0.1:1' } } as unknown as RunningNode;
      const w = wsStreams(wsStreamsSchema.parse({ kind: 'ws-streams', clients: 1, end: [{ mode: 'unsubscribe_all' }] }));
      await assert.rejects(w.prepare(context(fake, 1)), /comet only/);
      const w2 = wsStreams(wsStreamsSchema.parse({ kind: 'ws-streams', clients: 1, subscription: 'newBlocks' }));
      await assert.rejects(w2.prepare(context(fake, 1)), /not one of/);
    });
  });

  describe('geth (pinned, --dev)', function () {
    let geth: TestGeth | undefined;
    before(async function () {
      geth = await startTestGeth({ devPeriod: 1 });
    });
    after(async function () {
      await geth?.stop();
    });

    it('20 cycles x 5 clients, mixed end modes: counters add up, goroutines back to baseline', async function () {
      const { stats } = await cycleRun(geth!.node, 'geth', MIXED, { clients: 5, cycles: 20, seed: 11 });
      assert.equal(stats.extra?.protocol, 'eth');
      assert.ok(Number(stats.extra?.['ended.unsubscribe']) > 0 && Number(stats.extra?.['ended.reset']) > 0, 'the mix was drawn');
    });

    for (const mode of ['unsubscribe', 'close', 'abrupt', 'reset'] as const) {
      it(`20 cycles x 5 clients, every stream ended by '${mode}': goroutines back to baseline`, async function () {
        await cycleRun(geth!.node, 'geth', [{ mode, weight: 1 }], { clients: 5, cycles: 20, seed: 12 });
      });
    }

    for (const mode of ['zombie', 'no-pong'] as const) {
      it(`${mode}: 20 held clients raise goroutines by >= 20, release() brings them back`, async function () {
        await heldRun(geth!.node, 'geth', mode, 20, 13);
      });
    }

    it('paces new connections at `rate`, stops at durationMs, and stops promptly on abort', async function () {
      const node = geth!.node;
      // rate: 20 connections at 20/s take about 0.95 s whatever the number of slots.
      const paced = wsStreams(wsStreamsSchema.parse({ kind: 'ws-streams', clients: 4, cycles: 5, holdMs: 0, rate: 20 }));
      await paced.prepare(context(node, 15));
      let t = performance.now();
      await paced.run(context(node, 15), 30_000);
      const pacedMs = performance.now() - t;
      assert.equal(paced.stats().accepted, 20);
      assert.ok(pacedMs >= 900 && pacedMs < 3_000, `20 connections at 20/s took ${Math.round(pacedMs)} ms`);

      // durationMs: 1,000 cycles would take minutes; the 1.5 s window ends them.
      const long = wsStreams(wsStreamsSchema.parse({ kind: 'ws-streams', clients: 3, cycles: 1_000, holdMs: 200 }));
      t = performance.now();
      await long.run(context(node, 16), 1_500);
      const longMs = performance.now() - t;
      let s = long.stats();
      assert.ok(longMs >= 1_400 && longMs < 4_000, `bounded by the duration: ${Math.round(longMs)} ms`);
      assert.ok(s.accepted >= 6 && s.accepted < 30, `accepted ${s.accepted}`);
      assert.equal(endedSum(s) + Number(s.extra?.held) + Number(s.extra?.interrupted) + Number(s.extra?.droppedByNode), s.accepted);

      // abort: streams in their hold are destroyed and counted as interrupted.
      const ac = new AbortController();
      const aborted = wsStreams(wsStreamsSchema.parse({ kind: 'ws-streams', clients: 3, cycles: 1_000, holdMs: 5_000 }));
      setTimeout(() => ac.abort(), 500);
      t = performance.now();
      await aborted.run(context(node, 17, ac.signal), 60_000);
      const abortMs = performance.now() - t;
      await aborted.release();
      s = aborted.stats();
      assert.ok(abortMs < 2_000, `returned ${Math.round(abortMs)} ms after the start (abort at 500 ms)`);
      assert.equal(s.accepted, 3);
      assert.equal(s.extra?.interrupted, 3);
      assert.equal(endedSum(s), 0);
    });

    for (const via of ['http', 'ws'] as const) {
      it(`abandons 4 slow debug_traceCalls over ${via} mid-flight: goroutines back to baseline`, async function () {
        await abandonRun(geth!.node, 'geth', via, 4, 14);
      });
    }
  });

  describe('CometBFT v0.38 (pinned)', function () {
    let comet: TestCometNetwork | undefined;
    before(async function () {
      comet = await startTestComet({ blockTime: 300 });
    });
    after(async function () {
      await comet?.stop();
    });

    // The runs below share one node and open 20 x 5 streams each, 700 in all: more than
    // rpc.max_subscription_clients (100), so a subscription the node kept after its stream ended would
    // show up as failed subscribes ("max_subscription_clients 100 reached"), not only as goroutines.
    const MIXED_COMET: EndWeight[] = [...MIXED, { mode: 'unsubscribe_all', weight: 2 }];

    it("20 cycles x 5 clients subscribed to tm.event='NewBlock', mixed end modes: counters add up, goroutines back", async function () {
      const { stats } = await cycleRun(comet!.nodes[0]!, 'cometbft', MIXED_COMET, { clients: 5, cycles: 20, seed: 21 });
      assert.equal(stats.extra?.protocol, 'comet');
      assert.equal(stats.extra?.subscription, "tm.event='NewBlock'");
      assert.ok(Number(stats.extra?.events) > 0, 'NewBlock events were read');
    });

    for (const mode of ['unsubscribe', 'unsubscribe_all', 'close', 'abrupt', 'reset'] as const satisfies readonly EndMode[]) {
      it(`20 cycles x 5 clients, every stream ended by '${mode}': goroutines back to baseline`, async function () {
        await cycleRun(comet!.nodes[0]!, 'cometbft', [{ mode, weight: 1 }], { clients: 5, cycles: 20, seed: 22 });
      });
    }

    for (const mode of ['zombie', 'no-pong'] as const) {
      it(`${mode}: 20 held clients raise goroutines by >= 20, release() brings them back`, async function () {
        await heldRun(comet!.nodes[0]!, 'cometbft', mode, 20, 23);
      });
    }

    for (const via of ['http', 'ws'] as const) {
      it(`abandons 10 broadcast_tx_commit over ${via} mid-flight: goroutines back to baseline`, async function () {
        await abandonRun(comet!.nodes[0]!, 'cometbft', via, 10, 24);
      });
    }
  });
});
