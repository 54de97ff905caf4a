/**
 * State workloads on real nodes, every port on 127.0.0.1, every node stopped in `after`:
 *  - comet-state-sync: a cometbft v0.38 e2e-app validator snapshotting every 5 blocks and one late joiner
 *    with stateSync: true, joined twice; each join must be a state sync (a restored snapshot, a block store
 *    that starts after it), not a block sync;
 *  - geth-state-iteration: debug_accountRange / debug_dumpBlock / debug_traceBlockByNumber at 10 req/s for
 *    10 s on geth --dev with a datadir, beside a small tx flood.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { familyNodeInfo, getTomlValue, logHeights, SNAPSHOT_RESTORED_RE } from '../../harness/nodes/tendermint-family.ts';
import { cometStateSync, cometStateSyncSchema } from '../../harness/workloads/comet-state-sync.ts';
import { gethStateIteration, gethStateIterationSchema, STATE_METHODS } from '../../harness/workloads/geth-state-iteration.ts';
import { gethTxFlood } from '../../harness/workloads/geth-tx-flood.ts';
import type { WorkloadContext } from '../../harness/workloads/workload.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { startTestCometNetwork, type TestCometNetwork } from '../support/comet.ts';
import { startTestGeth, type TestGeth } from '../support/geth.ts';
import { counters } from '../helpers.ts';

function context(nodes: RunningNode[], seed: number, log: (m: string) => void = () => {}): WorkloadContext {
  return { nodes, seed, signal: new AbortController().signal, log };
}

describe('comet-state-sync (cometbft v0.38, e2e app)', function () {
  this.timeout(120_000);
  let net: TestCometNetwork | undefined;

  after(async () => {
    await net?.stop();
  });

  it('options are strict', () => {
    const o = cometStateSyncSchema.parse({ kind: 'comet-state-sync', joins: 2, intervalMs: '1s' });
    assert.equal(o.intervalMs, 1000);
    assert.equal(o.syncTimeoutMs, 120_000);
    assert.throws(() => cometStateSyncSchema.parse({ kind: 'comet-state-sync', joins: 2, join: 1 }));
    assert.throws(() => cometStateSyncSchema.parse({ kind: 'comet-state-sync', joins: 0 }));
  });

  it('a validator + 1 state-sync joiner: 2 joins, each restores a snapshot (not block sync)', async () => {
    net = await startTestCometNetwork([
      { name: 'val', options: { app: 'e2e', snapshotInterval: 5, blockTime: 200 } },
      { name: 'joiner', options: { app: 'e2e', role: 'full', stateSync: true }, start: 'fault' },
    ]);
    const [val, joiner] = net.nodes as [RunningNode, RunningNode];
    assert.equal(joiner.isRunning(), false, 'the joiner waits for the workload');
    const info = familyNodeInfo(joiner)!;
    assert.deepEqual(info.stateSync?.sources, [val.name]);
    const configPath = path.join(net.homes[1]!, 'config', 'config.toml');
    assert.equal(getTomlValue(await readFile(configPath, 'utf8'), 'statesync.trust_height'), '0', 'a placeholder until the joiner starts');

    const lines: string[] = [];
    const w = cometStateSync(cometStateSyncSchema.parse({ kind: 'comet-state-sync', joins: 2, intervalMs: 500, syncTimeoutMs: 40_000 }));
    const ctx = context(net.nodes, 7, (m) => lines.push(m));
    const t = performance.now();
    try {
      await w.prepare(ctx);
      await w.run(ctx, 55_000);
    } finally {
      await w.release();
    }
    const elapsed = performance.now() - t;
    const s = w.stats();
    console.log(`      ${elapsed.toFixed(0)} ms; ${JSON.stringify({ sent: s.sent, accepted: s.accepted, failed: s.failed, latency: s.latency, extra: s.extra, errors: s.errors })}`);
    assert.deepEqual(s.errors, [], lines.join('\n') + '\n' + joiner.logTail(30));
    assert.equal(s.extra?.joinsCompleted, 2);
    assert.equal(s.extra?.joinsFailed, 0);
    assert.equal(s.sent, 2);
    assert.equal(s.accepted, 2);
    assert.ok(s.latency && s.latency.p50Ms > 0);
    assert.equal(joiner.isRunning(), false, 'stopped after the last join');

    // The evidence of state sync, join by join.
    const restored = (s.extra!.restoredHeights as string).split(',').map(Number);
    const trust = (s.extra!.trustHeights as string).split(',').map(Number);
    const earliest = (s.extra!.earliestHeights as string).split(',').map(Number);
    assert.equal(restored.length, 2);
    for (const h of restored) assert.ok(h > 0 && h % 5 === 0, `restored a snapshot height (${h})`);
    for (const [k, e] of earliest.entries()) assert.ok(e > 1 && e > restored[k]!, `join ${k}: the block store starts at ${e}, after the snapshot at ${restored[k]} (a block sync starts at 1)`);
    assert.ok(restored[1]! > restored[0]!, 'the second join restored a later snapshot (its data was wiped: no local state)');
    assert.ok(trust[1]! > trust[0]!, 'a fresh trust point per start');
    assert.deepEqual(logHeights(await readFile(joiner.logPath, 'utf8'), SNAPSHOT_RESTORED_RE), restored, 'one "Snapshot restored" per join');
    const config = await readFile(configPath, 'utf8');
    assert.equal(getTomlValue(config, 'statesync.trust_height'), String(trust[1]));
    assert.equal(getTomlValue(config, 'statesync.rpc_servers'), JSON.stringify(`${val.endpoints.rpc},${val.endpoints.rpc}`), 'one running node: named twice');
    assert.ok(Number(s.extra!.snapshotsTaken) >= 2, `the validator took snapshots during the window (${s.extra!.snapshotsTaken})`);
  });
});

describe('geth-state-iteration (geth --dev with a datadir)', function () {
  this.timeout(120_000);
  let geth: TestGeth | undefined;

  before(async () => {
    geth = await startTestGeth({ devPeriod: 1 });
  });

  after(async () => {
    await geth?.stop();
  });

  it('options: weights, strictness', () => {
    const o = gethStateIterationSchema.parse({ kind: 'geth-state-iteration', rate: 5, maxRequests: 10 });
    assert.deepEqual(o.weights, { debug_accountRange: 1, debug_dumpBlock: 1, debug_traceBlockByNumber: 1 });
    assert.throws(() => gethStateIterationSchema.parse({ kind: 'geth-state-iteration', rate: 5, maxRequests: 10, weights: { debug_accountRange: 0 } }));
    assert.throws(() => gethStateIterationSchema.parse({ kind: 'geth-state-iteration', rate: 5, maxRequests: 10, weights: { eth_call: 1 } }));
    assert.throws(() => gethStateIterationSchema.parse({ kind: 'geth-state-iteration', rate: 5, maxRequests: 10, pageSize: 1000 }));
  });

  it('10 req/s for 10 s beside a tx flood: every method answers, the counters add up', async () => {
    const g = geth!;
    const flood = gethTxFlood({ rate: 20, senders: 5, maxTxs: 400, inclusionWaitMs: 0 });
    const w = gethStateIteration(gethStateIterationSchema.parse({ kind: 'geth-state-iteration', rate: 10, maxRequests: 1_000, block: 'recent', recentBlocks: 8 }));
    const ctx = context([g.node], 11);
    try {
      await flood.prepare(context([g.node], 12));
      await w.prepare(ctx);
      const t = performance.now();
      await Promise.all([flood.run(context([g.node], 12), 12_000), w.run(ctx, 10_000)]);
      assert.ok(performance.now() - t < 25_000, 'bounded');
    } finally {
      await w.release();
      await flood.release();
    }
    const s = w.stats();
    const x = s.extra!;
    console.log(`      ${JSON.stringify({ sent: s.sent, accepted: s.accepted, failed: s.failed, rate: s.achievedRate, latency: s.latency, extra: x })}`);
    assert.deepEqual(s.errors, []);
    assert.equal(s.failed, 0);
    assert.ok(s.sent >= 90 && s.sent <= 101, `sent ${s.sent}`);
    assert.equal(s.accepted, s.sent);
    let sent = 0;
    let ok = 0;
    for (const m of STATE_METHODS) {
      assert.ok(Number(x[`${m}.ok`]) > 0, `${m} answered`);
      assert.equal(x[`${m}.failed`], 0);
      sent += Number(x[`${m}.sent`]);
      ok += Number(x[`${m}.ok`]);
    }
    assert.equal(sent, s.sent);
    assert.equal(ok, s.accepted);
    assert.ok(Number(x.accounts) > 0, 'state dumps returned accounts');
    assert.ok(Number(x.accountRangePasses) >= 1, 'debug_accountRange paged through the whole (small) state');
    assert.ok(Number(x.tracedTxs) > 0, 'traced blocks held the flood txs');
    assert.ok(s.latency && s.latency.p95Ms > 0);
    assert.deepEqual(counters(w.progress()), { sent: s.sent, accepted: s.accepted, failed: 0 });
  });
});
