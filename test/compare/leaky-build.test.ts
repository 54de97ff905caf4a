// Release gating on ground truth: `chainsoak compare` of a build against itself finds no regression; of
// the same source built with a leak switched on (a map never pruned, 2 KB per operation) finds one, on
// the heap figures.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunSummary } from 'chainsoak';
import type { CompareResult } from '../../harness/compare/compare.ts';
import { buildLeakyNode } from '../../harness/nodes/leaky-node.ts';
import { cli } from '../helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-compare-leaky-'));
const scenario = 'test/compare/leaky-scenario.ts';

async function compare(candidate: string, reports: string): Promise<{ code: number | null; out: string; result: CompareResult }> {
  const r = await cli(['compare', scenario, '--base', 'leaky-node', '--candidate', candidate, '--runs', '2', '--quiet', '--reports', path.join(tmp, reports)]);
  const dir = /^compare: (.*)$/m.exec(r.stdout)?.[1]?.trim();
  assert.ok(dir, r.stdout + r.stderr);
  return { code: r.code, out: r.stdout + r.stderr, result: JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')) as CompareResult };
}

describe('chainsoak compare on the leak fixture', function () {
  this.timeout(6 * 60_000);

  it('a build against itself: no regression', async () => {
    const { code, out, result } = await compare(`leaky-node@${await buildLeakyNode()}`, 'same');
    assert.equal(code, 0, out);
    assert.equal(result.verdict, 'no regression');
    assert.deepEqual(result.regressed, []);
    assert.equal(result.runs.length, 4);
    assert.deepEqual(result.runs.map((r) => r.side), ['base', 'candidate', 'base', 'candidate'], 'alternating');
  });

  it('against the build with a leak switched on: the candidate regressed on the heap', async () => {
    const leaky = await buildLeakyNode({ leaks: { map: '2KB' } });
    const { code, out, result } = await compare(`leaky-node@${leaky}`, 'leak');
    assert.equal(code, 1, out);
    assert.equal(result.verdict, 'candidate regressed');
    assert.ok(result.regressed.includes('fixture.heapInuseGrowth'), `regressed: ${result.regressed.join(', ')}`);
    assert.match(out, /candidate regressed: .*heap/);
    // The difference is the leak, not noise: at least 2 KB for every operation a candidate run sent.
    const heap = result.comparisons.find((c) => c.key === 'fixture.heapInuseGrowth')!;
    const candidateRun = result.runs.find((r) => r.side === 'candidate')!;
    const summary = JSON.parse(readFileSync(path.join(candidateRun.reportDir, 'summary.json'), 'utf8')) as RunSummary;
    const ops = summary.workloads[0]!.sent;
    assert.ok(heap.difference > 2048 * ops * 0.9, `heap growth difference ${heap.difference} for ${ops} operations`);
  });
});
