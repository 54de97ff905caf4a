// The noise band and verdict on crafted figures: edge cases a real run rarely produces.
import assert from 'node:assert/strict';
import type { Figure } from '../../harness/compare/figures.ts';
import { compareRuns, judge, MEDIAN_FROM, noiseFloor, regressions, sideStats } from '../../harness/compare/noise.ts';

const MB = 1024 * 1024;
const heap = { metric: 'heapInuseGrowth', worseWhen: 'higher' } as const;
const rate = { metric: 'acceptedRate', worseWhen: 'lower' } as const;

function figure(key: string, value: number, extra: Partial<Figure> = {}): Figure {
  const [node, metric] = key.split('.') as [string, Figure['metric']];
  return { key, label: metric, ...(node === '*' ? {} : { node }), metric, value, unit: 'bytes', worseWhen: 'higher', gating: true, ...extra };
}

describe('noise band and verdicts', () => {
  it('one run a side: the floor alone decides (no spread to estimate noise from)', () => {
    const same = judge([3 * MB], [4.5 * MB], heap);
    assert.equal(same.statistical, 0);
    assert.equal(same.band, 2 * MB);
    assert.equal(same.verdict, 'same');
    assert.equal(judge([3 * MB], [5.5 * MB], heap).verdict, 'regressed');
    assert.equal(judge([3 * MB], [0.5 * MB], heap).verdict, 'improved');
  });

  it('zero spread on both sides: the floor decides, and identical samples are the same', () => {
    const zero = judge([0, 0, 0], [0, 0, 0], { metric: 'goroutineGrowth', worseWhen: 'higher' });
    assert.equal(zero.statistical, 0);
    assert.equal(zero.band, 3);
    assert.equal(zero.verdict, 'same');
    assert.equal(judge([0, 0, 0], [4, 4, 4], { metric: 'goroutineGrowth', worseWhen: 'higher' }).verdict, 'regressed');
  });

  it('the floor scales with the base value and with the level the growth started from', () => {
    assert.equal(noiseFloor('heapInuseGrowth', 100 * MB), 10 * MB);
    assert.equal(noiseFloor('heapInuseGrowth', 1 * MB, 400 * MB), 40 * MB);
    assert.equal(noiseFloor('heapInuseGrowth', -100 * MB), 10 * MB, 'a shrinking base scales the floor too');
    assert.equal(noiseFloor('p95Latency', 200), 40);
    assert.equal(noiseFloor('p95Latency', 3), 25);
  });

  it('a difference inside the spread is noise even when it is far beyond the floor', () => {
    const noisy = judge([10 * MB, 40 * MB, 25 * MB], [50 * MB, 20 * MB, 35 * MB], heap);
    assert.ok(noisy.statistical > noisy.floor);
    assert.equal(noisy.verdict, 'same');
    const clear = judge([10 * MB, 11 * MB, 12 * MB], [60 * MB, 61 * MB, 62 * MB], heap);
    assert.equal(clear.verdict, 'regressed');
    assert.equal(clear.difference, 50 * MB);
  });

  it('the band narrows with more runs', () => {
    const a = [3, 5, 4].map((v) => v * MB);
    const b = [4, 6, 5].map((v) => v * MB);
    const few = judge(a, b, heap);
    const many = judge([...a, ...a, ...a], [...b, ...b, ...b], heap);
    assert.ok(many.statistical < few.statistical * 0.8, `${many.statistical} vs ${few.statistical}`);
  });

  it('worse when lower: a rate that drops regressed, one that rises improved', () => {
    assert.equal(judge([100, 101, 99], [70, 71, 69], rate).verdict, 'regressed');
    assert.equal(judge([100, 101, 99], [130, 131, 129], rate).verdict, 'improved');
    assert.equal(judge([100, 101, 99], [95, 96, 94], rate).verdict, 'same', 'within 10%');
  });

  it('from MEDIAN_FROM runs on, the centre is the median and one wild run does not move it', () => {
    const base = [3, 4, 5, 4, 3].map((v) => v * MB);
    const withOutlier = [3, 4, 5, 4, 90].map((v) => v * MB);
    assert.equal(base.length, MEDIAN_FROM);
    const stats = sideStats(withOutlier);
    assert.equal(stats.center, 4 * MB);
    assert.ok(stats.spread < 2 * MB);
    assert.equal(judge(base, withOutlier, heap).verdict, 'same');
  });

  it('one run against a history gets a prediction interval from the history spread', () => {
    const history = [10, 12, 11, 13, 9].map((v) => v * MB);
    assert.equal(judge(history, [12.5 * MB], heap).verdict, 'same');
    assert.equal(judge(history, [40 * MB], heap).verdict, 'regressed');
    const wide = judge(history, [12 * MB], heap);
    const narrow = judge(history, history, heap);
    assert.ok(wide.statistical > narrow.statistical, 'a single run is less certain than five');
  });

  it('two single runs with their own intervals (trend slopes) use them', () => {
    const slope = { metric: 'heapSlopePer1kOps', worseWhen: 'higher' } as const;
    const tight = judge([0], [2 * MB], slope, { within: { base: 0.1 * MB, candidate: 0.1 * MB } });
    assert.equal(tight.verdict, 'regressed');
    const loose = judge([0], [2 * MB], slope, { within: { base: 3 * MB, candidate: 3 * MB } });
    assert.equal(loose.verdict, 'same');
  });

  it('a figure on one side only is missing, and missing never counts as a regression', () => {
    const result = compareRuns([[figure('geth.heapInuseGrowth', 1 * MB)]], [[figure('geth.heapInuseGrowth', 1 * MB), figure('geth.heapTrend', 3, { unit: 'verdict' })]]);
    assert.deepEqual(result.map((c) => [c.key, c.verdict]), [['geth.heapInuseGrowth', 'same'], ['geth.heapTrend', 'missing']]);
    assert.deepEqual(regressions(result), []);
  });

  it('compareRuns keeps the figure metadata and pairs figures by key across runs', () => {
    const runs = (values: number[]) => values.map((v) => [figure('a.heapInuseGrowth', v * MB), figure('b.heapInuseGrowth', 1 * MB)]);
    const [a, b] = compareRuns(runs([1, 2, 1.5]), runs([30, 31, 29]));
    assert.equal(a!.key, 'a.heapInuseGrowth');
    assert.equal(a!.node, 'a');
    assert.deepEqual(a!.base.values, [1, 2, 1.5].map((v) => v * MB));
    assert.equal(a!.verdict, 'regressed');
    assert.equal(b!.verdict, 'same');
    assert.deepEqual(regressions([a!, b!]).map((c) => c.key), ['a.heapInuseGrowth']);
    assert.equal(regressions([{ ...a!, gating: false }]).length, 0, 'a non-gating figure never fails');
  });
});
