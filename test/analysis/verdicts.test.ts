// Verdicts with evidence, on cycle profiles captured from real nodes (test/fixtures/trend/README.md):
// a leak fixture's map leak is attributed to its site; a healthy CometBFT v0.37 whose heap floor rose
// with nothing in its profiles is 'rising' (unattributed), a warning; the budgets built on the trend
// (noLeakTrend, maxGrowthPerDay, oomAfter) judge accordingly. Figures are checked against go tool pprof.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { attributeGrowth } from '../../harness/analysis/attribution.ts';
import { BUDGETS } from '../../harness/analysis/budget-table.ts';
import { checkBudgets, verdictOf } from '../../harness/analysis/budgets.ts';
import { readProfile } from '../../harness/analysis/profile.ts';
import { fitLine, fitTrend, judgeHeapTrend, projectToLimit, tailLength, PEAK_PER_LIVE_BYTE, type TrendPoint } from '../../harness/analysis/trend.ts';
import { validateScenario } from '../../harness/scenario/load.ts';
import type { Scenario } from '../../harness/scenario/schema.ts';
import type { TrendFit } from '../../harness/result/types.ts';
import { pprofTop } from '../support/pprof.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/trend');
const bytes = (v: number) => `${Math.round(v)} B`;

function load(name: string) {
  const dir = path.join(FIXTURES, name);
  const { points } = JSON.parse(readFileSync(path.join(dir, 'points.json'), 'utf8')) as { points: TrendPoint[] };
  const tail = points.slice(-tailLength(points.length));
  const attribution = attributeGrowth(tail.map((p) => ({ cycle: p.cycle, profile: readProfile(path.join(dir, p.profile!)) })));
  return { dir, points, tail, attribution };
}

function judged(name: string, limit?: { bytes: number; source: 'memLimit' | 'oomAfter.limit' }, footprint?: number): TrendFit {
  const { points, attribution } = load(name);
  const runMinutes = (points.at(-1)!.t - points[0]!.t) / 60_000;
  return projectToLimit(judgeHeapTrend(fitTrend(points, 'heapAlloc', bytes)!, attribution, runMinutes), limit, footprint);
}

function budgets(input: Record<string, unknown>): Scenario['budgets'] {
  return validateScenario({ nodes: [{ name: 'n', node: 'cometbft', memLimit: '1GB' }], phases: [{ name: 'p', duration: '60s', cycles: 6, workloads: [{ kind: 'comet-tx-flood', rate: 1, maxTxs: 1 }] }], budgets: input }, 'test').budgets;
}

const measurement = (fit: TrendFit) => ({ node: 'n', heapInuseBefore: 0, heapInuseAfter: 0, goroutinesBefore: 0, goroutinesAfter: 0, rssBefore: 0, rssAfter: 0, trend: { heapAlloc: fit, goroutines: fit } });
const heapResult = (b: Scenario['budgets'], fit: TrendFit, name: string) => checkBudgets(b, [measurement(fit)], []).find((r) => r.name === name)!;

describe('verdicts with evidence (real cycle profiles)', () => {
  describe('leak fixture, 256 B per operation into a map (memProfileRate 8192)', () => {
    it('attributes the tail growth to main.recordHeight, with the bytes go tool pprof -diff_base shows', () => {
      const { dir, tail, attribution } = load('fixture-map-leak');
      const [first, last] = [tail[0]!.profile!, tail.at(-1)!.profile!];
      const pprof = pprofTop(dir, { sampleIndex: 'inuse_space', bytes: true, cum: true, base: first, file: last });
      assert.equal(attribution.sites[0]?.function, 'main.recordHeight', JSON.stringify(attribution.sites.map((s) => s.function)));
      assert.equal(attribution.sites[0]!.growth, pprof.rows.find((r) => r.function === 'main.recordHeight')!.cum);
      assert.equal(attribution.profileGrowth, pprof.total, 'the net growth of the tail diff is pprof -diff_base total');
      assert.equal(attribution.rate, 8192);
      assert.ok(attribution.sites[0]!.slopeCI[0] > 0);
    });

    it("is a 'leak' whose message names the site, and fails noLeakTrend", () => {
      const fit = judged('fixture-map-leak');
      assert.equal(fit.verdict, 'leak', fit.message);
      assert.match(fit.message, /main\.recordHeight/);
      const result = heapResult(budgets({ noLeakTrend: true }), fit, 'heap trend');
      assert.equal(result.pass, false);
      assert.equal(result.warning, undefined);
    });

    it('projects the tail slope to days and to the limit, failing oomAfter when the date is too near', () => {
      const { points } = load('fixture-map-leak');
      const tail = points.slice(-tailLength(points.length));
      const perDay = fitLine(tail.map((p) => p.t), tail.map((p) => p.heapAlloc)).slope * 86_400_000;
      const footprint = 64 << 20;
      const fit = judged('fixture-map-leak', { bytes: 1 << 30, source: 'oomAfter.limit' }, footprint);
      assert.ok(Math.abs(fit.projection!.perDay - perDay) < 1e-6 * perDay);
      const days = ((1 << 30) - footprint) / (PEAK_PER_LIVE_BYTE * perDay);
      assert.ok(Math.abs(fit.projection!.daysToLimit! - days) < 1e-9 * days);
      const near = heapResult(budgets({ oomAfter: { limit: '1GB', atLeast: '30d' } }), fit, 'time to OOM');
      assert.equal(near.pass, days >= 30, near.message);
      assert.equal(near.unit, 'days');
      const soon = heapResult(budgets({ oomAfter: { limit: '1GB', atLeast: `${Math.max(1, Math.floor(days * 24) - 1)}h` } }), fit, 'time to OOM');
      assert.equal(soon.pass, true, soon.message);
      const perDayBudget = heapResult(budgets({ maxGrowthPerDay: `${Math.floor(perDay / 2 / 1024)}KB` }), fit, 'heap growth per day');
      assert.equal(perDayBudget.pass, false, perDayBudget.message);
    });
  });

  it("calls no leak while the node's caches of recent blocks are still filling (geth's 256 blocks), and does once they are full", () => {
    const { points, attribution } = load('fixture-map-leak');
    const fit = fitTrend(points, 'heapAlloc', bytes)!;
    const what = "geth's caches of the last 256 blocks and bodies";
    const early = judgeHeapTrend(fit, attribution, 1, { blocks: 256, what, heightAtTail: 90 });
    assert.equal(early.verdict, 'rising', early.message);
    assert.match(early.advice?.join(' ') ?? '', /warm-up past block 256/);
    assert.equal(early.attribution?.sites[0]?.function, 'main.recordHeight', 'the sites are still shown');
    assert.equal(judgeHeapTrend(fit, attribution, 1, { blocks: 256, what, heightAtTail: 300 }).verdict, 'leak');
  });

  describe('healthy CometBFT v0.37.18: subscriptions re-opened beside a reused-key flood (default memProfileRate)', () => {
    it('no site grows beyond sampling noise in the tail profiles', () => {
      const { dir, tail, attribution } = load('cometbft-v0.37-subs');
      assert.deepEqual(attribution.sites, []);
      assert.equal(attribution.rate, 524288);
      const pprof = pprofTop(dir, { sampleIndex: 'inuse_space', bytes: true, cum: false, base: tail[0]!.profile!, file: tail.at(-1)!.profile! });
      assert.equal(attribution.profileGrowth, pprof.total);
    });

    it("is 'rising' (unattributed) with advice, passing noLeakTrend with a warning and failing it when strict", () => {
      const fit = judged('cometbft-v0.37-subs');
      assert.equal(fit.verdict, 'rising', fit.message);
      assert.ok(fit.tailSlopeCI[0] > 0, 'the floor does rise: the old rule called this a leak');
      assert.ok(fit.advice?.some((a) => /lower memProfileRate to \d+/.test(a)), JSON.stringify(fit.advice));
      const lenient = heapResult(budgets({ noLeakTrend: true }), fit, 'heap trend');
      assert.equal(lenient.pass, true);
      assert.match(lenient.warning ?? '', /^rising, unattributed: \+[\d.]+ [KMG]?B per hour/);
      assert.equal(verdictOf([lenient]).verdict, 'pass');
      const strict = heapResult(budgets({ noLeakTrend: 'strict' }), fit, 'heap trend');
      assert.equal(strict.pass, false);
      assert.equal(verdictOf([lenient, strict]).exitCode, 1);
    });

    it('rate budgets judge a rising floor only when strict', () => {
      const fit = judged('cometbft-v0.37-subs');
      const perDay = fit.projection!.perDay;
      const limit = `${Math.floor(perDay / 2 / 1024)}KB`;
      assert.equal(heapResult(budgets({ maxGrowthPerDay: limit }), fit, 'heap growth per day').pass, true);
      assert.ok(heapResult(budgets({ maxGrowthPerDay: limit }), fit, 'heap growth per day').warning);
      assert.equal(heapResult(budgets({ maxGrowthPerDay: limit, noLeakTrend: 'strict' }), fit, 'heap growth per day').pass, false);
    });
  });

  it("a tail that cannot tell up from down, after the floor visibly fell back, is no leak", () => {
    // The shape and figures of the 10-minute CometBFT run: 24.0 MB → 26.6 MB, back to 25.2 MB,
    // ending at 25.8 MB; tail slope about −80 KB per cycle, its 95% interval about −330..+190 KB.
    const mb = [24.0, 24.5, 25.0, 25.5, 26.0, 26.3, 26.6, 25.2, 26.4, 26.2, 25.4, 25.9, 25.8];
    const points = mb.map((v, i) => ({ cycle: i, phase: 'p', t: i * 50_000, ops: i * 500, heapInuse: 0, heapAlloc: v * 2 ** 20, sys: 0, goroutines: 40, rss: null }));
    const whole = fitLine(points.map((p) => p.cycle), points.map((p) => p.heapAlloc));
    assert.ok(whole.ci[0] > 0, 'the whole series rises');
    const fit = fitTrend(points, 'heapAlloc', bytes)!;
    assert.ok(fit.tailSlopeCI[0] <= 0 && fit.tailSlopeCI[1] > 0, 'the tail interval spans zero');
    // What made the old rule say "leak": the tail is neither clearly flatter than the whole nor small.
    assert.ok(fit.tailSlopeCI[1] >= whole.slope && Math.abs(fit.tailSlopePerCycle) * 12 >= 0.02 * 24 * 2 ** 20);
    assert.equal(fit.verdict, 'bounded', fit.message);
  });

  describe('budget fields', () => {
    it("take 'strict', day durations, and say in one line what an oomAfter without a limit lacks", () => {
      assert.equal(budgets({ noLeakTrend: 'strict' }).noLeakTrend, 'strict');
      assert.equal(budgets({ oomAfter: { atLeast: '30d' } }).oomAfter?.atLeast, 30 * 86_400_000);
      assert.throws(
        () => validateScenario({ nodes: [{ name: 'comet', node: 'cometbft' }], phases: [{ name: 'p', duration: '60s', cycles: 6, workloads: [{ kind: 'comet-tx-flood', rate: 1, maxTxs: 1 }] }], budgets: { oomAfter: { atLeast: '30d' } } }, 'x.ts'),
        /budgets\.oomAfter\.limit.*needs a memory limit: set oomAfter\.limit, or memLimit on every node \(comet has none\)/,
      );
      assert.throws(() => budgets({ noLeakTrend: 'strictly' }), /noLeakTrend/);
      assert.throws(() => validateScenario({ nodes: [{ name: 'comet', node: 'cometbft' }], phases: [{ name: 'p', duration: '60s', workloads: [{ kind: 'comet-tx-flood', rate: 1, maxTxs: 1 }] }], budgets: { maxGrowthPerDay: '1GB' } }, 'x.ts'), /maxGrowthPerDay.*needs a trend/);
    });

    it('every budget of the table is documented in docs/budgets.md and named in its results', () => {
      const page = readFileSync(path.resolve(import.meta.dirname, '../../docs/budgets.md'), 'utf8');
      for (const spec of BUDGETS.filter((b) => b.key)) {
        assert.ok(page.includes(`| \`${spec.key}`), `docs/budgets.md's table lacks ${spec.key}`);
        assert.ok(spec.reads && spec.judges, `${spec.key} says what it reads and how it judges`);
      }
    });
  });
});
