// Faults on a node's network and memory, on real CometBFT and the leak fixture: Toxiproxy link faults on
// the process and the container runtime, a partition and an OOM kill in containers. Each test reads what
// the run recorded (samples.jsonl, events, budgets), so a fault that did nothing fails it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunResult, type ScenarioInput } from '../../harness/index.ts';
import type { Sample } from '../../harness/probes/sampler.ts';
import { dockerStatus } from '../../harness/runtimes/docker/index.ts';
import { repoRoot } from '../helpers.ts';
import { startTestGeth } from '../support/geth.ts';

const scenario = (name: string) => path.join(repoRoot, 'test', 'scenarios', `${name}.ts`);

function samplesOf(r: RunResult, node: string): Sample[] {
  return readFileSync(path.join(r.reportDir, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Sample)
    .filter((s) => s.node === node && s.trigger === 'interval' && s.chain);
}

/** Blocks per second a node saw between two run times (ms), from its height samples. */
function blockRate(samples: Sample[], from: number, to: number): number {
  const inside = samples.filter((s) => s.t >= from && s.t <= to);
  const [a, b] = [inside[0]!, inside[inside.length - 1]!];
  return (b.chain!.height! - a.chain!.height!) / ((b.t - a.t) / 1000);
}

function faultTimes(r: RunResult): { start: number; end: number } {
  const faults = r.events.filter((e) => e.kind === 'fault');
  assert.equal(faults.length, 2, JSON.stringify(r.events));
  return { start: faults[0]!.t, end: faults[1]!.t };
}

describe('network and memory faults (real nodes)', function () {
  this.timeout(400_000);
  let reportsDir = '';
  let docker: Awaited<ReturnType<typeof dockerStatus>>;

  before(async () => {
    reportsDir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-faults-'));
    docker = await dockerStatus();
  });
  after(async () => {
    await rm(reportsDir, { recursive: true, force: true });
  });

  for (const runtime of ['process', 'container'] as const) {
    it(`${runtime} runtime: 200 ms of latency on one validator's peer links slows a 3-validator chain, and only while it lasts`, async function () {
      if (runtime === 'container' && !docker.ok) this.skip();
      const r = await runScenario(scenario('comet-link-latency'), { reportsDir, runtime, durationMs: 36_000 });
      assert.equal(r.exitCode, 0, r.error?.message);
      assert.ok(r.events.some((e) => e.kind === 'links' && /9 link proxies/.test(e.detail ?? '')), 'three pairs both ways and three RPC ports are proxied');
      const { start, end } = faultTimes(r);
      const samples = samplesOf(r, 'val0');
      const calm = blockRate(samples, start - 12_000, start - 1_000);
      const slowed = blockRate(samples, start + 2_000, end - 1_000);
      const healed = blockRate(samples, end + 3_000, end + 12_000);
      console.log(`      ${runtime}: blocks/s calm ${calm.toFixed(2)}, with latency ${slowed.toFixed(2)}, after ${healed.toFixed(2)}`);
      assert.ok(slowed < 0.7 * calm, `latency slowed the chain: ${calm.toFixed(2)} -> ${slowed.toFixed(2)} blocks/s`);
      assert.ok(healed > 0.8 * calm, `the chain is back to speed after the fault: ${healed.toFixed(2)} vs ${calm.toFixed(2)}`);
      // Every request of the flood went through the RPC proxies, and none failed on the way.
      assert.equal(r.workloads[0]!.failed, 0, JSON.stringify(r.workloads[0]!.errors));
    });
  }

  it("process runtime: 'down' on one validator's peer links drops its peers to 0; they come back after", async () => {
    const input: ScenarioInput = {
      name: 'comet-link-down',
      seed: 2,
      nodes: [{ name: 'val', node: 'cometbft', count: 4, options: { app: 'persistent_kvstore', blockTime: '200ms' } }],
      warmup: '5s',
      sampleInterval: '1s',
      phases: [{ name: 'down', duration: '40s', faults: [{ at: '10s', for: '15s', action: 'down', link: { node: 'val3' } }] }],
      cooldown: '1s',
      budgets: { goroutineGrowth: 40 },
    };
    const r = await runScenario(input, { reportsDir });
    assert.equal(r.exitCode, 0, r.error?.message);
    const { start, end } = faultTimes(r);
    const val3 = samplesOf(r, 'val3');
    const during = val3.filter((s) => s.t > start + 3_000 && s.t < end);
    const before = val3.filter((s) => s.t < start);
    const afterHeal = val3.filter((s) => s.t > end + 8_000);
    console.log(`      val3 peers before ${before.at(-1)?.chain?.peers}, during min ${Math.min(...during.map((s) => s.chain!.peers!))}, after ${afterHeal.at(-1)?.chain?.peers}`);
    assert.equal(before.at(-1)?.chain?.peers, 3);
    assert.equal(Math.min(...during.map((s) => s.chain!.peers!)), 0, 'every peer connection of val3 was closed');
    assert.equal(afterHeal.at(-1)?.chain?.peers, 3, 'val3 dials its peers again after the heal');
    // The others keep their quorum (3 of 4) and go on, slower where val3 was to propose (timeout_propose,
    // 3 s); val3 stalls and catches up.
    const val0 = samplesOf(r, 'val0');
    console.log(`      blocks/s while cut off: val0 ${blockRate(val0, start + 3_000, end).toFixed(2)}`);
    assert.ok(blockRate(val0, start + 3_000, end) > 0.3, 'the three others go on');
    assert.ok(blockRate(during, start + 3_000, end) === 0, 'val3 makes no progress while cut off');
    assert.ok(val3.at(-1)!.chain!.height! >= val0.at(-1)!.chain!.height! - 3, 'val3 caught up');
  });

  it('container runtime: a validator partitioned for 20 s stalls while the others go on, then catches up', async function () {
    if (!docker.ok) this.skip();
    const r = await runScenario(scenario('comet-partition'), { reportsDir });
    assert.equal(r.exitCode, 0, r.error?.message);
    const { start, end } = faultTimes(r);
    assert.match(r.events.find((e) => e.kind === 'fault')!.detail!, /partition val3 for 20000 ms/);
    const val3 = samplesOf(r, 'val3');
    const val0 = samplesOf(r, 'val0');
    const stalled = blockRate(val3, start + 3_000, end - 1_000);
    const others = blockRate(val0, start + 3_000, end - 1_000);
    console.log(`      blocks/s during the partition: val0 ${others.toFixed(2)}, val3 ${stalled.toFixed(2)}; heights at the end val0 ${val0.at(-1)!.chain!.height} val3 ${val3.at(-1)!.chain!.height}`);
    assert.ok(others > 0.3, 'the three others keep a quorum (slower where val3 was to propose: timeout_propose)');
    assert.ok(stalled < 0.1, 'val3 makes no progress');
    assert.ok(val3.at(-1)!.chain!.height! >= val0.at(-1)!.chain!.height! - 3, 'val3 caught up after the heal');
    // The harness saw val3 all along: its published ports stay while it is cut off.
    assert.ok(val3.filter((s) => s.t > start && s.t < end).length >= 15, 'val3 was sampled through the partition');
  });

  it("external runtime: latency on the harness's own links to a running node shows in every request's latency", async () => {
    const g = await startTestGeth({ devPeriod: 1 });
    try {
      const { http, ws, pprof } = g.node.endpoints;
      const input: ScenarioInput = {
        name: 'external-client-latency',
        runtime: 'external',
        nodes: [{ name: 'geth', node: 'geth', endpoints: { http: http!, ws: ws!, pprof } }],
        warmup: '2s',
        phases: [
          {
            name: 'flood',
            duration: '15s',
            workloads: [{ kind: 'geth-tx-flood', rate: 20, senders: 5, maxTxs: 1_000 }],
            faults: [{ at: 0, action: 'latency', latency: '150ms', link: { node: 'geth', of: 'clients' } }],
          },
        ],
        cooldown: '1s',
        budgets: { goroutineGrowth: 50 },
      };
      const r = await runScenario(input, { reportsDir });
      assert.equal(r.exitCode, 0, r.error?.message);
      const latency = r.workloads[0]!.latency!;
      console.log(`      external geth through the client proxy: p50 ${latency.p50Ms.toFixed(0)} ms, p95 ${latency.p95Ms.toFixed(0)} ms`);
      assert.ok(latency.p50Ms >= 290, 'each request and its answer were delayed 150 ms');
      assert.ok(r.events.some((e) => e.kind === 'links'));
      // The heap was still read directly: the profiles are there.
      assert.ok(r.nodes[0]!.heap.after.inuseBytes > 0);
    } finally {
      await g.stop();
    }
  });

  it('container runtime: a node over its memory limit is OOM-killed and reported as such (exit 1, noOomKill)', async function () {
    if (!docker.ok) this.skip();
    const r = await runScenario(scenario('fixture-oom'), { reportsDir });
    assert.equal(r.exitCode, 1, r.error?.message);
    const oom = r.budgets.find((b) => b.name === 'no OOM kill' && b.node === 'leaky')!;
    assert.equal(oom.pass, false);
    assert.match(oom.message, /^OOM-killed after \d+s at [\d.]+ MB \(limit 48 MB\)$/);
    assert.equal(r.budgets.find((b) => b.name === 'no OOM kill' && b.node === 'healthy')?.pass, true, 'the healthy node under the same limit was not killed');
    assert.ok(r.events.some((e) => e.kind === 'oom-kill' && e.detail?.startsWith('leaky: OOM-killed')));
    assert.equal(r.error, null, 'an OOM kill is a finding, not an infrastructure error');
  });
});
