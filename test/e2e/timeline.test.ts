// Reproducibility and release: the seed decides the timeline; growth held by clients goes away when they go.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario, validateScenario, type ScenarioInput } from 'chainsoak';
import { planFaults } from '../../harness/faults/timeline.ts';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-timeline-'));

const chaos = (seed: number): ScenarioInput => ({
  name: 'geth-random-faults',
  seed,
  nodes: [{ name: 'geth', node: 'geth' }],
  warmup: '2s',
  phases: [
    {
      name: 'chaos',
      duration: '12s',
      workloads: [{ kind: 'geth-ws-zombies', clients: 3 }],
      faults: [
        { at: { between: ['1s', '5s'] }, action: 'pause', node: 'geth' },
        { at: { between: ['6s', '10s'] }, action: 'resume', node: { oneOf: ['geth'] } },
      ],
    },
  ],
  cooldown: '1s',
  budgets: { goroutineGrowth: 1000 },
});

describe('timeline and release', function () {
  this.timeout(300_000);

  it('random fault times are drawn from the seed: same seed, same plan; another seed, another plan', () => {
    const plan = (seed: number) => {
      const scenario = validateScenario(chaos(seed), 'chaos');
      return planFaults(scenario.phases[0]!.faults, scenario.seed, 'chaos', 1);
    };
    assert.deepEqual(plan(11), plan(11));
    assert.notDeepEqual(plan(11), plan(12));
    for (const f of plan(11)) assert.ok(f.action === 'pause' ? f.at >= 1000 && f.at <= 5000 : f.at >= 6000 && f.at <= 10_000);
  });

  it('the same scenario and seed run twice produce the same event timeline', async () => {
    // Half the declared phase: the fault times drawn from the seed scale with it (a pause at 0.5-2.5 s,
    // a resume at 3-5 s), so the runs check the scaled plan too.
    const first = await runScenario(chaos(21), { reportsDir, durationMs: 6_000 });
    const second = await runScenario(chaos(21), { reportsDir, durationMs: 6_000 });
    // Its only node is paused, so not judged: the run ends as one that judged nothing (exit 3), no other error.
    for (const run of [first, second]) assert.match(run.error?.message ?? '', /^nothing was judged/, JSON.stringify(run.error));
    assert.ok(first.timeline.length >= 2, first.timeline.join('\n'));
    assert.deepEqual(second.timeline, first.timeline);
    const kinds = (r: typeof first) => r.events.map((e) => `${e.kind} ${e.detail ?? ''}`.replace(/ pid \d+/, ''));
    assert.deepEqual(kinds(second), kinds(first));
    // Faults fired at their planned times (within scheduling slack).
    const planned = first.timeline.map((l) => Number(/\+(\d+)ms/.exec(l)![1]));
    const phaseAt = first.events.find((e) => e.kind === 'phase' && e.detail?.startsWith('chaos'))!.t;
    const fired = first.events.filter((e) => e.kind === 'fault').map((e) => e.t - phaseAt);
    fired.forEach((t, i) => assert.ok(Math.abs(t - planned[i]!) < 1500, `fault ${i} at ${t} ms, planned ${planned[i]} ms`));
  });

  it('goroutines held by zombie websocket clients go away once the clients are released', async () => {
    const scenario: ScenarioInput = {
      name: 'geth-zombies-release',
      nodes: [{ name: 'geth', node: 'geth' }],
      warmup: '3s',
      phases: [{ name: 'hold', duration: '6s', workloads: [{ kind: 'geth-ws-zombies', clients: 30 }] }],
      cooldown: '1s',
      afterRelease: '3s',
      budgets: { goroutineGrowth: 10 },
    };
    const result = await runScenario(scenario, { reportsDir });
    const node = result.nodes[0]!;
    assert.equal(result.exitCode, 1, 'held zombies exceed the goroutine budget');
    assert.ok(node.goroutines.after - node.goroutines.before >= 30, `${node.goroutines.before} -> ${node.goroutines.after}`);
    assert.ok(node.released, 'a released snapshot');
    assert.ok(node.released.goroutines <= node.goroutines.before + 5, `released: ${node.released.goroutines}, before: ${node.goroutines.before}`);
  });
});
