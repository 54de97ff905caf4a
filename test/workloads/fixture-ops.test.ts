// fixture-ops against two real leaky-node nodes: round robin, counters over several run() calls, the maxOps bound.
import assert from 'node:assert/strict';
import { UsageError } from '../../harness/errors.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { fixtureOps, fixtureOpsSchema } from '../../harness/workloads/fixture-ops.ts';
import type { WorkloadContext } from '../../harness/workloads/workload.ts';
import { startTestLeakyNode, type TestLeakyNode } from '../support/leaky-node.ts';

function context(nodes: RunningNode[], signal = new AbortController().signal): WorkloadContext {
  return { nodes, seed: 1, signal, log: () => {} };
}

describe('fixture-ops workload', function () {
  this.timeout(120_000);
  const leaky: TestLeakyNode[] = [];

  before(async () => {
    leaky.push(await startTestLeakyNode({ leaks: { map: 1024 } }), await startTestLeakyNode({}));
  });
  after(async () => Promise.all(leaky.map((l) => l.stop())));

  it('schema: kind, rate, maxOps, optional batch; unknown keys are errors', () => {
    assert.deepEqual(fixtureOpsSchema.parse({ kind: 'fixture-ops', rate: 100, maxOps: 1000 }), { kind: 'fixture-ops', rate: 100, maxOps: 1000 });
    assert.throws(() => fixtureOpsSchema.parse({ kind: 'fixture-ops', rate: 100, maxOps: 1000, batch: 20_000 }));
    assert.throws(() => fixtureOpsSchema.parse({ kind: 'fixture-ops', rate: 100 }));
    assert.throws(() => fixtureOpsSchema.parse({ kind: 'fixture-ops', rate: 100, maxOps: 10, extra: 1 }));
  });

  it('needs a leaky-node node', async () => {
    const fake = { name: 'geth0', endpoints: { pprof: 'http://127.0.0.1:1', http: 'http://127.0.0.1:1' } } as unknown as RunningNode;
    await assert.rejects(fixtureOps({ rate: 10, maxOps: 10 }).prepare(context([fake])), UsageError);
  });

  it('round robin over the nodes; counters accumulate over run() calls and maxOps bounds them all', async () => {
    const nodes = leaky.map((l) => l.node);
    const w = fixtureOps({ rate: 400, maxOps: 1000, batch: 7 });
    await w.prepare(context(nodes));
    await w.run(context(nodes), 500);
    const first = w.progress();
    assert.ok(first.sent > 0 && first.sent < 1000, `first run sent ${first.sent}`);
    assert.equal(first.accepted, first.sent);
    await w.run(context(nodes), 500);
    assert.ok(w.progress().sent > first.sent, 'the second run adds to the counters');
    await w.run(context(nodes), 60_000); // stops at maxOps, long before the duration
    await w.run(context(nodes), 60_000); // nothing left to send
    await w.release();

    const stats = w.stats();
    assert.equal(stats.sent, 1000);
    assert.equal(stats.accepted, 1000);
    assert.equal(stats.failed, 0);
    assert.ok(stats.latency && stats.latency.maxMs > 0);
    assert.ok(Number(stats.extra!.requests) >= 1000 / 7);
    const states = await Promise.all(leaky.map((l) => l.state()));
    assert.equal(states[0]!.ops + states[1]!.ops, 1000, 'every operation reached a node, once');
    assert.ok(Math.abs(states[0]!.ops - states[1]!.ops) <= 2 * 7, `split ${states[0]!.ops} / ${states[1]!.ops}`);
    assert.equal(states[0]!.leaked.map!.units, 1024 * states[0]!.ops, 'the node leaked its amount per operation');
  });

  it('a node answering an error counts as failed, with its message', async () => {
    // A wrong ops URL: the node answers 404.
    const w = fixtureOps({ rate: 1000, maxOps: 1, batch: 10_000 });
    const broken = { ...leaky[1]!.node, endpoints: { ...leaky[1]!.node.endpoints, ops: `${leaky[1]!.node.endpoints.http}/nope` }, isRunning: () => true } as RunningNode;
    await w.prepare(context([broken]));
    await w.run(context([broken]), 5_000);
    await w.release();
    const stats = w.stats();
    assert.equal(stats.failed, 1);
    assert.match(stats.errors[0]!, /HTTP 404/);
  });
});
