// simd with its app out of process, on real processes: the app (`simd start --with-comet=false`) and
// CometBFT v0.38.11 (`cometbft start --proxy_app`) as two nodes of the run. Each test reads what the
// processes and the run recorded (sockets, samples, events, the exit records), so a cut that did nothing,
// or a slow link that slowed nothing, fails it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunResult, type ScenarioInput } from '../../harness/index.ts';
import { fetchBytes } from '../../harness/probes/http.ts';
import type { Sample } from '../../harness/result/types.ts';
import { listeningAddresses, processesMatching, repoRoot } from '../helpers.ts';
import { cometHeight, waitForHeight } from '../support/comet.ts';
import { startTestNetwork, type TestNetwork } from '../support/network.ts';

const pair = (blockTime = '300ms', node = 'simd') => [
  { name: 'app', node, options: { abci: 'app', blockTime } },
  { name: 'comet', node, options: { abci: { app: 'app' }, blockTime } },
];

/** A short run of the pair with one fault on it. */
function cutScenario(name: string, fault: Record<string, unknown>): ScenarioInput {
  return {
    name,
    nodes: pair(),
    warmup: '3s',
    sampleInterval: '1s',
    phases: [{ name: 'cut', duration: '14s', faults: [{ at: '6s', ...fault } as never] }],
    cooldown: '1s',
    budgets: { goroutineGrowth: 200 },
  };
}

function heightSamples(r: RunResult, node: string): Sample[] {
  return readFileSync(path.join(r.reportDir, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Sample)
    .filter((s) => s.node === node && s.trigger === 'interval' && s.chain?.height !== undefined);
}

/** Seconds per block between two run times (ms), from a node's height samples. */
function blockInterval(samples: Sample[], from: number, to: number): number {
  const inside = samples.filter((s) => s.t >= from && s.t <= to);
  const [a, b] = [inside[0]!, inside[inside.length - 1]!];
  return (b.t - a.t) / 1000 / (b.chain!.height! - a.chain!.height!);
}

describe('the ABCI link of an out-of-process simd (real processes)', function () {
  this.timeout(300_000);
  let reportsDir = '';

  before(async () => {
    reportsDir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-abci-'));
  });
  after(async () => {
    await rm(reportsDir, { recursive: true, force: true });
  });
  afterEach(() => {
    assert.deepEqual(processesMatching(reportsDir), [], 'no process of the run is left behind');
  });

  // Each SDK line's pair runs the CometBFT its simd binary was built with.
  for (const [line, cometbft] of [['v0.50', 'v0.38.11'], ['v0.53', 'v0.38.17']] as const) {
    describe(`a pair on its own: simd@${line}`, () => {
      let net: TestNetwork;
      before(async () => {
        net = await startTestNetwork(pair('300ms', `simd@${line}`).map((d) => ({ ...d, readyTimeoutMs: 90_000 })));
      });
      after(async () => net?.stop());

      it(`makes blocks with CometBFT ${cometbft} in front of the app, both profiled, both only on 127.0.0.1`, async () => {
        const [app, comet] = net.nodes as [TestNetwork['nodes'][number], TestNetwork['nodes'][number]];
        const start = await cometHeight(comet);
        assert.ok((await waitForHeight(comet, start + 3, 30_000)) >= start + 3);

        const args = spawnSync('ps', ['-o', 'args=', '-p', String(comet.pid())], { encoding: 'utf8' }).stdout;
        assert.ok(args.includes(`nodes/cometbft/${cometbft}/cometbft start --home `), args);
        assert.match(args, /--proxy_app tcp:\/\/127\.0\.0\.1:\d+/);
        const appArgs = spawnSync('ps', ['-o', 'args=', '-p', String(app.pid())], { encoding: 'utf8' }).stdout;
        assert.match(appArgs, /simd start .*--with-comet=false --transport socket --address tcp:\/\/127\.0\.0\.1:\d+/);

        for (const node of [app, comet]) {
          const addresses = listeningAddresses(node.pid()!);
          assert.ok(addresses.length >= 4, `${node.name} listens: ${addresses.join(' ')}`);
          for (const a of addresses) assert.match(a, /^127\.0\.0\.1:\d+$/, `${node.name}: ${addresses.join(' ')}`);
          const heap = await fetchBytes(`${node.endpoints.pprof}/debug/pprof/heap`, 10_000);
          assert.equal(heap[0], 0x1f, `${node.name}: a gzipped heap profile`);
        }
        // The app serves ABCI and the SDK's REST; CometBFT holds the chain's RPC.
        assert.ok(listeningAddresses(app.pid()!).includes(app.endpoints.abci!));
        assert.equal(app.endpoints.rpc, undefined);
        const supply = JSON.parse((await fetchBytes(`${app.endpoints.rest}/cosmos/bank/v1beta1/supply`, 10_000)).toString('utf8')) as { supply: Array<{ denom: string }> };
        assert.equal(supply.supply[0]?.denom, 'stake');
        // CometBFT's connections to the app's ABCI port (consensus, mempool, query, snapshot).
        const established = spawnSync('ss', ['-Htnp', 'state', 'established', 'dst', app.endpoints.abci!], { encoding: 'utf8' }).stdout;
        assert.equal(established.split('\n').filter((l) => l.includes(`pid=${comet.pid()},`)).length, 4, established);
      });
    });
  }

  it("cutting the ABCI link (Toxiproxy reset) with expect: CometBFT exits, reported as expected, with both sides' last figures (exit 0)", async () => {
    const r = await runScenario(cutScenario('abci-reset', { action: 'reset_peer', link: { node: 'app', of: 'abci' }, expect: { nodeExits: ['comet'] } }), { reportsDir });
    assert.equal(r.exitCode, 0, r.error?.message);
    const [exit] = r.expectedExits!.exits;
    assert.equal(exit!.node, 'comet');
    assert.equal(exit!.exited, true);
    const after = (exit!.exitAt! - exit!.faultAt) / 1000;
    console.log(`      comet exited ${after.toFixed(1)} s after the reset (${exit!.signal ?? `exit code ${exit!.code}`})`);
    assert.ok(after < 10, `CometBFT noticed the cut within 10 s (${after} s)`);
    assert.equal(r.budgets.find((b) => b.name === 'expected exit')?.pass, true);
    // The app lives on and is judged; CometBFT, gone, is not.
    assert.equal(r.budgets.find((b) => b.node === 'app' && b.name === 'goroutine growth')?.skipped, undefined);
    assert.equal(r.budgets.find((b) => b.node === 'comet' && b.name === 'goroutine growth')?.skipped, true);
    const figures = new Map(r.expectedExits!.figures.map((f) => [f.node, f]));
    assert.deepEqual(figures.get('app')!.state, { running: true });
    assert.equal(figures.get('comet')!.state.running, false);
    for (const f of figures.values()) {
      assert.ok(f.lastSample && f.lastSample.heapInuse > 0, `${f.node}: a last sample`);
      assert.ok(f.lastProfile, `${f.node}: a last profile`);
    }
    assert.ok(figures.get('comet')!.lastSample!.t <= exit!.exitAt!, "comet's last sample is from before it went");
    // The HTML report says the same as the console.
    assert.match(readFileSync(path.join(r.reportDir, 'report.html'), 'utf8'), /<section id="expected-exits">.*<li>comet: exited at [\d.]+ s \(exit code \d+\); last sample at/s);
  });

  it('killing the app with expect: CometBFT exits; both sides are down, the expected exit is what is judged (exit 0)', async () => {
    const r = await runScenario(cutScenario('abci-kill-app', { action: 'kill', node: 'app', expect: { nodeExits: ['comet'] } }), { reportsDir });
    assert.equal(r.exitCode, 0, r.error?.message);
    const [exit] = r.expectedExits!.exits;
    assert.equal(exit!.exited, true, JSON.stringify(r.expectedExits));
    console.log(`      comet exited ${((exit!.exitAt! - exit!.faultAt) / 1000).toFixed(1)} s after the app was killed`);
    assert.ok(exit!.exitAt! - exit!.faultAt < 10_000);
    assert.deepEqual(r.expectedExits!.figures.find((f) => f.node === 'app')!.state, { running: false });
    assert.ok(r.budgets.filter((b) => b.name !== 'expected exit').every((b) => b.skipped), 'neither side has an after snapshot');
  });

  it('the same cut without expect is the unexpected exit it always was (exit 3)', async () => {
    const r = await runScenario(cutScenario('abci-reset-unexpected', { action: 'reset_peer', link: { node: 'app', of: 'abci' } }), { reportsDir });
    assert.equal(r.exitCode, 3);
    assert.match(r.error!.message, /^comet \(simd v0\.50\) died during the run/);
    assert.equal(r.expectedExits, undefined);
  });

  it('50 ms of latency each way on the ABCI link shows in the block interval', async () => {
    const r = await runScenario(path.join(repoRoot, 'scenarios', 'simd-abci-slow-link.ts'), { reportsDir, durationMs: 40_000 });
    assert.equal(r.exitCode, 0, r.error?.message);
    const faults = r.events.filter((e) => e.kind === 'fault');
    assert.match(faults[0]!.detail!, /^latency on the abci links of app \(1 proxies\)/);
    const samples = heightSamples(r, 'comet');
    const calm = blockInterval(samples, faults[0]!.t - 10_000, faults[0]!.t - 500);
    const slow = blockInterval(samples, faults[0]!.t + 2_000, faults[1]!.t);
    console.log(`      seconds per block: clean link ${calm.toFixed(2)}, 50 ms each way ${slow.toFixed(2)}`);
    assert.ok(slow > 1.5 * calm, `blocks slower on the slow link: ${calm.toFixed(2)} -> ${slow.toFixed(2)} s`);
    // Both sides were profiled and judged.
    assert.deepEqual(r.nodes.map((n) => n.name).sort(), ['app', 'comet']);
    for (const n of r.nodes) assert.ok(n.heap.after.inuseBytes > 0 && n.profiles.heapAfter, n.name);
  });
});
