// Event-aligned sampling: right after blocks commit, and at a new peak of peer connections.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunResult } from 'chainsoak';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-sampling-'));
const samplesOf = (r: RunResult) =>
  readFileSync(path.join(r.reportDir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { node: string; trigger: string; t: number; chain?: Record<string, number> });

describe('event-aligned sampling', function () {
  this.timeout(300_000);

  it('samples right after geth blocks, marked as such, beside the interval samples', async () => {
    const result = await runScenario(
      {
        name: 'geth-block-samples',
        nodes: [{ name: 'geth', node: 'geth', options: { devPeriod: 1 } }],
        warmup: '2s',
        phases: [{ name: 'flood', duration: '8s', workloads: [{ kind: 'geth-tx-flood', rate: 20, senders: 4, maxTxs: 1000 }] }],
        cooldown: '1s',
        sampleInterval: '5s',
        sampleOn: ['block'],
        budgets: { errorRate: 0 },
      },
      { reportsDir },
    );
    assert.equal(result.exitCode, 0, JSON.stringify(result.error));
    const samples = samplesOf(result);
    const block = samples.filter((s) => s.trigger === 'block');
    const interval = samples.filter((s) => s.trigger === 'interval');
    // One block a second for ~11 s: about that many block samples, far more than the 5 s interval gives.
    assert.ok(block.length >= 6, `${block.length} block samples`);
    assert.ok(interval.length >= 2 && interval.length < block.length, `${interval.length} interval samples`);
  });

  it('marks the sample where a validator reaches a new peak of peers (a full node joining late)', async () => {
    const result = await runScenario(
      {
        name: 'comet-peer-peak',
        nodes: [
          { name: 'val', node: 'cometbft', count: 2, options: { blockTime: '300ms' } },
          { name: 'full', node: 'cometbft', options: { role: 'full', blockTime: '300ms' }, start: 'fault' },
        ],
        warmup: '3s',
        phases: [{ name: 'join', duration: '10s', faults: [{ at: '2s', action: 'start', node: 'full' }] }],
        cooldown: '1s',
        sampleInterval: '1s',
        sampleOn: ['peer-peak'],
        budgets: { goroutineGrowth: 100 },
      },
      { reportsDir },
    );
    assert.equal(result.exitCode, 0, JSON.stringify(result.error));
    const samples = samplesOf(result);
    const joinedAt = result.events.find((e) => e.kind === 'fault')!.t;
    for (const val of ['val0', 'val1']) {
      const peaks = samples.filter((s) => s.node === val && s.trigger === 'peer-peak');
      assert.ok(peaks.length >= 1, `${val} has a peer-peak sample`);
      assert.ok(peaks.some((s) => s.chain!.peers === 2 && s.t >= joinedAt), `${val} peaked at 2 peers after the join`);
    }
  });
});
