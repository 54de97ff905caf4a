// Folding load segments: a workload's figures from several segments, through their stats files' JSON,
// must equal one process's figures over all their samples (counts exactly, percentiles at bucket resolution).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { foldSegments } from '../../harness/load/fold-segments.ts';
import { mergeWorkload } from '../../harness/load/merge.ts';
import { statsFileName, statsOf, type SegmentWorkload } from '../../harness/load/stats-file.ts';
import { LatencyHistogram } from '../../harness/workloads/stats.ts';

/** A seeded stream of latencies, long-tailed like request round trips. */
function latencies(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    return 2 + 40 * u ** 4 + (u > 0.99 ? 500 * u : 0);
  });
}

function part(samples: number[], accepted: number, failed: number, extra: Record<string, number | string>): SegmentWorkload {
  const h = new LatencyHistogram();
  for (const ms of samples) h.record(ms);
  return {
    phase: 'flood',
    kind: 'geth-tx-flood',
    sent: accepted + failed,
    accepted,
    failed,
    achievedRate: accepted / 10,
    durationMs: 10_000,
    latency: h.summary(),
    errors: failed ? ['nonce too low'] : [],
    extra,
    // Through JSON, as a stats file carries it.
    histogram: JSON.parse(JSON.stringify(h.toJSON())),
  };
}

describe('load segments: merged figures', () => {
  const a = latencies(1, 5_000);
  const b = latencies(7, 3_000);
  const c = latencies(11, 2_000);

  it('equal those of one histogram fed every sample, and the sums of the counts', () => {
    const merged = mergeWorkload([
      part(a, 4_990, 10, { targetRate: 50, tickMs: 50, cpuMs: 300, cpuMsPer1kAccepted: 60.1, requests: 100, salt: 'x' }),
      part(b, 3_000, 0, { targetRate: 30, tickMs: 40, cpuMs: 100, cpuMsPer1kAccepted: 33.3, requests: 60, salt: 'y' }),
      part(c, 2_000, 0, { targetRate: 20, tickMs: 50, cpuMs: 100, cpuMsPer1kAccepted: 50, requests: 40, salt: 'x' }),
    ]);
    const all = new LatencyHistogram();
    for (const ms of [...a, ...b, ...c]) all.record(ms);
    assert.deepEqual(merged.latency, all.summary());
    for (const p of [1, 50, 90, 99, 99.9]) assert.equal(LatencyHistogram.fromJSON(merged.histogram!).percentile(p), all.percentile(p), `p${p}`);
    assert.equal(merged.sent, 10_000);
    assert.equal(merged.accepted, 9_990);
    assert.equal(merged.failed, 10);
    assert.equal(merged.achievedRate, 999);
    assert.deepEqual(merged.errors, ['nonce too low']);
    assert.equal(merged.extra!.targetRate, 100, 'the rate shares add up to the declared rate');
    assert.equal(merged.extra!.requests, 200);
    assert.equal(merged.extra!.tickMs, 50, 'a setting is not summed');
    assert.equal(merged.extra!.cpuMsPer1kAccepted, Math.round((500 / 9_990) * 1000 * 10) / 10);
    assert.equal(merged.extra!.salt, 'x,y');
  });

  it('a histogram file whose buckets do not add up to its count is refused', () => {
    const h = new LatencyHistogram();
    h.record(5);
    assert.throws(() => LatencyHistogram.fromJSON({ ...h.toJSON(), count: 2 }), /hold 1 samples, its count says 2/);
  });

  it('the judging run folds the files of its scenario, marks a missing segment, and names a file it cannot fold', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-fold-'));
    try {
      const write = (index: number, count: number, scenario: string, w: SegmentWorkload) =>
        writeFileSync(
          path.join(dir, statsFileName(scenario, { index, count })),
          JSON.stringify(statsOf({ index, count }, { scenario, seed: 1, startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), exitCode: 0, error: null, workloads: [w] })),
        );
      write(0, 3, 'flood', part(a, 5_000, 0, {}));
      write(2, 3, 'flood', part(b, 3_000, 0, {}));
      write(1, 3, 'another-scenario', part(c, 2_000, 0, {}));
      writeFileSync(path.join(dir, 'broken.load-stats.json'), '{"format": "chainsoak-load-stats/1"}');
      const t0 = Date.now();
      const folded = await foldSegments({ dir, scenario: 'flood', shape: [{ phase: 'flood', kind: 'geth-tx-flood' }], runStartedAt: Date.now(), waitMs: 1_500, signal: new AbortController().signal });
      assert.ok(Date.now() - t0 >= 1_400, 'it waited for the missing segment');
      assert.deepEqual(folded.report.folded, ['1/3', '3/3']);
      assert.deepEqual(folded.report.missing, ['2/3']);
      assert.equal(folded.workloads[0]!.sent, 8_000);
      assert.equal(folded.report.invalid.length, 1);
      assert.match(folded.report.invalid[0]!.file, /broken/);
      assert.equal(folded.report.parts.length, 2);

      // A run sending segment 2/3 itself completes the set: no wait, its own figures folded in first.
      const own = { segment: { index: 1, count: 3 }, workloads: [part(c, 2_000, 0, {})] };
      const t1 = Date.now();
      const withOwn = await foldSegments({ dir, scenario: 'flood', shape: [{ phase: 'flood', kind: 'geth-tx-flood' }], own, runStartedAt: Date.now(), waitMs: 5_000, signal: new AbortController().signal });
      assert.ok(Date.now() - t1 < 1_000, 'nothing to wait for');
      assert.deepEqual(withOwn.report.folded, ['1/3', '2/3', '3/3']);
      assert.deepEqual(withOwn.report.missing, []);
      assert.equal(withOwn.report.own, '2/3');
      assert.equal(withOwn.workloads[0]!.sent, 10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
