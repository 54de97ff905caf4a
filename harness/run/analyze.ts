/**
 * Test: read each node's before/after profiles, diff them like `go tool pprof -diff_base`, and check
 * the scenario's budgets against what grew.
 */
import path from 'node:path';
import { diffGoroutines, diffHeap, readProfile } from '../analysis/index.ts';
import type { NodeMeasurement } from '../analysis/budgets.ts';
import { classifyGrowth } from '../analysis/patterns.ts';
import { linkGrowth } from '../analysis/growth-link.ts';
import { readProvenLeaks } from '../analysis/proven-leaks.ts';
import { attributeGrowth, type BoundedFrames } from '../analysis/attribution.ts';
import { fitTrend, judgeHeapTrend, projectToLimit, tailLength, type CachesFilling, type TrendPoint, type TrendProjection } from '../analysis/trend.ts';
import type { Attribution } from '../result/types.ts';
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
  const trend = series.trendPoints.length > 0 ? fitTrends(series.trendPoints, trendContext(run, member, series)) : undefined;
  const goroutineIgnore = run.scenario.goroutineIgnore.map((re) => new RegExp(re));
  const beforeGoroutines = readProfile(before.goroutineProfile);
  const afterGoroutines = readProfile(after.goroutineProfile);
  const outside = outsideHeap(before, after);
  const goroutines = diffGoroutines(beforeGoroutines, afterGoroutines, { ignore: goroutineIgnore, top: TOP });
  const rel = (p: string) => path.relative(run.dir, p);
  // A node built with provenLeaks: what the runtime proved (a disrupted node's 'before' is another process's).
  const leaks = after.goroutineLeakProfile ? readProvenLeaks(disrupted ? undefined : before.goroutineLeakProfile, after.goroutineLeakProfile, { ignore: goroutineIgnore }) : undefined;
  const report: NodeReport = {
    name: member.node.name,
    flavor: member.flavor.name,
    version: member.version,
    binary: member.binary ?? '',
    runtime: run.runtime,
    ...(member.image ? { image: member.image } : {}),
    ...(member.build ? { build: member.build } : {}),
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
      ...(after.goroutineLeakProfile ? [`go tool pprof -traces ${rel(after.goroutineLeakProfile)}`] : []),
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
    ...(leaks ? { provenLeaks: { ...leaks, profiles: { ...(before.goroutineLeakProfile ? { before: rel(before.goroutineLeakProfile) } : {}), after: rel(after.goroutineLeakProfile!) } } } : {}),
    ...(disrupted ? {} : { growthLinks: linkGrowth({ heapBefore: beforeHeap, heapAfter: afterHeap, goroutineBefore: beforeGoroutines, goroutineAfter: afterGoroutines, goroutineIgnore }) }),
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
    ...(leaks ? { provenLeaks: leaks } : {}),
  };
  return { report, measurement };
}

interface TrendContext {
  dir: string;
  limit: TrendProjection['limit'];
  /** The node's memory at the end of the run: its peak RSS (a container's anonymous memory), else Go's Sys. */
  footprint: number | undefined;
  /** The node's own bounded structures (its flavor's). */
  bounded: BoundedFrames;
  /** The flavor's caches of recent blocks, with the chain height when the trend's tail began. */
  filling?: (points: TrendPoint[]) => CachesFilling | undefined;
}

function trendContext(run: RunContext, member: NetworkMember, series: NodeSeries): TrendContext {
  const node = member.node.name;
  const oomLimit = run.scenario.budgets.oomAfter?.limit;
  const memLimit = run.scenario.nodes.find((n) => n.name === node)?.memLimit;
  const limit = oomLimit !== undefined ? { bytes: oomLimit, source: 'oomAfter.limit' as const } : memLimit !== undefined ? { bytes: memLimit, source: 'memLimit' as const } : undefined;
  // One pass, no spread: a day-long soak has more samples than Math.max takes arguments.
  let peakRss: number | undefined;
  let peakSys: number | undefined;
  for (const s of series.samples) {
    if (s.rss !== null) peakRss = Math.max(peakRss ?? 0, s.rss);
    peakSys = Math.max(peakSys ?? 0, s.sys);
  }
  const footprint = peakRss ?? peakSys;
  const caches = member.flavor.fillsUntilBlock?.(member.version);
  const filling = (points: TrendPoint[]): CachesFilling | undefined => {
    const tailStart = points[points.length - tailLength(points.length)]!.t;
    const height = series.samples.filter((s) => s.t <= tailStart && s.chain?.height !== undefined).at(-1)?.chain?.height;
    return caches && height !== undefined ? { ...caches, heightAtTail: height } : undefined;
  };
  return { dir: run.dir, limit, footprint, filling, bounded: member.flavor.boundedFrames?.(member.version) ?? [] };
}

function fitTrends(points: TrendPoint[], ctx: TrendContext): NonNullable<NodeReport['trend']> {
  const bytes = (v: number) => formatBytes(v).replace(/^[+-]/, '');
  const count = (v: number) => (Math.round(v * 10) / 10).toString();
  const rss = points.every((p) => p.rss !== null) ? fitTrend(points, 'rss', bytes) : undefined;
  const floor = fitTrend(points, 'heapAlloc', bytes)!;
  const runMinutes = (points[points.length - 1]!.t - points[0]!.t) / 60_000;
  const heapAlloc = projectToLimit(judgeHeapTrend(floor, floor.verdict === 'leak' ? attributeTail(points, ctx.dir, ctx.bounded) : undefined, runMinutes, ctx.filling?.(points)), ctx.limit, ctx.footprint);
  return {
    points,
    heapAlloc,
    goroutines: fitTrend(points, 'goroutines', count)!,
    ...(rss ? { rss } : {}),
    sys: fitTrend(points, 'sys', bytes)!,
  };
}

/** The tail's heap profiles (the points fitTrend's tail slope is fitted on), attributed. */
function attributeTail(points: TrendPoint[], dir: string, own: BoundedFrames): Attribution | undefined {
  const tail = points.slice(-tailLength(points.length)).filter((p) => p.profile);
  if (tail.length < 3) return undefined;
  const attribution = attributeGrowth(tail.map((p) => ({ cycle: p.cycle, profile: readProfile(path.join(dir, p.profile!)) })), own);
  return { ...attribution, fromProfile: tail[0]!.profile!, toProfile: tail[tail.length - 1]!.profile! };
}
