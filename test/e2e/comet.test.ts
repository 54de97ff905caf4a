// End to end against real CometBFT / Tendermint networks through the same runtime, probes and reports as geth.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunResult, type ScenarioInput } from 'chainsoak';
import kvstoreControl from '../scenarios/comet-kvstore-control.ts';
import { processesMatching, repoRoot } from '../helpers.ts';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-comet-'));
const explain = (r: RunResult) => JSON.stringify({ error: r.error, budgets: r.budgets.filter((b) => !b.pass), workloads: r.workloads });

/** 100 tx/s for `seconds`: 15 s is 1500 txs, over the 1000 the version tests want accepted. */
function singleFlood(node: string, seconds = 15): ScenarioInput {
  return {
    name: `single-${node.replace(/[@.]/g, '-')}`,
    nodes: [{ name: 'node', node, options: { app: 'persistent_kvstore', blockTime: '300ms' } }],
    warmup: '5s',
    phases: [{ name: 'flood', duration: seconds * 1000, workloads: [{ kind: 'comet-tx-flood', rate: 100, maxTxs: 10_000, mode: 'sync' }] }],
    cooldown: '3s',
    budgets: { errorRate: 0, goroutineGrowth: 20 },
  };
}

describe('CometBFT and Tendermint end to end', function () {
  this.timeout(20 * 60_000);

  it('the 4-validator scenario with a validator killed and restarted passes; every validator has its own diff', async () => {
    // 30 s of flood: the faults scale with it (kill at 10 s, restart at 17.5 s), still over 1000 txs committed.
    const result = await runScenario(path.join(repoRoot, 'scenarios/comet-4val-kill.ts'), { reportsDir, durationMs: 30_000 });
    assert.equal(result.exitCode, 0, explain(result));
    assert.deepEqual(result.events.filter((e) => e.kind === 'fault').map((e) => e.detail), ['kill val3', 'restart val3']);
    assert.deepEqual(result.nodes.map((n) => n.name), ['val0', 'val1', 'val2', 'val3']);
    for (const node of result.nodes) {
      assert.equal(node.flavor, 'cometbft');
      assert.ok(node.heap.before.inuseBytes > 0 && node.goroutines.before > 0, node.name);
    }
    assert.equal(result.nodes.find((n) => n.name === 'val3')?.disrupted, true);
    assert.ok(result.budgets.filter((b) => b.node === 'val3').every((b) => b.skipped));
    assert.ok(result.budgets.filter((b) => ['val0', 'val1', 'val2'].includes(b.node)).every((b) => !b.skipped));
    const flood = result.workloads[0]!;
    assert.ok(Number(flood.extra?.committed) > 1000, `committed ${flood.extra?.committed}`);
    assert.deepEqual(processesMatching(result.reportDir), []);
  });

  it('catches the in-memory kvstore under a unique-key flood, with the app store frames on top', async () => {
    const result = await runScenario(kvstoreControl, { reportsDir });
    assert.equal(result.exitCode, 1, explain(result));
    const top = result.nodes[0]!.heap.topGrowth.slice(0, 8).map((g) => g.function);
    assert.ok(top.some((f) => /kvstore|cometbft-db|MemDB|btree/i.test(f)), `app store frames in ${top.join(', ')}`);
  });

  it('the same flood with reused keys passes', async () => {
    const reused: ScenarioInput = {
      ...kvstoreControl,
      name: 'comet-kvstore-reused',
      phases: kvstoreControl.phases.map((p) => ({ ...p, workloads: (p.workloads ?? []).map((w) => ({ ...w, keys: 'reused' as const })) })),
    };
    const result = await runScenario(reused, { reportsDir });
    assert.equal(result.exitCode, 0, explain(result));
  });

  it('a full node joins late through a start fault, syncs, and is sampled; chain figures reach the samples', async () => {
    const scenario: ScenarioInput = {
      name: 'comet-late-joiner',
      nodes: [
        { name: 'val', node: 'cometbft', options: { blockTime: '200ms' } },
        { name: 'full', node: 'cometbft', options: { role: 'full', blockTime: '200ms' }, start: 'fault' },
      ],
      warmup: '3s',
      phases: [{ name: 'join', duration: '15s', workloads: [{ kind: 'comet-tx-flood', rate: 50, maxTxs: 5_000 }], faults: [{ at: '3s', action: 'start', node: 'full' }] }],
      cooldown: '2s',
      budgets: { goroutineGrowth: 50 },
    };
    const result = await runScenario(scenario, { reportsDir });
    assert.equal(result.exitCode, 0, explain(result));
    assert.deepEqual(result.events.filter((e) => e.kind === 'fault').map((e) => e.detail), ['start full']);
    const samples = readFileSync(path.join(result.reportDir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const full = samples.filter((x) => x.node === 'full');
    const val = samples.filter((x) => x.node === 'val');
    assert.ok(full.length > 0 && full.every((x) => x.t > result.events.find((e) => e.kind === 'fault')!.t), 'the full node is sampled once it runs');
    // It block-syncs what it missed, then follows in consensus (on 2 shared cores, a little behind).
    const heights = full.map((x) => x.chain!.height);
    assert.ok(heights.at(-1)! >= 30 && heights.at(-1)! > heights[0]!, `full node heights ${heights.join(' ')}`);
    assert.ok(val.length > 0 && val.every((x) => x.chain!.height > 0));
    assert.equal(full.at(-1)!.chain!.peers, 1);
    assert.ok(result.budgets.filter((b) => b.node === 'full').every((b) => b.skipped));
    assert.ok(result.budgets.filter((b) => b.node === 'val').every((b) => !b.skipped && b.pass));
  });

  it('a validator that dies on its own is exit 3 with its log tail', async () => {
    const run = runScenario(singleFlood('cometbft', 60), { reportsDir });
    let pid: number | undefined;
    for (let i = 0; i < 600 && !pid; i++) {
      await sleep(100);
      pid = processesMatching(reportsDir, 'single-cometbft', 'start --home').at(0);
    }
    assert.ok(pid, 'cometbft started');
    await sleep(3000);
    process.kill(pid, 'SIGKILL');
    const result = await run;
    assert.equal(result.exitCode, 3, explain(result));
    assert.match(result.error!.message, /node \(cometbft v[\d.]+\) died during the run/);
    assert.ok((result.error!.detail ?? '').length > 0);
  });

  for (const node of ['tendermint@v0.34.24', 'cometbft@v1.0.1']) {
    it(`a ${node} node runs the single-node flood end to end`, async () => {
      const result = await runScenario(singleFlood(node), { reportsDir });
      assert.equal(result.exitCode, 0, explain(result));
      assert.equal(result.nodes[0]!.version, node.split('@')[1]);
      assert.ok(result.workloads[0]!.accepted > 1000);
    });
  }
});
