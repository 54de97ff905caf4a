/**
 * Test: read each node's before/after profiles, diff them like `go tool pprof -diff_base`, and check
 * the scenario's budgets against what grew.
 */
import path from 'node:path';
import { diffGoroutines, diffHeap, readProfile } from '../analysis/index.ts';
import type { NodeMeasurement } from '../analysis/budgets.ts';
import type { Snapshot } from '../probes/snapshot.ts';
import type { NodeReport } from '../report/summary.ts';
import type { RunContext } from './context.ts';
import type { NetworkMember } from './network.ts';

const TOP = 15;

export function analyzeNode(run: RunContext, member: NetworkMember, before: Snapshot, after: Snapshot, disrupted: boolean): { report: NodeReport; measurement: NodeMeasurement } {
  const heap = diffHeap(readProfile(before.heapProfile), readProfile(after.heapProfile), { top: TOP });
  const goroutines = diffGoroutines(readProfile(before.goroutineProfile), readProfile(after.goroutineProfile), {
    ignore: run.scenario.goroutineIgnore.map((re) => new RegExp(re)),
    top: TOP,
  });
  const rel = (p: string) => path.relative(run.dir, p);
  const report: NodeReport = {
    name: member.node.name,
    flavor: member.flavor.name,
    version: member.version,
    binary: member.binary,
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
    heapSampleRate: 0,
    phases: [],
    outsideHeap: { flagged: false, heapInuseGrowth: 0, sysGrowth: 0, rssGrowth: null, message: '' },
    patterns: [],
  };
  const measurement: NodeMeasurement = {
    node: member.node.name,
    heapInuseBefore: heap.before.inuseBytes,
    heapInuseAfter: heap.after.inuseBytes,
    goroutinesBefore: goroutines.before,
    goroutinesAfter: goroutines.after,
    rssBefore: before.rssBytes,
    rssAfter: after.rssBytes,
  };
  return { report, measurement };
}
