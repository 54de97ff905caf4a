// End to end against real geth (the pinned version, built into the cache on first use).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunResult, type ScenarioInput } from 'chainsoak';
import zombies from '../scenarios/geth-ws-zombies.ts';
import { interruptOnceNodeRuns, processesMatching, repoRoot } from '../helpers.ts';
import { defaultGethRun } from '../support/default-geth-run.ts';
import { pprofTop } from '../support/pprof.ts';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-e2e-'));

function noProcessLeft(dir: string): void {
  assert.deepEqual(processesMatching(dir), [], `a process still runs with ${dir} in its command line`);
}

describe('geth end to end', function () {
  this.timeout(15 * 60_000);

  it('the default scenario passes on the pinned geth with a complete report (CLI, exit 0)', async () => {
    // The run the container test compares its container run with (made once, by whichever test comes first).
    const r = await defaultGethRun();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const dir = r.dir!;
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunResult;
    assert.equal(summary.verdict, 'pass');
    assert.equal(summary.exitCode, 0);
    const [node] = summary.nodes;
    assert.ok(node);
    assert.equal(node.flavor, 'geth');
    assert.match(node.version, /^v1\.17\.\d+$/);
    assert.ok(node.heap.before.inuseBytes > 1e6 && node.heap.after.inuseBytes > 1e6);
    assert.ok(node.goroutines.before > 10 && node.goroutines.after > 10);
    for (const p of Object.values(node.profiles)) assert.ok(existsSync(path.join(dir, p)), p);
    // The report's figures are the ones `go tool pprof` prints for the same files.
    const pprof = pprofTop(dir, { sampleIndex: 'inuse_space', bytes: true, cum: false, base: node.profiles.heapBefore, file: node.profiles.heapAfter });
    assert.equal(node.heap.after.inuseBytes - node.heap.before.inuseBytes, pprof.total);
    for (const growth of node.heap.topGrowth) {
      const row = pprof.rows.find((r) => r.function === growth.function);
      assert.ok(row, `${growth.function} in pprof's table`);
      assert.equal(growth.inuseBytes, row.flat, growth.function);
      assert.equal(growth.cumInuseBytes, row.cum, growth.function);
    }
    assert.ok(node.pprofCommands.some((c) => c.startsWith('go tool pprof -top')));
    const budgetNames = summary.budgets.map((b) => b.name).sort();
    assert.deepEqual(budgetNames, ['error rate', 'goroutine growth', 'heap in-use growth', 'p95 latency', 'rss growth']);
    const [flood] = summary.workloads;
    assert.ok(flood && flood.accepted > 1000, `accepted ${flood?.accepted}`);
    assert.equal(flood.failed, 0);
    assert.equal(Number(flood.extra?.included), flood.accepted, 'every accepted transaction was mined');
    const junit = readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    assert.equal((junit.match(/<testcase /g) ?? []).length, summary.budgets.length);
    const samples = readFileSync(path.join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(samples.length > 10, `${samples.length} samples`);
    const phases = new Set(samples.map((s) => s.phase));
    for (const phase of ['warmup', 'flood', 'cooldown']) assert.ok(phases.has(phase), `samples in ${phase}`);
    assert.ok(samples.every((s) => s.heapInuse > 0 && s.goroutines > 0 && s.rss > 0));
    const heights = samples.map((s) => s.chain?.height ?? 0);
    assert.ok(heights.at(-1) > heights[0] + 30, `chain height sampled: ${heights[0]} → ${heights.at(-1)}`);
    noProcessLeft(dir);
  });

  it('catches the positive control: --dev without a datadir under a flood (exit 1, memory database frames)', async () => {
    const result = await runScenario(path.join(repoRoot, 'test/scenarios/geth-memdb-control.ts'), { reportsDir });
    assert.equal(result.exitCode, 1, JSON.stringify(result.budgets) + JSON.stringify(result.error));
    const heapBudget = result.budgets.find((b) => b.name === 'heap in-use growth');
    assert.ok(heapBudget && !heapBudget.pass);
    const top = result.nodes[0]!.heap.topGrowth.slice(0, 10).map((g) => g.function);
    assert.ok(top.some((f) => /ethdb\/memorydb|memorydb\./.test(f)), `memorydb frames in top growth: ${top.join(', ')}`);
    noProcessLeft(result.reportDir);
  });

  it('attributes goroutine growth to websocket clients that stop reading, growing with their number', async () => {
    const growth: number[] = [];
    for (const clients of [10, 40]) {
      const scenario: ScenarioInput = {
        ...zombies,
        // The clients connect at the phase's start and stay held to the 'after' snapshot: 5 s holds them all.
        phases: [{ name: 'zombies', duration: '5s', workloads: [{ kind: 'geth-ws-zombies', clients }] }],
      };
      const result = await runScenario(scenario, { reportsDir });
      assert.equal(result.exitCode, 1, `${clients} zombies should exceed a budget of 10 goroutines: ${JSON.stringify(result.error)}`);
      const { goroutines } = result.nodes[0]!;
      growth.push(goroutines.after - goroutines.before);
      const rpcGrowth = goroutines.topGrowth
        .filter((g) => g.stack.some((f) => /go-ethereum\/rpc\.|gorilla\/websocket/.test(f)))
        .reduce((sum, g) => sum + g.count, 0);
      assert.ok(rpcGrowth >= clients, `rpc/websocket goroutine growth ${rpcGrowth} >= ${clients} clients`);
    }
    // Goroutines per client are a property of geth's websocket server; more clients, proportionally more.
    const [small, large] = growth as [number, number];
    assert.ok(large > small * 2.5, `growth ${small} for 10 clients vs ${large} for 40`);
  });

  it('a node that cannot start is exit 3 with its log tail, and nothing is left behind', async () => {
    const scenario: ScenarioInput = {
      ...zombies,
      nodes: [{ name: 'geth', node: 'geth', options: { extraArgs: ['--no-such-geth-flag'] } }],
    };
    const result = await runScenario(scenario, { reportsDir });
    assert.equal(result.exitCode, 3);
    assert.equal(result.verdict, 'error');
    assert.match(result.error!.message, /geth exited during startup/);
    assert.match(result.error!.detail ?? '', /no-such-geth-flag/);
    noProcessLeft(result.reportDir);
  });

  it('Ctrl-C in the middle of a run stops geth and exits 130', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-sigint-'));
    // Interrupted 3 s after geth is up (a process with the report folder in its arguments).
    const { code, output } = await interruptOnceNodeRuns(['run', 'scenarios/geth-tx-flood.ts', '--reports', dir, '--quiet'], dir, 3000);
    assert.equal(code, 130, output);
    noProcessLeft(dir);
  });
});
