/** comet-tx-flood against a real single-validator CometBFT v0.38 (persistent_kvstore, then the in-memory kvstore). */
import assert from 'node:assert/strict';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { cometTxFlood, cometTxTag, type CometTxFloodOptions } from '../../harness/workloads/comet-tx-flood.ts';
import { JsonRpcHttpClient } from '../../harness/workloads/jsonrpc.ts';
import type { WorkloadContext, WorkloadStats } from '../../harness/workloads/workload.ts';
import { startTestComet, type TestCometNetwork as TestComet } from '../support/comet.ts';
import { counters } from '../helpers.ts';

function context(node: RunningNode, seed: number, signal = new AbortController().signal): WorkloadContext {
  return { nodes: [node], seed, signal, log: () => {} };
}

/** prepare + run + release, returning the stats and how long run() took. */
async function flood(node: RunningNode, seed: number, durationMs: number, opts: CometTxFloodOptions, signal?: AbortSignal) {
  const w = cometTxFlood(opts);
  const ctx = context(node, seed, signal);
  let runMs = 0;
  try {
    await w.prepare(ctx);
    const t = performance.now();
    await w.run(ctx, durationMs);
    runMs = performance.now() - t;
  } finally {
    await w.release();
  }
  return { stats: w.stats(), runMs, progress: w.progress() };
}

function assertLatency(s: WorkloadStats): void {
  assert.ok(s.latency, 'latency recorded');
  assert.ok(s.latency.p50Ms > 0 && s.latency.p50Ms <= s.latency.p95Ms);
  assert.ok(s.latency.p95Ms <= s.latency.p99Ms && s.latency.p99Ms <= s.latency.maxMs);
}

describe('comet-tx-flood (real CometBFT v0.38, persistent_kvstore)', function () {
  this.timeout(600_000);
  let comet: TestComet | undefined;
  let syncP50 = 0;

  before(async function () {
    comet = await startTestComet({ app: 'persistent_kvstore', blockTime: 300 });
  });

  after(async function () {
    await comet?.stop();
  });

  it('sync: ~100 tx/s for 8 s, all accepted by CheckTx and all committed', async function () {
    const { stats: s, runMs, progress } = await flood(comet!.nodes[0]!, 201, 8_000, { rate: 100, maxTxs: 5_000, mode: 'sync' });
    assert.equal(s.kind, 'comet-tx-flood');
    assert.deepEqual(s.errors, []);
    assert.equal(s.failed, 0);
    assert.ok(s.sent >= 760 && s.sent <= 801, `sent ${s.sent}`);
    assert.equal(s.accepted, s.sent);
    assert.equal(s.extra?.committed, s.accepted);
    assert.equal(s.extra?.mode, 'sync');
    assert.equal(s.extra?.keys, 'unique');
    assert.ok(s.achievedRate > 85 && s.achievedRate < 110, `achieved ${s.achievedRate}/s`);
    assert.ok(s.durationMs >= 7_900 && s.durationMs < 9_000, `window ${s.durationMs} ms`);
    assert.ok(runMs < 8_000 + 10_000 + 10_000, 'run is bounded');
    assertLatency(s);
    syncP50 = s.latency!.p50Ms;
    assert.deepEqual(counters(progress), { sent: s.sent, accepted: s.accepted, failed: 0 });
  });

  it('never sends more than maxTxs and stops early when they are out', async function () {
    const { stats: s, runMs } = await flood(comet!.nodes[0]!, 202, 5_000, { rate: 400, maxTxs: 150, commitWaitMs: 0 });
    assert.ok(runMs < 5_000, `returned before the window ended (${Math.round(runMs)} ms)`);
    assert.equal(s.sent, 150);
    assert.equal(s.accepted, 150);
    assert.equal(s.failed, 0);
  });

  it('async: the node takes every tx and they get committed', async function () {
    const { stats: s } = await flood(comet!.nodes[0]!, 203, 3_000, { rate: 200, maxTxs: 2_000, mode: 'async' });
    assert.deepEqual(s.errors, []);
    assert.ok(s.sent >= 550 && s.sent <= 601, `sent ${s.sent}`);
    assert.equal(s.accepted, s.sent);
    assert.equal(s.extra?.mode, 'async');
    assert.equal(s.extra?.committed, s.accepted);
    assertLatency(s);
  });

  it('commit: answers come after the block, every accepted tx counted as committed', async function () {
    const { stats: s } = await flood(comet!.nodes[0]!, 204, 3_000, { rate: 40, maxTxs: 1_000, mode: 'commit' });
    assert.deepEqual(s.errors, []);
    assert.ok(s.sent >= 110 && s.sent <= 121, `sent ${s.sent}`);
    assert.equal(s.accepted, s.sent);
    assert.equal(s.extra?.committed, s.accepted);
    assert.equal(s.extra?.batch, 1);
    assertLatency(s);
    // A commit waits for a block (timeout_commit 300 ms here); a sync answer only for CheckTx.
    assert.ok(s.latency!.p50Ms > Math.max(50, 3 * syncP50), `commit p50 ${s.latency!.p50Ms} ms vs sync p50 ${syncP50} ms`);
  });

  it('reused keys: 5 keys, every tx still has unique bytes (no cache rejections)', async function () {
    const { stats: s } = await flood(comet!.nodes[0]!, 205, 2_000, { rate: 200, maxTxs: 1_000, keys: 'reused', reusedKeys: 5 });
    assert.deepEqual(s.errors, []);
    assert.ok(s.sent >= 350, `sent ${s.sent}`);
    assert.equal(s.accepted, s.sent);
    assert.equal(s.failed, 0);
    assert.equal(s.extra?.keys, 'reused');
    assert.equal(s.extra?.committed, s.accepted);
  });

  it('a replay with the same seed on the same chain is not rejected as duplicates', async function () {
    const { stats: s } = await flood(comet!.nodes[0]!, 202, 1_000, { rate: 400, maxTxs: 150, commitWaitMs: 0 });
    assert.deepEqual(s.errors, []);
    assert.equal(s.accepted, 150);
  });

  it('stops promptly when the signal aborts', async function () {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1_000);
    const { stats: s, runMs } = await flood(comet!.nodes[0]!, 206, 20_000, { rate: 50, maxTxs: 1_000, commitWaitMs: 10_000 }, ac.signal);
    assert.ok(runMs < 3_000, `the abort ended the run (${Math.round(runMs)} ms)`);
    assert.ok(s.sent > 0 && s.sent < 120, `sent ${s.sent}`);
  });
});

describe('comet-tx-flood (real CometBFT v0.38, in-memory kvstore)', function () {
  this.timeout(600_000);
  let comet: TestComet | undefined;

  before(async function () {
    comet = await startTestComet({ app: 'kvstore', blockTime: 300 });
  });

  after(async function () {
    await comet?.stop();
  });

  it("unique keys grow the app's state: abci_info size grows by the txs, the last key is stored", async function () {
    const rpc = new JsonRpcHttpClient(comet!.nodes[0]!.endpoints.rpc!, { timeoutMs: 5_000 });
    try {
      const size = async () => JSON.parse((await rpc.call<{ response: { data: string } }>('abci_info', {})).response.data).size as number;
      const before = await size();
      const seed = 207;
      const { stats: s } = await flood(comet!.nodes[0]!, seed, 2_000, { rate: 150, maxTxs: 1_000, valueBytes: 48 });
      assert.deepEqual(s.errors, []);
      assert.equal(s.extra?.committed, s.accepted);
      assert.equal((await size()) - before, s.accepted);
      // Unique key layout (see comet-tx-flood.ts): <tag><index base 36>.
      const key = cometTxTag(seed, String(s.extra?.salt)) + (s.sent - 1).toString(36);
      const q = await rpc.call<{ response: { log: string; value: string | null } }>('abci_query', { path: '', data: Buffer.from(key).toString('hex') });
      assert.equal(q.response.log, 'exists');
      const value = Buffer.from(q.response.value ?? '', 'base64').toString();
      assert.ok(value.startsWith(`${s.extra?.salt}.${(s.sent - 1).toString(36)}.`), value);
      assert.equal(value.length, 48);
    } finally {
      rpc.close();
    }
  });
});
