// Faults on a timeline (injected, so not infrastructure errors) versus a node that dies on its own (exit 3).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runScenario, type ScenarioInput } from 'chainsoak';
import { processesMatching } from '../helpers.ts';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-faults-'));

const base = (phase: ScenarioInput['phases'][number]): ScenarioInput => ({
  name: 'geth-faults',
  nodes: [{ name: 'geth', node: 'geth' }],
  warmup: '2s',
  phases: [phase],
  cooldown: '1s',
  budgets: { goroutineGrowth: 0, heapInuseGrowth: { bytes: 1 } },
});

/**
 * With a second node no fault touches: a run must judge something (all budgets skipped is exit 3, 'nothing
 * was judged'). Budgets a healthy node passes, so the run's verdict comes from the steady node alone.
 */
const withSteadyNode = (scenario: ScenarioInput): ScenarioInput => ({
  ...scenario,
  nodes: [...scenario.nodes, { name: 'steady', node: 'geth' }],
  budgets: { goroutineGrowth: 50, heapInuseGrowth: { percent: 200 } },
});

describe('faults', function () {
  this.timeout(300_000);

  it('injected restart, pause and resume are events of the run, and the hit node is not judged', async () => {
    const result = await runScenario(
      withSteadyNode(base({
        name: 'chaos',
        duration: '12s',
        workloads: [{ kind: 'geth-ws-zombies', clients: 5 }],
        faults: [
          { at: '2s', action: 'restart', node: 'geth' },
          { at: '7s', action: 'pause', node: 'geth' },
          { at: '8s', action: 'resume', node: 'geth' },
        ],
      })),
      { reportsDir },
    );
    assert.equal(result.exitCode, 0, JSON.stringify(result.error ?? result.budgets));
    const faults = result.events.filter((e) => e.kind === 'fault').map((e) => e.detail);
    assert.deepEqual(faults, ['restart geth', 'pause geth', 'resume geth']);
    const times = result.events.filter((e) => e.kind === 'fault').map((e) => e.t);
    assert.ok(times[1]! - times[0]! >= 4000, 'faults fire at their times, not all at once');
    const hit = result.budgets.filter((b) => b.node === 'geth');
    assert.ok(hit.length > 0 && hit.every((b) => b.skipped), JSON.stringify(result.budgets));
    assert.ok(result.budgets.some((b) => b.node === 'steady' && !b.skipped), 'the steady node is judged');
    assert.equal(result.nodes.find((n) => n.name === 'geth')?.disrupted, true);
    assert.deepEqual(processesMatching(result.reportDir), []);
  });

  it('a node killed by the scenario and left down is not an error; it is just not measured', async () => {
    const result = await runScenario(withSteadyNode(base({ name: 'kill', duration: '4s', faults: [{ at: '1s', action: 'kill', node: 'geth' }] })), { reportsDir });
    assert.equal(result.exitCode, 0, JSON.stringify(result.error));
    assert.deepEqual(result.nodes.map((n) => n.name), ['steady']);
    assert.ok(result.budgets.filter((b) => b.node === 'geth').every((b) => b.skipped));
  });

  it('a run whose only node a fault hit has judged nothing: exit 3, not a pass', async () => {
    const result = await runScenario(base({ name: 'kill-only', duration: '4s', faults: [{ at: '1s', action: 'kill', node: 'geth' }] }), { reportsDir });
    assert.equal(result.exitCode, 3);
    assert.match(result.error!.message, /nothing was judged/);
    assert.ok(result.budgets.length > 0 && result.budgets.every((b) => b.skipped));
  });

  it('a node that dies on its own is exit 3 with its log tail', async () => {
    const run = runScenario(base({ name: 'crash', duration: '60s', workloads: [{ kind: 'geth-ws-zombies', clients: 2 }] }), { reportsDir });
    let pid: number | undefined;
    for (let i = 0; i < 400 && !pid; i++) {
      await sleep(100);
      pid = processesMatching(reportsDir, 'geth-faults', '--dev').find((p) => p > 0);
    }
    assert.ok(pid, 'geth started');
    await sleep(4000);
    process.kill(pid, 'SIGKILL');
    const result = await run;
    assert.equal(result.exitCode, 3);
    assert.match(result.error!.message, /geth \(geth v[\d.]+\) died during the run \(killed by SIGKILL\)/);
    assert.ok((result.error!.detail ?? '').length > 0, 'log tail');
  });

  it('a fault naming a node that does not exist is a scenario error', async () => {
    await assert.rejects(
      runScenario(base({ name: 'typo', duration: '4s', faults: [{ at: '1s', action: 'kill', node: 'gehh' }] }), { reportsDir }),
      /phases\[0\]\.faults\[0\]\.node: no node named "gehh"/,
    );
  });
});
