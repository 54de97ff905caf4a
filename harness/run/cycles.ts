/**
 * Workload cycles and the forced-GC sample after each: the points the trend verdict fits. A cycle's
 * sample reuses the snapshot probe (heap?gc=1 profile, goroutine profile, MemStats, RSS), so every point
 * can be opened in `go tool pprof` and diffed against any other.
 */
import path from 'node:path';
import { heapTotals, readProfile } from '../analysis/index.ts';
import type { TrendPoint } from '../analysis/trend.ts';
import { takeSnapshot, type Snapshot } from '../probes/snapshot.ts';
import type { RunContext } from './context.ts';
import type { Network } from './network.ts';

export class TrendRecorder {
  readonly points = new Map<string, TrendPoint[]>();
  /** Cycles sampled so far over the whole run (cycle 0 is the 'before' snapshot). */
  cycle = 0;

  /** Record one node's snapshot as the point of the current cycle. */
  add(run: RunContext, node: string, snapshot: Snapshot, ops: number): void {
    const list = this.points.get(node) ?? [];
    list.push({
      cycle: this.cycle,
      phase: run.phase,
      t: Date.parse(snapshot.takenAt) - run.startedAt,
      ops,
      heapInuse: heapTotals(readProfile(snapshot.heapProfile)).inuseBytes,
      heapAlloc: snapshot.memstats.HeapAlloc,
      sys: snapshot.memstats.Sys,
      goroutines: snapshot.goroutines,
      rss: snapshot.rssBytes,
      profile: path.relative(run.dir, snapshot.heapProfile),
    });
    this.points.set(node, list);
  }

  /** Forced-GC sample of every running node after a cycle. A node down at that moment has no point. */
  async sample(run: RunContext, network: Network, opsOf: (node: string) => number): Promise<void> {
    this.cycle += 1;
    const label = `cycle-${this.cycle}`;
    const snapshots = await snapshotAll(run, network, label);
    network.members.forEach((m, i) => snapshots[i] && this.add(run, m.node.name, snapshots[i], opsOf(m.node.name)));
  }
}

/** Snapshot every running node (heap?gc=1, goroutines, MemStats, RSS, proven leaks where built for them); a node that is down gets null. */
export async function snapshotAll(run: RunContext, network: Network, label: string): Promise<Array<Snapshot | null>> {
  run.event('snapshot', label);
  const snapshot = (m: Network['members'][number]) =>
    takeSnapshot(m.node, path.join(run.dir, 'profiles', m.node.name), label, run.signal, { goroutineLeak: m.provenLeaks === true });
  return Promise.all(network.members.map((m) => (m.node.isRunning() ? snapshot(m) : null)));
}
