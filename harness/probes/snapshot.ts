/**
 * A snapshot is what chainsoak compares: a heap profile taken after a forced GC (`heap?gc=1`), a
 * goroutine profile, and the runtime figures read right after them. A node built with
 * GOEXPERIMENT=goroutineleakprofile (`provenLeaks: true`) also gives its goroutine leak profile.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InfraError } from '../errors.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { fetchBytes } from './http.ts';
import { readGoroutineCount, readMemStatsFromPprof, type MemStats } from './memstats.ts';

export interface Snapshot {
  label: string;
  takenAt: string;
  heapProfile: string;
  goroutineProfile: string;
  /** `/debug/pprof/goroutineleak` (goroutines a GC proved can never run again), when the node serves it. */
  goroutineLeakProfile?: string;
  memstats: MemStats;
  goroutines: number;
  rssBytes: number | null;
}

const PROFILE_TIMEOUT_MS = 60_000;

export interface SnapshotOptions {
  /** Also take the goroutine leak profile: only for a node built with the experiment (others answer 404). */
  goroutineLeak?: boolean;
}

export async function takeSnapshot(node: RunningNode, dir: string, label: string, signal?: AbortSignal, options: SnapshotOptions = {}): Promise<Snapshot> {
  await mkdir(dir, { recursive: true });
  const base = node.endpoints.pprof;
  try {
    const heap = await fetchBytes(`${base}/debug/pprof/heap?gc=1`, PROFILE_TIMEOUT_MS, signal);
    // HeapAlloc is the heap floor the trend fits, so it is read right after a forced GC (`heap?gc=1&debug=1`
    // reads MemStats straight after runtime.GC()), after the garbage of serving the profile above is gone.
    // Objects allocated during a GC's concurrent mark survive it, so a busy node on a busy machine can read
    // megabytes high (seen: 54.5 MB of HeapAlloc beside 45.4 MB in use a moment before); of two readings,
    // the lower is the floor.
    const memstats = lowerHeapAlloc(
      await readMemStatsFromPprof(node.endpoints, signal, { gc: true }),
      await readMemStatsFromPprof(node.endpoints, signal, { gc: true }),
    );
    const goroutine = await fetchBytes(`${base}/debug/pprof/goroutine`, PROFILE_TIMEOUT_MS, signal);
    const heapProfile = path.join(dir, `heap-${label}.pb.gz`);
    const goroutineProfile = path.join(dir, `goroutine-${label}.pb.gz`);
    await writeFile(heapProfile, heap);
    await writeFile(goroutineProfile, goroutine);
    const goroutines = await readGoroutineCount(node.endpoints, signal);
    // Last: serving it runs a GC cycle of its own (with leak detection), which must not come between
    // the heap profile and MemStats above.
    let goroutineLeakProfile: string | undefined;
    if (options.goroutineLeak) {
      goroutineLeakProfile = path.join(dir, `goroutineleak-${label}.pb.gz`);
      await writeFile(goroutineLeakProfile, await fetchBytes(`${base}/debug/pprof/goroutineleak`, PROFILE_TIMEOUT_MS, signal));
    }
    return {
      label,
      takenAt: new Date().toISOString(),
      heapProfile,
      goroutineProfile,
      ...(goroutineLeakProfile ? { goroutineLeakProfile } : {}),
      memstats,
      goroutines,
      rssBytes: (await node.rssBytes()) ?? null,
    };
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new InfraError(`${node.name}: cannot take the ${label} profiles from ${base}: ${(error as Error).message}`, {
      detail: node.logTail(),
    });
  }
}

function lowerHeapAlloc(a: MemStats, b: MemStats): MemStats {
  return b.HeapAlloc < a.HeapAlloc ? b : a;
}
