/**
 * Peer churn against real nodes: geth-peer-churn on three geth p2p nodes, comet-peer-churn on a
 * three-validator CometBFT network with a late full node that only dial_peers connects. Goroutines are
 * recorded before and after the churn on the nodes that stay up (the ones a leak would show in).
 */
import assert from 'node:assert/strict';
import { jsonRpc } from '../../harness/probes/http.ts';
import { readGoroutineCount } from '../../harness/probes/memstats.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { cometPeerChurn, cometPeerChurnSchema } from '../../harness/workloads/comet-peer-churn.ts';
import { gethPeerChurn, gethPeerChurnSchema } from '../../harness/workloads/geth-peer-churn.ts';
import type { WorkloadContext } from '../../harness/workloads/workload.ts';
import { cometGet, startTestCometNetwork, waitForPeers, type TestCometNetwork } from '../support/comet.ts';
import { startTestGethNetwork, type TestGethNetwork } from '../support/geth.ts';
import { counters } from '../helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function context(nodes: RunningNode[], seed: number, signal = new AbortController().signal): WorkloadContext {
  return { nodes, seed, signal, log: () => {} };
}

/** Goroutines of each node, read `settleMs` after the last change, as the median of three reads. */
async function goroutines(nodes: RunningNode[]): Promise<number[]> {
  const reads: number[][] = [];
  for (let k = 0; k < 3; k++) {
    reads.push(await Promise.all(nodes.map((n) => readGoroutineCount(n.endpoints))));
    await sleep(300);
  }
  return nodes.map((_, i) => reads.map((r) => r[i]!).sort((a, b) => a - b)[1]!);
}

async function goroutineStacks(node: RunningNode): Promise<string> {
  const response = await fetch(`${node.endpoints.pprof}/debug/pprof/goroutine?debug=1`, { signal: AbortSignal.timeout(10_000) });
  return response.text();
}

describe('peer churn (real nodes)', function () {
  this.timeout(900_000);

  describe('geth-peer-churn: three geth p2p nodes', function () {
    let net: TestGethNetwork | undefined;

    before(async function () {
      net = await startTestGethNetwork(3, { verbosity: 2 });
    });

    after(async function () {
      await net?.stop();
    });

    it('the schema is strict and fills defaults', function () {
      const parsed = gethPeerChurnSchema.parse({ kind: 'geth-peer-churn', cycles: 5 });
      assert.deepEqual(parsed, { kind: 'geth-peer-churn', cycles: 5, intervalMs: 1000, pairs: 'all', trusted: false, connectTimeoutMs: 45_000, dropTimeoutMs: 15_000 });
      assert.equal(gethPeerChurnSchema.parse({ kind: 'geth-peer-churn', cycles: 1, intervalMs: '2s' }).intervalMs, 2000);
      assert.throws(() => gethPeerChurnSchema.parse({ kind: 'geth-peer-churn', cycles: 1, bogus: true }));
      assert.throws(() => gethPeerChurnSchema.parse({ kind: 'geth-peer-churn', cycles: 0 }));
      assert.throws(() => gethPeerChurnSchema.parse({ kind: 'geth-peer-churn', cycles: 1, pairs: 'some' }));
    });

    // 3 cycles: each pair dialed one way, then the other (no wait), then the first way again, which waits
    // out geth's 35 s re-dial throttle; every further cycle would only repeat one of those.
    it('3 cycles over all pairs: counters add up, every connection seen and gone, no peers at the end', async function () {
      const nodes = net!.nodes;
      await sleep(2_000);
      const before = await goroutines(nodes);
      const w = gethPeerChurn(gethPeerChurnSchema.parse({ kind: 'geth-peer-churn', cycles: 3, intervalMs: 500, pairs: 'all', trusted: true }));
      const ctx = context(nodes, 7);
      try {
        await w.prepare(ctx);
        await w.run(ctx, 600_000);
      } finally {
        await w.release();
      }
      const s = w.stats();
      console.log(`      geth-peer-churn stats: ${JSON.stringify(s)}`);
      assert.equal(s.kind, 'geth-peer-churn');
      assert.deepEqual(s.errors, []);
      assert.equal(s.extra?.cycles, 3);
      assert.equal(s.sent, 3 * 3 * 2, 'one add and one remove per pair per cycle');
      assert.equal(s.accepted + s.failed, s.sent);
      assert.equal(s.failed, 0);
      assert.equal(s.extra?.peersAdded, 9);
      assert.equal(s.extra?.peersRemoved, 9);
      assert.equal(s.extra?.connectFailures, 0);
      assert.equal(s.extra?.trustedCalls, 18);
      assert.equal(s.extra?.maxPeers, 2, 'all three pairs at once: each node has the two others');
      assert.ok(s.latency && s.latency.p50Ms > 0 && s.latency.maxMs < 45_000, JSON.stringify(s.latency));
      assert.deepEqual(counters(w.progress()), { sent: s.sent, accepted: s.accepted, failed: 0 });
      for (const n of nodes) {
        assert.equal(await jsonRpc<string>(n.endpoints.http!, 'net_peerCount'), '0x0', `${n.name} ends without peers`);
      }
      await sleep(3_000);
      const after = await goroutines(nodes);
      console.log(`      geth goroutines before ${before.join(',')} after ${after.join(',')}`);
      for (const [i, n] of nodes.entries()) assert.ok(after[i]! - before[i]! <= 5, `${n.name}: goroutines ${before[i]} -> ${after[i]}`);
    });

    it('pairs: 1 churns one seeded pair per cycle and never more peers than that', async function () {
      const nodes = net!.nodes;
      const w = gethPeerChurn(gethPeerChurnSchema.parse({ kind: 'geth-peer-churn', cycles: 3, intervalMs: 200, pairs: 1 }));
      const ctx = context(nodes, 11);
      try {
        await w.prepare(ctx);
        await w.run(ctx, 600_000);
      } finally {
        await w.release();
      }
      const s = w.stats();
      console.log(`      geth-peer-churn pairs 1: ${JSON.stringify(s)}`);
      assert.equal(s.sent, 6);
      assert.equal(s.accepted, 6);
      assert.equal(s.extra?.maxPeers, 1);
      for (const n of nodes) assert.equal(await jsonRpc<string>(n.endpoints.http!, 'net_peerCount'), '0x0');
    });

    it('needs two p2p nodes', async function () {
      const w = gethPeerChurn(gethPeerChurnSchema.parse({ kind: 'geth-peer-churn', cycles: 1 }));
      await assert.rejects(w.prepare(context(net!.nodes.slice(0, 1), 1)), /at least two running geth nodes with network: 'p2p'/);
    });
  });

  describe('comet-peer-churn: three validators and a late full node', function () {
    let net: TestCometNetwork | undefined;
    let nodes: RunningNode[] = [];

    before(async function () {
      // The full node is in nobody's persistent_peers and has none (peering 'none'), and starts late: only
      // dial_peers connects it.
      net = await startTestCometNetwork([
        { name: 'val0', options: { config: { 'rpc.unsafe': true } } },
        { name: 'val1', options: { config: { 'rpc.unsafe': true } } },
        { name: 'val2', options: { config: { 'rpc.unsafe': true } } },
        { name: 'full', options: { role: 'full', peering: 'none' }, start: 'fault' },
      ]);
      nodes = net.nodes;
      for (const v of nodes.slice(0, 3)) await waitForPeers(v, 2);
    });

    after(async function () {
      await net?.stop();
    });

    it('the schema is strict and fills defaults', function () {
      assert.deepEqual(cometPeerChurnSchema.parse({ kind: 'comet-peer-churn', cycles: 2 }), {
        kind: 'comet-peer-churn', cycles: 2, intervalMs: 1000, dialers: 'all', drop: 'stop', persistent: false, connectTimeoutMs: 30_000, dropTimeoutMs: 30_000,
      });
      assert.throws(() => cometPeerChurnSchema.parse({ kind: 'comet-peer-churn', cycles: 2, peers: 3 }));
    });

    it('dial_peers cycles show in /net_info, drops by stopping the full node, counters add up', async function () {
      const validators = nodes.slice(0, 3);
      const full = nodes[3]!;
      assert.equal(full.isRunning(), false, 'the full node is a late joiner');
      await sleep(2_000);
      const before = await goroutines(validators);
      const w = cometPeerChurn(cometPeerChurnSchema.parse({ kind: 'comet-peer-churn', cycles: 4, intervalMs: 1_000, target: 'full' }));
      const ctx = context(nodes, 5);
      try {
        await w.prepare(ctx);
        await w.run(ctx, 600_000);
      } finally {
        await w.release();
      }
      const s = w.stats();
      console.log(`      comet-peer-churn stats: ${JSON.stringify(s)}`);
      assert.equal(s.kind, 'comet-peer-churn');
      assert.deepEqual(s.errors, []);
      assert.equal(s.extra?.cycles, 4);
      assert.equal(s.extra?.dials, 4 * 3);
      assert.equal(s.sent, 4 * 3 + 4, 'three dials and one drop per cycle');
      assert.equal(s.accepted + s.failed, s.sent);
      assert.equal(s.failed, 0);
      assert.equal(s.extra?.peersAdded, 12);
      assert.equal(s.extra?.peersRemoved, 12);
      assert.equal(s.extra?.autoConnects, 0, 'nothing but dial_peers connected the full node');
      assert.equal(s.extra?.restarts, 4, 'started once per cycle, left down at the end (it was down at the start)');
      assert.equal(s.extra?.maxPeers, 3, 'a validator: the two others and the full node');
      assert.equal(s.extra?.peersSeen, 4, 'three validators and the full node');
      assert.ok(s.latency && s.latency.maxMs < 30_000);
      assert.equal(full.isRunning(), false);
      for (const v of validators) {
        const info = await cometGet<{ n_peers: string }>(v, '/net_info');
        assert.equal(info.n_peers, '2', `${v.name} ends with the two other validators`);
      }
      await sleep(3_000);
      const after = await goroutines(validators);
      console.log(`      comet goroutines before ${before.join(',')} after ${after.join(',')}`);
      for (const [i, v] of validators.entries()) {
        if (after[i]! - before[i]! > 5) console.log(`      ${v.name} goroutines after churn:\n${(await goroutineStacks(v)).slice(0, 20_000)}`);
        assert.ok(after[i]! - before[i]! <= 5, `${v.name}: goroutines ${before[i]} -> ${after[i]}`);
      }
    });
  });
});
