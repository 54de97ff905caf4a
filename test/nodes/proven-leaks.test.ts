/**
 * provenLeaks on real builds: nodes built by chainsoak's own install code with
 * GOEXPERIMENT=goroutineleakprofile (cached per version + experiment), whose every snapshot takes the
 * goroutine leak profile. The leak fixture's orphaned goroutines must be proven with their stack, its
 * healthy twin and a real release under load must have none, and a node without the option must not be
 * asked for the profile. Runs: ~13 s (fixture), ~23 s (cometbft). Cold builds measured on 2 cores with an
 * empty Go build cache and a warm module cache: the fixture 17 s, cometbft v0.38.26 54 s.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunResult, type ScenarioInput } from 'chainsoak';
import { goroutineGroups, readProfile, readProvenLeaks, type ProvenLeaks } from '../../harness/analysis/index.ts';
import { UsageError } from '../../harness/errors.ts';
import { ensureBinary, GOROUTINE_LEAK_EXPERIMENT, listInstalled } from '../../harness/nodes/install.ts';
import { leakyNode } from '../../harness/nodes/leaky-node.ts';
import { planNetwork } from '../../harness/run/plan.ts';
import { scenarioSchema, type Scenario } from '../../harness/scenario/schema.ts';
import { leakyNodeBinary } from '../support/leaky-node.ts';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-proven-'));
const ORPHAN_STACK = ['runtime.gopark', 'runtime.chanrecv', 'runtime.chanrecv1', 'main.leakOrphanGoroutine'];

const profileOf = (run: RunResult, node: string, label: string) => path.join(run.reportDir, 'profiles', node, `goroutineleak-${label}.pb.gz`);
const provenOf = (run: RunResult, node: string) => readProvenLeaks(profileOf(run, node, 'before'), profileOf(run, node, 'after'));
const frames = (leaks: ProvenLeaks) => JSON.stringify(leaks.stacks.map((s) => ({ count: s.count, stack: s.stack })));

function scenario(input: ScenarioInput): Scenario {
  return { ...scenarioSchema.parse(input), name: input.name ?? 'proven' } as Scenario;
}

describe('provenLeaks: options a node without a chainsoak build cannot have', () => {
  const base = (node: Record<string, unknown>, runtime: 'process' | 'container' | 'external' = 'process') =>
    scenario({ name: 'proven-usage', runtime, nodes: [{ name: 'n', node: 'geth', provenLeaks: true, ...node }], phases: [{ name: 'p', duration: '1s' }], budgets: {} } as ScenarioInput);

  it('a release spec is planned with provenLeaks; without the option, none', () => {
    assert.equal(planNetwork(base({})).nodes[0]!.provenLeaks, true);
    assert.equal(planNetwork(base({ provenLeaks: false })).nodes[0]!.provenLeaks, undefined);
  });

  it('refuses a binary path (the scenario\'s or --node\'s), a user image and the external runtime, in one line each', () => {
    const oneLine = (re: RegExp) => (err: unknown) => err instanceof UsageError && re.test(err.message) && !err.message.includes('\n');
    const bin = process.execPath; // any executable file
    assert.throws(() => planNetwork(base({ node: `geth@${bin}` })), oneLine(/n: provenLeaks needs a node chainsoak builds .*not your own binary/));
    assert.throws(() => planNetwork(base({}), { node: `geth@${bin}` }), oneLine(/not your own binary/));
    assert.throws(() => planNetwork(base({ image: 'ethereum/client-go:v1.17.10' }, 'container')), oneLine(/not the image ethereum\/client-go:v1\.17\.10/));
    assert.throws(() => planNetwork(base({ endpoints: { pprof: 'http://127.0.0.1:6060', http: 'http://127.0.0.1:8545' } }, 'external')), oneLine(/external runtime builds none/));
  });
});

describe('provenLeaks on real builds', function () {
  this.timeout(10 * 60_000);

  it('builds the fixture with the experiment into a cache entry of its own, which nodes list shows', async () => {
    const t0 = Date.now();
    const plain = await leakyNodeBinary();
    const built = await ensureBinary(leakyNode.name, leakyNode.build, leakyNode.defaultVersion, { goExperiment: GOROUTINE_LEAK_EXPERIMENT });
    console.log(`      (fixture builds: ${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    assert.equal(path.basename(path.dirname(built)), `${leakyNode.defaultVersion}+goexperiment.${GOROUTINE_LEAK_EXPERIMENT}`);
    assert.notEqual(built, plain);
    // The Go toolchain itself says which binary has the experiment.
    assert.match(execFileSync('go', ['version', built], { encoding: 'utf8' }), /X:goroutineleakprofile/);
    assert.doesNotMatch(execFileSync('go', ['version', plain], { encoding: 'utf8' }), /X:/);
    const info = JSON.parse(readFileSync(path.join(path.dirname(built), 'build.json'), 'utf8'));
    assert.equal(info.version, leakyNode.defaultVersion);
    assert.match(info.goExperiment, /(^|,)goroutineleakprofile$/);
    const listed = listInstalled().filter((b) => b.flavor === leakyNode.name && b.version === leakyNode.defaultVersion);
    assert.deepEqual(listed.map((b) => [b.path, b.goExperiment]), [[plain, undefined], [built, GOROUTINE_LEAK_EXPERIMENT]]);
  });

  it("proves the fixture's orphan-goroutine leak with its stack; its healthy twin has none; a node without the option is not asked", async () => {
    const ops = { kind: 'fixture-ops', rate: 200, maxOps: 4000 } as const;
    const run = await runScenario(
      {
        name: 'proven-fixture',
        nodes: [
          { name: 'leaky', node: 'leaky-node', provenLeaks: true, options: { leaks: { 'orphan-goroutine': 0.1, goroutine: 0.1 } } },
          { name: 'healthy', node: 'leaky-node', provenLeaks: true, options: { leaks: {} } },
          { name: 'plain', node: 'leaky-node', options: { leaks: { 'orphan-goroutine': 0.1 } } },
        ],
        warmup: '1s',
        phases: [{ name: 'ops', duration: '10s', workloads: [ops] }],
        cooldown: '1s',
        budgets: { errorRate: 0 },
      },
      { reportsDir },
    );
    assert.equal(run.error, null, run.error?.message);

    const leaky = provenOf(run, 'leaky');
    const parked = goroutineGroups(readProfile(path.join(run.reportDir, 'profiles', 'leaky', 'goroutine-after.pb.gz')));
    const inStack = (fn: string) => [...parked.values()].filter((g) => g.stack.includes(fn)).reduce((n, g) => n + g.count, 0);
    // Every orphaned goroutine the goroutine profile holds is proven, on the fixture's stack, and all of
    // them came during the run (the leak needs operations); the global-channel ones are not proven.
    assert.ok(inStack('main.leakOrphanGoroutine') >= 50, `${inStack('main.leakOrphanGoroutine')} orphaned goroutines`);
    assert.deepEqual(leaky.stacks.map((s) => s.stack), [ORPHAN_STACK], frames(leaky));
    assert.equal(leaky.total, inStack('main.leakOrphanGoroutine'));
    assert.equal(leaky.before, 0);
    assert.equal(leaky.newSinceBefore, leaky.total);
    assert.ok(inStack('main.leakGoroutine') > 0, 'the goroutine pattern leaked too, unproven');

    const healthy = provenOf(run, 'healthy');
    assert.equal(healthy.total, 0, frames(healthy));
    assert.equal(healthy.before, 0);

    assert.ok(existsSync(path.join(run.reportDir, 'profiles', 'plain', 'goroutine-after.pb.gz')));
    assert.ok(!existsSync(profileOf(run, 'plain', 'after')), 'a node built without the experiment is not asked for the profile');
  });

  it("cometbft v0.38.26 built with the experiment: under a kvstore flood, nothing new; only main's select {} from the start", async () => {
    const t0 = Date.now();
    const run = await runScenario(
      {
        name: 'proven-comet',
        nodes: [{ name: 'comet', node: 'cometbft@v0.38.26', provenLeaks: true, options: { app: 'kvstore', blockTime: '300ms' } }],
        warmup: '5s',
        phases: [{ name: 'flood', duration: '15s', workloads: [{ kind: 'comet-tx-flood', rate: 100, maxTxs: 10_000, mode: 'sync' }] }],
        cooldown: '2s',
        budgets: { errorRate: 0 },
      },
      { reportsDir },
    );
    console.log(`      (run with any cold build: ${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    assert.equal(run.error, null, run.error?.message);
    assert.ok(run.workloads[0]!.accepted > 500, `accepted ${run.workloads[0]!.accepted}`);
    const comet = provenOf(run, 'comet');
    // `cometbft start` parks its main goroutine in `select {}` for good (signals end the process from
    // another goroutine): blocked forever by construction, so the runtime lists it, from startup on.
    const main = ['runtime.gopark', 'runtime.block', 'github.com/cometbft/cometbft/cmd/cometbft/commands.NewRunNodeCmd.func1'];
    assert.equal(comet.stacks.length, 1, `proven leaked in cometbft: ${frames(comet)}`);
    assert.deepEqual(comet.stacks[0]!.stack.slice(0, 3), main);
    assert.equal(comet.stacks[0]!.entry, 'runtime.main');
    assert.deepEqual([comet.before, comet.total, comet.newSinceBefore], [1, 1, 0]);
  });
});
