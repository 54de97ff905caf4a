/**
 * Test: read each node's before/after profiles, diff them like `go tool pprof -diff_base`, and check
 * the scenario's budgets against what grew.
 */
import path from 'node:path';
import { diffGoroutines, diffHeap, readProfile } from '../analysis/index.ts';
import type { NodeMeasurement } from '../analysis/budgets.ts';
import { classifyGrowth } from '../analysis/patterns.ts';
import { fitTrend, type TrendPoint } from '../analysis/trend.ts';
import { outsideHeap, phaseFigures } from '../analysis/where.ts';
import type { Sample } from '../probes/sampler.ts';
import type { Snapshot } from '../probes/snapshot.ts';
import { formatBytes } from '../scenario/units.ts';
import type { NodeReport } from '../report/summary.ts';
import type { RunContext } from './context.ts';
import type { NetworkMember } from './network.ts';

const TOP = 15;

export interface NodeSeries {
  /** The node's interval/event samples over the whole run. */
  samples: Sample[];
  /** Forced-GC points after each cycle (with the 'before' snapshot as cycle 0), when phases have cycles. */
  trendPoints: TrendPoint[];
}

export function analyzeNode(run: RunContext, member: NetworkMember, before: Snapshot, after: Snapshot, disrupted: boolean, series: NodeSeries): { report: NodeReport; measurement: NodeMeasurement } {
  const beforeHeap = readProfile(before.heapProfile);
  const afterHeap = readProfile(after.heapProfile);
  const heap = diffHeap(beforeHeap, afterHeap, { top: TOP });
  const trend = series.trendPoints.length > 0 ? fitTrends(series.trendPoints) : undefined;
  const goroutineIgnore = run.scenario.goroutineIgnore.map((re) => new RegExp(re));
  const beforeGoroutines = readProfile(before.goroutineProfile);
  const afterGoroutines = readProfile(after.goroutineProfile);
  const outside = outsideHeap(before, after);
  const goroutines = diffGoroutines(beforeGoroutines, afterGoroutines, { ignore: goroutineIgnore, top: TOP });
  const rel = (p: string) => path.relative(run.dir, p);
  const report: NodeReport = {
    name: member.node.name,
    flavor: member.flavor.name,
    version: member.version,
    binary: member.binary ?? '',
    runtime: run.runtime,
    ...(member.image ? { image: member.image } : {}),
    heap: {
      before: { ...heap.before, memstats: before.memstats },
      after: { ...heap.after, memstats: after.memstats },
      topGrowth: heap.topGrowth,
    },
    goroutines: {
      before: goroutines.before,
      after: goroutines.after,
      topGrowth: goroutines.topGrowth,
    },
    rss: { before: before.rssBytes, after: after.rssBytes },
    profiles: {
      heapBefore: rel(before.heapProfile),
      heapAfter: rel(after.heapProfile),
      goroutineBefore: rel(before.goroutineProfile),
      goroutineAfter: rel(after.goroutineProfile),
    },
    pprofCommands: [
      `go tool pprof -top -sample_index=inuse_space -diff_base ${rel(before.heapProfile)} ${rel(after.heapProfile)}`,
      `go tool pprof -http=127.0.0.1:0 -diff_base ${rel(before.heapProfile)} ${rel(after.heapProfile)}`,
      `go tool pprof -top -diff_base ${rel(before.goroutineProfile)} ${rel(after.goroutineProfile)}`,
      `go tool pprof -traces ${rel(after.goroutineProfile)}`,
    ],
    log: rel(member.node.logPath),
    disrupted,
    // The heap profile's period is runtime.MemProfileRate: one sample per that many allocated bytes.
    heapSampleRate: afterHeap.period,
    phases: phaseFigures(series.samples),
    ...(trend ? { trend } : {}),
    outsideHeap: outside,
    // A disrupted node's two snapshots may come from two processes: their difference is not growth.
    patterns: disrupted
      ? []
      : classifyGrowth({ heapBefore: beforeHeap, heapAfter: afterHeap, goroutineBefore: beforeGoroutines, goroutineAfter: afterGoroutines, outsideHeap: outside, goroutineIgnore }),
  };
  const measurement: NodeMeasurement = {
    node: member.node.name,
    heapInuseBefore: heap.before.inuseBytes,
    heapInuseAfter: heap.after.inuseBytes,
    goroutinesBefore: goroutines.before,
    goroutinesAfter: goroutines.after,
    rssBefore: before.rssBytes,
    rssAfter: after.rssBytes,
    ...(run.runtime === 'external' ? { rssAbsent: 'the RSS of a node on the external runtime cannot be read (it is not a process chainsoak runs)' } : {}),
    ...(trend ? { trend: { heapAlloc: trend.heapAlloc, goroutines: trend.goroutines } } : {}),
  };
  return { report, measurement };
}

function fitTrends(points: TrendPoint[]): NonNullable<NodeReport['trend']> {
  const bytes = (v: number) => formatBytes(v).replace(/^[+-]/, '');
  const count = (v: number) => (Math.round(v * 10) / 10).toString();
  const rss = points.every((p) => p.rss !== null) ? fitTrend(points, 'rss', bytes) : undefined;
  return {
    points,
    heapAlloc: fitTrend(points, 'heapAlloc', bytes)!,
    goroutines: fitTrend(points, 'goroutines', count)!,
    ...(rss ? { rss } : {}),
    sys: fitTrend(points, 'sys', bytes)!,
  };
}
