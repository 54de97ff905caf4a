/**
 * ws-streams `longLived`: subscribers opened once, kept (reading, answering pings) across a phase's cycles
 * and through the 'after' snapshot, ended by release(). Against a scripted websocket server (counters,
 * pings, drops, no re-open), then full runs on the pinned CometBFT and geth: goroutines before → after →
 * released, and the known CometBFT per-event context leak that lives exactly as long as a subscription.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { runScenario, type RunResult, type ScenarioInput } from 'chainsoak';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import type { WorkloadContext, WorkloadStats } from '../../harness/workloads/workload.ts';
import { wsStreams, wsStreamsSchema } from '../../harness/workloads/ws-streams.ts';
import { repoRoot } from '../helpers.ts';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-long-lived-'));
const explain = (r: RunResult) => JSON.stringify({ error: r.error, failed: r.budgets.filter((b) => !b.pass), workloads: r.workloads.map((w) => [w.kind, w.sent, w.failed, w.extra, w.errors]) });
const num = (s: WorkloadStats, key: string) => Number(s.extra?.[key]);

/**
 * A comet-style websocket server on 127.0.0.1: answers subscribe / unsubscribe, pushes an event every
 * 20 ms to each subscribed connection (while it is open), counts what clients do.
 */
async function scriptedServer(): Promise<{
  url: string;
  conns: WebSocket[];
  pongs: () => number;
  unsubscribes: () => number;
  closeCodes: number[];
  stop(): Promise<void>;
}> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/websocket' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const conns: WebSocket[] = [];
  const closeCodes: number[] = [];
  let pongs = 0;
  let unsubscribes = 0;
  wss.on('connection', (ws) => {
    conns.push(ws);
    let timer: NodeJS.Timeout | undefined;
    ws.on('pong', () => pongs++);
    ws.on('close', (code) => {
      closeCodes.push(code);
      clearInterval(timer);
    });
    ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as { id: number; method: string };
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: {} }));
      if (req.method === 'unsubscribe') unsubscribes++;
      if (req.method === 'subscribe') timer = setInterval(() => ws.send(JSON.stringify({ jsonrpc: '2.0', id: `${req.id}#event`, result: { data: 'x'.repeat(200) } })), 20);
    });
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/websocket`,
    conns,
    pongs: () => pongs,
    unsubscribes: () => unsubscribes,
    closeCodes,
    stop: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function fakeNode(url: string): RunningNode {
  return { name: 'fake', endpoints: { pprof: 'x', rpc: 'http://127.0.0.1:1', ws: url } } as unknown as RunningNode;
}

function context(node: RunningNode): WorkloadContext {
  return { nodes: [node], seed: 1, signal: new AbortController().signal, log: () => {} };
}

/** Wait (bounded) until `check` holds. */
async function until(check: () => boolean, what: string, maxMs = 3_000): Promise<void> {
  for (const t = performance.now(); !check(); await delay(20)) {
    if (performance.now() - t > maxMs) assert.fail(`timed out waiting for ${what}`);
  }
}

/** A full run: long-lived subscribers (and a small flood) over a phase of 3 cycles, released after 'after'. */
function heldRun(flavor: 'comet' | 'geth', subscriptions: string[], perSubscription: number): ScenarioInput {
  const comet = flavor === 'comet';
  return {
    name: `${flavor}-long-lived-test`,
    nodes: [comet ? { name: 'comet', node: 'cometbft', options: { blockTime: '300ms' } } : { name: 'geth', node: 'geth', options: { devPeriod: 1 } }],
    warmup: '2s',
    // CometBFT pings every 27 s and drops a client that sent nothing for 30 s: a phase of 30 s shows the
    // held streams answering (or, if they did not, being dropped before the 'after' snapshot).
    phases: [
      {
        name: 'hold',
        duration: comet ? '30s' : '15s',
        cycles: 3,
        workloads: [
          comet ? { kind: 'comet-tx-flood', rate: 20, maxTxs: 1_000 } : { kind: 'geth-tx-flood', rate: 20, senders: 5, maxTxs: 400 },
          ...subscriptions.map((subscription) => ({ kind: 'ws-streams' as const, longLived: perSubscription, subscription })),
        ],
      },
    ],
    cooldown: '1s',
    afterRelease: '3s',
    budgets: { errorRate: 0 },
  };
}

/** Checks shared by the node runs; returns the goroutines per held stream, measured. */
function checkHeldRun(result: RunResult, held: number, perStream: number, frames: RegExp): number {
  assert.equal(result.exitCode, 0, explain(result));
  for (const s of result.workloads.filter((w) => w.kind === 'ws-streams')) {
    const n = s.sent;
    assert.equal(s.failed, 0, JSON.stringify(s.errors));
    // Opened once for the three cycles, every one still held when release() came after the 'after' snapshot.
    assert.equal(num(s, 'longLived.subscribed'), n, JSON.stringify(s.extra));
    assert.equal(num(s, 'longLived.released'), n, JSON.stringify(s.extra));
    assert.equal(num(s, 'longLived.droppedByNode'), 0, JSON.stringify(s.extra));
    assert.equal(num(s, 'longLived.held'), 0);
    assert.equal(num(s, 'longLived.endErrors'), 0, JSON.stringify(s.errors));
    assert.equal(s.extra?.opened, n);
  }
  assert.ok(result.workloads.some((w) => w.kind === 'ws-streams' && num(w, 'longLived.events') > 0), 'events read');
  const node = result.nodes[0]!;
  const { before, after } = node.goroutines;
  const released = node.released?.goroutines ?? NaN;
  const measured = (after - released) / held;
  const points = node.trend?.points.map((p) => p.goroutines) ?? [];
  console.log(`      ${node.name} ${node.version}: ${held} held streams: goroutines before ${before} -> cycles ${points.slice(1).join(', ')} -> after ${after} -> released ${released} (${measured.toFixed(1)} per stream); ${JSON.stringify(result.workloads.filter((w) => w.kind === 'ws-streams').map((w) => w.extra))}`);
  // Held through every cycle sample and the 'after' snapshot: up by about held × goroutines per stream.
  assert.equal(points.length, 4, 'before + 3 cycle samples');
  for (const g of [...points.slice(1), after]) assert.ok(Math.abs(g - before - held * perStream) <= 10, `goroutines ${g} vs before ${before} + ${held} x ${perStream}`);
  const onFrames = node.goroutines.topGrowth.filter((g) => g.stack.some((f) => frames.test(f))).reduce((sum, g) => sum + g.count, 0);
  assert.ok(onFrames >= held, `goroutine growth on subscription frames: ${onFrames}`);
  // Released: back near 'before'.
  assert.ok(released <= before + 5, `released ${released} vs before ${before}`);
  return measured;
}

describe('ws-streams long-lived subscribers', function () {
  this.timeout(300_000);

  describe('options (no node)', function () {
    it('clients or longLived (or both); longLivedEnd is a closing mode of the protocol', function () {
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', longLived: 5 }).success, true);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', clients: 2, longLived: 5 }).success, true);
      assert.equal(wsStreamsSchema.parse({ kind: 'ws-streams', longLived: 5 }).longLivedEnd, 'unsubscribe');
      const neither = wsStreamsSchema.safeParse({ kind: 'ws-streams' });
      assert.equal(neither.success, false);
      assert.match(neither.error!.issues[0]!.message, /clients.*longLived/);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', longLived: 0 }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', longLived: 5, longLivedEnd: 'zombie' }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', longLived: 5, protocol: 'eth', longLivedEnd: 'unsubscribe_all' }).success, false);
      assert.equal(wsStreamsSchema.safeParse({ kind: 'ws-streams', longLived: 5, protocol: 'comet', longLivedEnd: 'unsubscribe_all' }).success, true);
    });
  });

  describe('against a scripted server', function () {
    it('opened once over three run() calls, reads events, answers pings, counts a drop without re-opening, unsubscribes on release', async function () {
      const server = await scriptedServer();
      try {
        const w = wsStreams(wsStreamsSchema.parse({ kind: 'ws-streams', longLived: 4, timeoutMs: 2_000 }));
        const ctx = context(fakeNode(server.url));
        await w.prepare(ctx);

        // Cycle 1: opens them, and lasts its duration (holding is the work).
        let t = performance.now();
        await w.run(ctx, 400);
        assert.ok(performance.now() - t >= 380, 'run() lasts durationMs');
        let s = w.stats();
        assert.equal(server.conns.length, 4);
        assert.deepEqual([s.sent, s.accepted, num(s, 'longLived.subscribed'), num(s, 'longLived.held')], [4, 4, 4, 4]);
        const events1 = num(s, 'longLived.events');
        assert.ok(events1 >= 4 * 5, `events after cycle 1: ${events1}`);

        // The server pings every stream: each answers, and the workload counts it.
        for (const c of server.conns) c.ping();
        await until(() => server.pongs() === 4, '4 pongs');
        assert.equal(num(w.stats(), 'longLived.pings'), 4);

        // Cycle 2, then the server drops one stream: counted, not re-opened.
        await w.run(ctx, 200);
        server.conns[0]!.terminate();
        await until(() => num(w.stats(), 'longLived.droppedByNode') === 1, 'the drop to be counted');
        t = performance.now();
        await w.run(ctx, 200);
        s = w.stats();
        assert.equal(server.conns.length, 4, 'no stream re-opened');
        assert.deepEqual([s.sent, num(s, 'longLived.held'), num(s, 'longLived.droppedByNode')], [4, 3, 1]);
        assert.ok(num(s, 'longLived.events') > events1, 'still reading');
        assert.ok(s.errors.some((e) => /long-lived/.test(e)), JSON.stringify(s.errors));

        // release(): unsubscribe, then a clean close, for each held one; a second release() changes nothing.
        await w.release();
        await w.release();
        s = w.stats();
        assert.equal(server.unsubscribes(), 3);
        await until(() => server.closeCodes.filter((c) => c === 1000).length === 3, '3 clean closes');
        assert.deepEqual([num(s, 'longLived.held'), num(s, 'longLived.released'), num(s, 'longLived.endErrors')], [0, 3, 0]);
        assert.equal(num(s, 'longLived.subscribed'), num(s, 'longLived.held') + num(s, 'longLived.droppedByNode') + num(s, 'longLived.released'));
        assert.equal(s.extra?.['longLived.end'], 'unsubscribe');
        assert.equal(s.extra?.held, 0);
        assert.equal(Object.keys(s.extra ?? {}).filter((k) => k.startsWith('ended.')).length, 0, 'no cycle end modes without clients');
      } finally {
        await server.stop();
      }
    });

    it("longLivedEnd 'abrupt' ends them on release without an unsubscribe or a close frame", async function () {
      const server = await scriptedServer();
      try {
        const w = wsStreams(wsStreamsSchema.parse({ kind: 'ws-streams', longLived: 3, longLivedEnd: 'abrupt', timeoutMs: 2_000 }));
        const ctx = context(fakeNode(server.url));
        await w.run(ctx, 100);
        await w.release();
        await until(() => server.closeCodes.length === 3, '3 closes');
        assert.equal(server.unsubscribes(), 0);
        assert.ok(server.closeCodes.every((c) => c === 1006), JSON.stringify(server.closeCodes));
        assert.equal(num(w.stats(), 'longLived.released'), 3);
      } finally {
        await server.stop();
      }
    });
  });

  describe('on the pinned nodes (full runs, afterRelease)', function () {
    // CometBFT v0.38: per held stream the connection's read loop (wsConnection.readRoutine), its write
    // loop (in net/http's conn.serve) and the subscription's forwarder (rpc/core Subscribe.func1).
    it("CometBFT: 20 subscribers (tm.event='NewBlock', tm.event='Tx') held through 3 cycles and 'after' (pings answered), released after", async function () {
      const result = await runScenario(heldRun('comet', ["tm.event='NewBlock'", "tm.event='Tx'"], 10), { reportsDir });
      checkHeldRun(result, 20, 3, /cometbft\/rpc\/core|cometbft\/rpc\/jsonrpc\/server/);
      // Held past the node's 27 s ping: answered, or the node would have dropped them at 30 s.
      for (const s of result.workloads.filter((w) => w.kind === 'ws-streams')) assert.ok(num(s, 'longLived.pings') >= s.sent, JSON.stringify(s.extra));
    });

    // geth v1.17: per held stream the server's rpc.Client read and dispatch loops, the websocket pingLoop,
    // the http handler's connection and the subscription's filter loop.
    it('geth: 20 subscribers (newHeads, newPendingTransactions) held through 3 cycles and after, released after', async function () {
      const result = await runScenario(heldRun('geth', ['newHeads', 'newPendingTransactions'], 10), { reportsDir });
      checkHeldRun(result, 20, 5, /go-ethereum\/rpc\.|go-ethereum\/eth\/filters/);
    });

    // Positive control: CometBFT's subscription forwarder defers a cancel per event inside its loop
    // (rpc/core/events.go, every pinned version; fixes cometbft#5808/#6077 closed unmerged), so each Tx event keeps its
    // timer context until the subscriber goes. Held subscribers show it; released, it goes.
    it('CometBFT: Tx subscribers held beside a flood grow the heap by the known per-event context leak, and it goes on release', async function () {
      const result = await runScenario(path.join(repoRoot, 'test/scenarios/comet-long-lived-subs-leak.ts'), { reportsDir });
      assert.equal(result.exitCode, 1, explain(result));
      assert.deepEqual(result.budgets.filter((b) => !b.pass).map((b) => b.name), ['heap trend'], explain(result));
      const node = result.nodes[0]!;
      const grew = node.heap.after.inuseBytes - node.heap.before.inuseBytes;
      const released = node.released!.inuseBytes - node.heap.before.inuseBytes;
      const top = node.heap.topGrowth.slice(0, 5).map((g) => g.function);
      console.log(`      heap before ${node.heap.before.inuseBytes} -> after +${grew} -> released +${released}; top ${top.join(', ')}`);
      assert.ok(top.some((f) => /^context\.|rpc\/core\.\(\*Environment\)\.Subscribe/.test(f)), top.join(', '));
      assert.ok(grew > 8 << 20, `heap growth with the subscribers held: ${grew}`);
      assert.ok(released < grew / 4, `most of it goes with the subscribers: +${released} of +${grew}`);
    });
  });
});
