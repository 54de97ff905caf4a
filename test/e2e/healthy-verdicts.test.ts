// Healthy nodes the old trend verdict failed (issue #12), run as the user ran them: they must end
// without a failed budget. A heap floor that still creeps up is reported as 'rising' (unattributed), as a
// warning with its projection and what would settle it; it is never a 'leak' without sites in the profiles.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type NodeReport, type RunSummary } from 'chainsoak';
import churn from '../scenarios/comet-healthy-churn.ts';
import subs from '../scenarios/comet-healthy-subs.ts';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-healthy-'));

function assertHealthyVerdicts(summary: RunSummary, judged: NodeReport[]): void {
  assert.equal(summary.error, null, summary.error?.message);
  const failed = summary.budgets.filter((b) => !b.pass && !b.skipped);
  assert.deepEqual(failed.map((b) => `${b.node} ${b.name}: ${b.message}`), []);
  assert.equal(summary.exitCode, 0);
  for (const node of judged) {
    const heap = node.trend!.heapAlloc;
    console.log(`      ${node.name} ${node.version}: heap floor ${heap.verdict}: ${heap.message}; ${heap.projection?.message}`);
    assert.notEqual(heap.verdict, 'leak', heap.message);
    assert.ok(heap.projection && Number.isFinite(heap.projection.perDay), 'every trend has its projection');
    const warning = summary.budgets.find((b) => b.node === node.name && b.name === 'heap trend')!.warning;
    if (heap.verdict === 'rising') {
      assert.match(warning ?? '', /^rising, unattributed: [+-][\d.]+ [KMG]?B per hour, [+-][\d.]+ [KMG]?B per day/);
      // CometBFT's caches of recent blocks are bounded by their frames: a site that grew would be a leak's.
      assert.ok(heap.attribution && heap.attribution.sites.length === 0, heap.message);
      assert.ok(heap.advice?.length, 'says what would settle it');
    } else {
      assert.equal(warning, undefined);
    }
  }
}

describe('healthy nodes the old trend verdict failed', function () {
  this.timeout(10 * 60_000);

  it('CometBFT v0.37.18: subscriptions re-opened every 5 s beside a reused-key flood, 150 s in 6 cycles: no failed budget', async () => {
    const summary = await runScenario(subs, { reportsDir, node: 'cometbft@v0.37.18' });
    assert.equal(summary.nodes[0]?.version, 'v0.37.18');
    assertHealthyVerdicts(summary, summary.nodes);
  });

  it('CometBFT v0.38: a full node of a 3-node network beside a churned peer, 150 s in 6 cycles: no failed budget', async () => {
    const summary = await runScenario(churn, { reportsDir });
    const churned = summary.nodes.find((n) => n.name === 'churned');
    assert.ok(!churned || churned.disrupted, 'the churned peer is restarted by the workload: not judged');
    assertHealthyVerdicts(summary, summary.nodes.filter((n) => n.name !== 'churned'));
    const stats = summary.workloads.find((w) => w.kind === 'comet-peer-churn')!;
    assert.ok(Number(stats.extra?.cycles) >= 6, `churn cycles ${stats.extra?.cycles}`);
  });
});
