// A simd chain through the CLI, as a user runs it: one validator, a light load (block subscriptions over
// its CometBFT websocket), profiles before and after, a verdict. About 25 s with the binary cached.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunSummary } from 'chainsoak';
import { cli, processesMatching } from '../helpers.ts';

describe('simd end to end through the CLI', function () {
  this.timeout(10 * 60_000);

  it('one validator: profiles captured on both sides of the phase, budgets judged, exit 0', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-simd-e2e-'));
    const file = path.join(dir, 'simd-blocks.ts');
    writeFileSync(
      file,
      `export default {
  name: 'simd-blocks',
  nodes: [{ name: 'simd0', node: 'simd', options: { blockTime: '300ms', accounts: 50 } }],
  warmup: '3s',
  phases: [{ name: 'blocks', duration: '10s', workloads: [{ kind: 'ws-streams', clients: 2, cycles: 4, holdMs: '1s' }] }],
  cooldown: '1s',
  budgets: { goroutineGrowth: 50, heapInuseGrowth: { bytes: '64MB' }, errorRate: 0 },
};
`,
    );
    const reports = path.join(dir, 'reports');
    const r = await cli(['run', file, '--reports', reports, '--json', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const [summary] = JSON.parse(r.stdout) as RunSummary[];
    assert.equal(summary!.verdict, 'pass');
    const node = summary!.nodes[0]!;
    assert.deepEqual([node.name, node.flavor, node.version], ['simd0', 'simd', 'v0.50']);
    assert.ok(node.heap.before.inuseBytes > 1 << 20 && node.heap.after.inuseBytes > 1 << 20, 'heap profiles read');
    assert.ok(node.goroutines.before > 10 && node.goroutines.after > 10, 'goroutine profiles read');
    assert.deepEqual(readdirSync(path.join(summary!.reportDir, 'profiles', 'simd0')).sort(), ['goroutine-after.pb.gz', 'goroutine-before.pb.gz', 'heap-after.pb.gz', 'heap-before.pb.gz']);
    const judged = summary!.budgets.filter((b) => b.node === 'simd0');
    assert.deepEqual(judged.map((b) => [b.name, b.pass]).sort(), [['goroutine growth', true], ['heap in-use growth', true]]);
    // 4 cycles of 2 slots: 8 block subscriptions, each answered by simd's CometBFT.
    assert.equal(summary!.workloads[0]!.accepted, 8);
    assert.ok(existsSync(path.join(summary!.reportDir, 'report.html')));
    assert.deepEqual(processesMatching(summary!.reportDir), [], 'no node left behind');
    rmSync(dir, { recursive: true, force: true }); // kept when an assertion failed, for a look
  });
});
