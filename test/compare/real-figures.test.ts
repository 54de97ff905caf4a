// Figures and verdicts on real runs: a short geth flood run twice through runScenario.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunSummary } from 'chainsoak';
import { runFigures, type Figure } from '../../harness/compare/figures.ts';
import { formatValue } from '../../harness/compare/format.ts';
import { compareRuns, describe as describeComparison, regressions } from '../../harness/compare/noise.ts';
import short from './geth-short.ts';

const MB = 1024 * 1024;
const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-compare-real-'));

describe('compare figures from real geth runs', function () {
  this.timeout(5 * 60_000);
  const summaries: RunSummary[] = [];
  const runs: Figure[][] = [];

  before(async () => {
    for (let i = 0; i < 2; i++) {
      const summary = await runScenario(short, { reportsDir });
      assert.equal(summary.verdict, 'pass', JSON.stringify(summary.error ?? summary.budgets));
      summaries.push(summary);
      runs.push(runFigures(summary));
    }
  });

  it('reads every figure from the summary', () => {
    const [summary] = summaries;
    const figures = runs[0]!;
    assert.deepEqual(figures.map((f) => f.key), ['geth.heapInuseGrowth', 'geth.goroutineGrowth', 'geth.rssGrowth', '*.acceptedRate', '*.errorRate', '*.p95Latency']);
    const byKey = new Map(figures.map((f) => [f.key, f]));
    const node = summary!.nodes[0]!;
    assert.equal(byKey.get('geth.heapInuseGrowth')!.value, node.heap.after.inuseBytes - node.heap.before.inuseBytes);
    assert.equal(byKey.get('geth.heapInuseGrowth')!.level, node.heap.before.inuseBytes);
    assert.equal(byKey.get('geth.goroutineGrowth')!.value, node.goroutines.after - node.goroutines.before);
    assert.equal(byKey.get('geth.rssGrowth')!.value, node.rss.after! - node.rss.before!);
    const [flood] = summary!.workloads;
    assert.ok(Math.abs(byKey.get('*.acceptedRate')!.value - flood!.achievedRate) < 1, `${byKey.get('*.acceptedRate')!.value} vs ${flood!.achievedRate}`);
    assert.equal(byKey.get('*.acceptedRate')!.worseWhen, 'lower');
    assert.equal(byKey.get('*.errorRate')!.value, flood!.failed / flood!.sent);
    assert.equal(byKey.get('*.p95Latency')!.value, flood!.latency!.p95Ms);
    assert.ok(figures.every((f) => f.gating));
  });

  it('the runs compared with themselves: the same on every gating figure', () => {
    const comparisons = compareRuns(runs, runs);
    for (const c of comparisons) process.stdout.write(`      ${describeComparison(c)}\n`);
    assert.equal(comparisons.length, 6);
    assert.deepEqual(comparisons.filter((c) => c.gating && c.verdict !== 'same').map((c) => c.key), []);
  });

  it('one run against the other: the same on heap, goroutines and rates', () => {
    // With one run a side the floors are the whole band. RSS and p95 latency have long tails between
    // identical runs (noise.ts has the numbers), so only the figures well inside their floors are asserted.
    const comparisons = compareRuns([runs[0]!], [runs[1]!]);
    for (const c of comparisons) process.stdout.write(`      ${describeComparison(c)}\n`);
    for (const key of ['geth.heapInuseGrowth', 'geth.goroutineGrowth', '*.acceptedRate', '*.errorRate']) {
      assert.equal(comparisons.find((c) => c.key === key)!.verdict, 'same', key);
    }
  });

  it('a candidate with +50 MB heap growth regressed on that figure, and only on it', () => {
    const leaky = runs.map((figures) => figures.map((f) => (f.key === 'geth.heapInuseGrowth' ? { ...f, value: f.value + 50 * MB } : f)));
    const comparisons = compareRuns(runs, leaky);
    const heap = comparisons.find((c) => c.key === 'geth.heapInuseGrowth')!;
    assert.equal(heap.verdict, 'regressed', `${describeComparison(heap)}`);
    assert.ok(heap.band < 50 * MB, `band ${formatValue(heap.band, 'bytes')}`);
    assert.deepEqual(regressions(comparisons).map((c) => c.key), ['geth.heapInuseGrowth']);
    // And the other way round it is an improvement, not a regression.
    const reverse = compareRuns(leaky, runs);
    assert.equal(reverse.find((c) => c.key === 'geth.heapInuseGrowth')!.verdict, 'improved');
    assert.deepEqual(regressions(reverse), []);
  });
});
