// Issue #4's chaos workloads through full runs: each on the pinned releases with its counters in the report.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunResult, type ScenarioInput } from 'chainsoak';
import { repoRoot } from '../helpers.ts';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-chaos-'));
const explain = (r: RunResult) => JSON.stringify({ error: r.error, failed: r.budgets.filter((b) => !b.pass), workloads: r.workloads.map((w) => [w.kind, w.sent, w.accepted, w.failed, w.errors]) });
const scenario = (name: string) => path.join(repoRoot, 'scenarios', `${name}.ts`);
const extra = (r: RunResult, kind: string) => r.workloads.find((w) => w.kind === kind)!.extra ?? {};

describe('chaos workloads end to end', function () {
  this.timeout(20 * 60_000);
  // The phases are cut (durationMs) to what each claim needs: the workloads' own tests (test/workloads/)
  // prove every end mode, churn cycle and join at length; here a shipped scenario passes its budgets with
  // the workload's counters in its report. A round a workload began before the phase's end is finished
  // (peer churn cycles, state-sync joins), so a short phase still holds whole rounds.
  //
  // geth keeps 20 s: its abandoned debug_traceCalls, sent until the phase ends, must be over by the end of
  // the cooldown (with 8 s, on a loaded machine, +23 goroutines were still tracing).
  const streamsMs = { geth: 20_000, comet: 8_000 };
  for (const flavor of ['geth', 'comet'] as const) {
    it(`${flavor}: streams ended every way come back; counters by end mode are in the report`, async () => {
      const result = await runScenario(scenario(`${flavor}-ws-streams`), { reportsDir, durationMs: streamsMs[flavor] });
      assert.equal(result.exitCode, 0, explain(result));
      const counters = extra(result, 'ws-streams');
      const ended = Object.entries(counters).filter(([k]) => k.startsWith('ended.'));
      assert.ok(ended.length >= 4, `ended by mode: ${JSON.stringify(counters)}`);
      const stream = result.workloads.find((w) => w.kind === 'ws-streams')!;
      assert.equal(ended.reduce((sum, [, v]) => sum + Number(v), 0) + Number(counters.held ?? 0) + Number(counters.droppedByNode ?? 0) + Number(counters.interrupted ?? 0), stream.accepted);
      assert.ok(Number(counters.abandoned) > 0, 'abandoned requests');
    });
  }

  it('comet: zombie subscribers grow goroutines on the RPC frames, and they go away once released', async () => {
    const zombies: ScenarioInput = {
      name: 'comet-zombies',
      nodes: [{ name: 'comet', node: 'cometbft', options: { blockTime: '300ms' } }],
      warmup: '3s',
      // CometBFT drops a client that has not read for 30 s: hold them for less.
      phases: [{ name: 'hold', duration: '8s', workloads: [{ kind: 'ws-streams', clients: 20, end: [{ mode: 'zombie' }] }] }],
      cooldown: '1s',
      afterRelease: '3s',
      budgets: { goroutineGrowth: 5 },
    };
    const result = await runScenario(zombies, { reportsDir });
    assert.equal(result.exitCode, 1, explain(result));
    const node = result.nodes[0]!;
    const onRpc = node.goroutines.topGrowth
      .filter((g) => g.stack.some((f) => /cometbft\/rpc\/jsonrpc\/server|cometbft\/libs\/pubsub|rpc\/core/.test(f)))
      .reduce((sum, g) => sum + g.count, 0);
    assert.ok(onRpc >= 20, `goroutine growth on RPC/subscription frames: ${onRpc} (${JSON.stringify(node.goroutines.topGrowth.slice(0, 3))})`);
    assert.ok(node.released && node.released.goroutines <= node.goroutines.before + 3, `released ${node.released?.goroutines} vs before ${node.goroutines.before}`);
  });

  it('comet: dial_peers churn against an unpeered full node; counters in the report; the target is not judged', async () => {
    const result = await runScenario(scenario('comet-peer-churn'), { reportsDir, durationMs: 8_000 });
    assert.equal(result.exitCode, 0, explain(result));
    const counters = extra(result, 'comet-peer-churn');
    assert.ok(Number(counters.dials) >= 2 && Number(counters.peersAdded) >= 2 && Number(counters.peersRemoved) >= 2, JSON.stringify(counters));
    assert.ok(result.budgets.filter((b) => b.node === 'full').every((b) => b.skipped));
  });

  it('geth: admin_addPeer / admin_removePeer churn on a p2p network; counters in the report', async () => {
    // One add/remove cycle (geth re-dials a peer only after ~35 s: a second cycle would wait for it).
    const result = await runScenario(scenario('geth-peer-churn'), { reportsDir, durationMs: 3_000 });
    assert.equal(result.exitCode, 0, explain(result));
    const counters = extra(result, 'geth-peer-churn');
    assert.ok(Number(counters.peersAdded) >= 1 && Number(counters.peersRemoved) >= 1, JSON.stringify(counters));
    assert.equal(result.nodes.length, 3);
  });

  it('comet: fresh nodes join through state sync again and again; snapshots and joins counted', async () => {
    // The second join starts within 15 s (one join takes a few seconds); snapshots every 2 s (10 blocks of 200 ms).
    const result = await runScenario(scenario('comet-state-sync'), { reportsDir, durationMs: 15_000 });
    assert.equal(result.exitCode, 0, explain(result));
    const counters = extra(result, 'comet-state-sync');
    assert.ok(Number(counters.joinsCompleted) >= 2 && Number(counters.joinsFailed) === 0, JSON.stringify(counters));
    assert.ok(Number(counters.snapshotsTaken) >= 2);
  });

  it('geth: state iteration under a flood; per-method counters in the report', async () => {
    const result = await runScenario(scenario('geth-state-iteration'), { reportsDir, durationMs: 8_000 });
    assert.equal(result.exitCode, 0, explain(result));
    const counters = extra(result, 'geth-state-iteration');
    for (const method of ['debug_accountRange', 'debug_dumpBlock', 'debug_traceBlockByNumber']) {
      assert.ok(Number(counters[`${method}.ok`]) > 0, `${method}: ${JSON.stringify(counters)}`);
    }
  });
});
