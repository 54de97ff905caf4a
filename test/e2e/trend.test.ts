// The trend verdict on real nodes: a cache that fills to its bound is 'bounded', a small steady leak is
// 'leak'. The per-cycle points are real forced-GC heap profiles whose totals `go tool pprof` agrees with.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario } from 'chainsoak';
import smallLeak from '../scenarios/fixture-small-leak.ts';
import txpoolCap from '../scenarios/geth-txpool-cap.ts';
import { pprofTop } from '../support/pprof.ts';
import { jsonShape } from '../support/shape.ts';

/**
 * Fields this version adds to summary.json; everything else keeps the shape it had before. fixture-ops runs on
 * the shared executor (issue #10), whose figures every workload on it reports: executor, clients, peakInFlight.
 */
const NEW_FIELDS = [/^\$\.workloads\[\]\.extra\.(executor|clients|peakInFlight)$/, /^\$\.nodes\[\]\.trend\.\w+\.(projection|attribution|advice)\b/, /^\$\.budgets\[\]\.warning$/, /^\$\.nodes\[\]\.growthLinks\b/, /^\$\.nodes\[\]\.build\b/];

/** Optional fields only some runs have: the generator's keep-alive connections may or may not make a goroutine finding. */
const DATA_DEPENDENT = [/^\$\.nodes\[\]\.patterns\[\]\.heapBytes$/, /^\$\.nodes\[\]\.patterns\[\]\.suspects\[\]\.blockedIn$/];

function assertSameShape(summary: unknown): void {
  const before = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/summary-shape/fixture-small-leak.before-12.json'), 'utf8')) as Record<string, string[]>;
  const now = jsonShape(summary);
  for (const [at, types] of Object.entries(before)) {
    const seen = now.get(at);
    if (!seen && DATA_DEPENDENT.some((re) => re.test(at))) continue;
    assert.ok(seen, `summary.json lost ${at}`);
    // null is a value some runs have and others not (an RSS that could not be read); types must agree otherwise.
    const strip = (xs: Iterable<string>) => [...xs].filter((t) => t !== 'null').sort().join('|');
    if (strip(types) && strip(seen)) assert.equal(strip(seen), strip(types), `${at} changed type`);
  }
  const added = [...now.keys()].filter((k) => !(k in before) && !NEW_FIELDS.some((re) => re.test(k)));
  assert.deepEqual(added, [], 'fields summary.json gained besides the new ones');
}

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-trend-'));

describe('trend verdict on real nodes', function () {
  this.timeout(10 * 60_000);

  it("geth's transaction pool filled to its cap is judged bounded, not a leak", async () => {
    const summary = await runScenario(txpoolCap, { reportsDir });
    assert.equal(summary.error, null, summary.error?.message);
    const [node] = summary.nodes;
    assert.ok(node?.trend, 'trend fitted');
    const { points, heapAlloc, goroutines } = node.trend;
    assert.equal(points.length, 9, 'before + 8 cycles');
    assert.deepEqual(points.map((p) => p.cycle), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // The pool really filled and then refused: sent keeps rising, the pool stays at its caps.
    const flood = summary.workloads[0]!;
    assert.ok(flood.accepted >= 4096 && flood.accepted <= 4096 + 1024 + 64, `accepted ${flood.accepted}`);
    assert.ok(flood.failed > 2 * flood.accepted, `refused ${flood.failed}`);
    assert.ok(points.at(-1)!.ops > points[3]!.ops, 'operations counted through the plateau');
    // The verdict: grew, then levelled off.
    assert.equal(heapAlloc.verdict, 'bounded', heapAlloc.message);
    assert.ok(heapAlloc.growth > 2 << 20, `grew ${heapAlloc.growth} bytes`);
    assert.ok(heapAlloc.tailSlopeCI[0] <= 0, `tail slope interval ${heapAlloc.tailSlopeCI}`);
    assert.notEqual(goroutines.verdict, 'leak', goroutines.message);
    const trendBudgets = summary.budgets.filter((b) => b.name === 'heap trend' || b.name === 'heap growth per 1k ops');
    assert.equal(trendBudgets.length, 2);
    assert.ok(trendBudgets.every((b) => b.pass), JSON.stringify(trendBudgets));
    // Each point is a heap profile on disk whose inuse total is pprof's.
    const last = points.at(-1)!;
    assert.ok(last.profile && existsSync(path.join(summary.reportDir, last.profile)));
    const pprof = pprofTop(summary.reportDir, { sampleIndex: 'inuse_space', bytes: true, cum: false, file: last.profile });
    assert.equal(last.heapInuse, pprof.total);
    // Where the memory is: the flood phase's figures and no memory outside the heap.
    const fill = node.phases.find((p) => p.phase === 'fill');
    assert.ok(fill && fill.numGC > 0 && fill.allocated > 10 << 20, JSON.stringify(fill));
    assert.ok(fill.gcPauseMs !== undefined && fill.gcPauseMs > 0, 'geth reports GC pauses');
    assert.equal(node.outsideHeap.flagged, false, node.outsideHeap.message);
    assert.equal(node.heapSampleRate, 512 * 1024, "Go's default MemProfileRate");
    // Throughput over time follows the flood.
    const rates = summary.throughput;
    assert.ok(rates.length > 10 && rates.at(-1)!.sent === flood.sent, `${rates.length} points, last ${JSON.stringify(rates.at(-1))}`);
  });

  it("the leak fixture's small steady leak is judged a leak, its bounded cache is not", async () => {
    const summary = await runScenario(smallLeak, { reportsDir });
    assert.equal(summary.error, null, summary.error?.message);
    const leaky = summary.nodes.find((n) => n.name === 'leaky')!;
    const cached = summary.nodes.find((n) => n.name === 'cached')!;
    assert.equal(leaky.trend?.heapAlloc.verdict, 'leak', leaky.trend?.heapAlloc.message);
    assert.equal(cached.trend?.heapAlloc.verdict, 'bounded', cached.trend?.heapAlloc.message);
    // The fitted rate matches the leak: 256 value bytes per operation the node received (operations are
    // counted per node), and a map entry costs its value plus a bounded overhead (key, slice header, slot).
    const perOp = leaky.trend!.heapAlloc.tailSlopePer1kOps! / 1000;
    assert.ok(perOp >= 256 && perOp <= 1.6 * 256, `${perOp} bytes per operation for a 256-byte leak`);
    const points = leaky.trend!.points;
    assert.ok(points.at(-1)!.ops > 0 && points.at(-1)!.ops < summary.workloads[0]!.sent, 'operations of this node only');
    assert.ok(leaky.trend!.heapAlloc.growth < 4 << 20, 'a small leak: a few MB over the run');
    assert.equal(leaky.heap.topGrowth[0]?.function, 'main.recordHeight');
    // The run's own pattern table names the leaking function first among the heap findings (keep-alive
    // HTTP connections of the generator may make a goroutine finding, which is listed first); the cache
    // node has no finding naming it.
    const heapFinding = leaky.patterns.find((p) => p.unit === 'bytes');
    assert.equal(heapFinding?.suspects[0]?.function, 'main.recordHeight', JSON.stringify(leaky.patterns));
    assert.deepEqual(cached.patterns.filter((p) => p.suspects.some((x) => x.function === 'main.recordHeight')), []);
    // Budgets: the trend and per-operation budgets fail for the leak and pass for the cache.
    const failed = summary.budgets.filter((b) => !b.pass).map((b) => `${b.node}: ${b.name}`).sort();
    assert.deepEqual(failed, ['leaky: heap growth per 1k ops', 'leaky: heap trend']);
    assert.equal(summary.verdict, 'fail');
    // memProfileRate reached the nodes: their heap profiles are sampled every 8 KB.
    for (const n of summary.nodes) assert.equal(n.heapSampleRate, 8192, n.name);
    // The leak call's evidence: the tail cycles' heap profiles, the site, the bytes pprof shows between them.
    const evidence = leaky.trend!.heapAlloc.attribution!;
    assert.equal(evidence.sites[0]?.function, 'main.recordHeight', JSON.stringify(evidence.sites));
    const pprofTail = pprofTop(summary.reportDir, { sampleIndex: 'inuse_space', bytes: true, cum: true, base: evidence.fromProfile!, file: evidence.toProfile! });
    assert.equal(evidence.sites[0]!.growth, pprofTail.rows.find((r) => r.function === 'main.recordHeight')!.cum);
    // Its projection, per hour and per day, from the same tail slope against time.
    const projection = leaky.trend!.heapAlloc.projection!;
    assert.ok(projection.perDay > 0 && Math.abs(projection.perDay - 24 * projection.perHour) < 1e-6 * projection.perDay);
    assert.match(projection.message, /^\+[\d.]+ [KMG]?B per hour, \+[\d.]+ [KMG]?B per day$/);
    // summary.json on disk is the summary returned (written once, after the verdict), and its shape is the
    // one before this change's new fields (test/fixtures/summary-shape/README.md).
    const onDisk = JSON.parse(readFileSync(path.join(summary.reportDir, 'summary.json'), 'utf8')) as typeof summary;
    assert.deepEqual(onDisk.budgets, summary.budgets);
    assert.equal(onDisk.verdict, summary.verdict);
    assertSameShape(onDisk);
    // The HTML report shows the evidence and draws the steady-state line with its projection.
    const html = readFileSync(path.join(summary.reportDir, 'report.html'), 'utf8');
    assert.match(html, /<h3>Heap trend evidence: leak<\/h3>/);
    assert.match(html, /<td class="fn">main\.recordHeight<\/td>/);
    assert.ok(html.includes(`steady-state line: ${projection.message}`), 'the projection line on the heap chart');
  });
});
