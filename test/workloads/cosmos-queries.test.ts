/** cosmos-queries on a real simd validator: every query kind answers over REST, and the counts add up. */
import assert from 'node:assert/strict';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { cosmosBankSend } from '../../harness/workloads/cosmos-bank-send.ts';
import { COSMOS_QUERY_KINDS } from '../../harness/workloads/cosmos-schemas.ts';
import { cosmosQueries } from '../../harness/workloads/cosmos-queries.ts';
import { workloadSchemas } from '../../harness/workloads/schemas.ts';
import type { Workload, WorkloadStats } from '../../harness/workloads/workload.ts';
import { startTestNetwork, type TestNetwork } from '../support/network.ts';

async function drive(w: Workload, nodes: RunningNode[], seed: number, durationMs: number): Promise<WorkloadStats> {
  const ctx = { nodes, seed, signal: new AbortController().signal, log: () => {}, plannedDurationMs: durationMs };
  try {
    await w.prepare(ctx);
    await w.run(ctx, durationMs);
  } finally {
    await w.release();
  }
  return w.stats();
}

const queries = (options: Record<string, unknown>) => cosmosQueries(workloadSchemas['cosmos-queries'].parse({ kind: 'cosmos-queries', ...options }));
const perKind = (s: WorkloadStats, field: string) => Object.fromEntries(COSMOS_QUERY_KINDS.map((k) => [k, Number(s.extra?.[`${k}.${field}`])]));

describe('cosmos-queries on one simd validator', function () {
  this.timeout(240_000);
  let net: TestNetwork | undefined;

  before(async function () {
    net = await startTestNetwork([{ name: 'simd0', node: 'simd', options: { accounts: 20, blockTime: '500ms' }, readyTimeoutMs: 120_000 }]);
    // Some transfers from accounts 0..4 first, so the tx searches have something to find.
    const send = cosmosBankSend(workloadSchemas['cosmos-bank-send'].parse({ kind: 'cosmos-bank-send', rate: 20, maxTxs: 60, senders: 5 }));
    const s = await drive(send, net.nodes, 1, 5_000);
    assert.equal(Number(s.extra?.committed), 60, JSON.stringify(s));
  });

  after(async function () {
    await net?.stop();
  });

  it('40 queries/s for 8 s: every kind answers 200 with its field, and the per-kind counts add up', async function () {
    const s = await drive(queries({ rate: 40, maxQueries: 10_000, accounts: 5 }), net!.nodes, 7, 8_000);
    assert.deepEqual(s.errors, []);
    assert.equal(s.failed, 0);
    assert.ok(s.sent >= 300 && s.sent <= 330, `sent ${s.sent}`);
    assert.equal(s.accepted, s.sent);
    const sent = perKind(s, 'sent');
    const ok = perKind(s, 'ok');
    assert.deepEqual(ok, sent, 'every query of every kind answered');
    assert.equal(Object.values(sent).reduce((a, b) => a + b, 0), s.sent);
    for (const [kind, n] of Object.entries(sent)) assert.ok(n > s.sent / 8, `${kind}: ${n} of ${s.sent} (equal weights)`);
    assert.ok(Number(s.extra?.txsFound) > 0, 'the tx searches found the transfers sent before');
    assert.ok(s.latency && s.latency.p50Ms > 0);
  });

  it('the same seed asks the same queries; weights leave kinds out', async function () {
    const a = await drive(queries({ rate: 200, maxQueries: 120 }), net!.nodes, 11, 5_000);
    const b = await drive(queries({ rate: 200, maxQueries: 120 }), net!.nodes, 11, 5_000);
    assert.equal(a.sent, 120);
    assert.deepEqual(perKind(a, 'sent'), perKind(b, 'sent'));
    const only = await drive(queries({ rate: 200, maxQueries: 50, weights: { balances: 1, txSearch: 0 } }), net!.nodes, 11, 5_000);
    assert.equal(only.extra?.['balances.ok'], 50);
    assert.equal(only.extra?.['txSearch.sent'], undefined);
  });
});
