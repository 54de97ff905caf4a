/**
 * A snapshot is what chainsoak compares: a heap profile taken after a forced GC (`heap?gc=1`), a
 * goroutine profile, and the runtime figures read right after them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InfraError } from '../errors.ts';
import type { NodeFlavor } from '../nodes/flavor.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { fetchBytes } from './http.ts';
import { readGoroutineCount, readMemStatsFromPprof, type MemStats } from './memstats.ts';

export interface Snapshot {
  label: string;
  takenAt: string;
  heapProfile: string;
  goroutineProfile: string;
  memstats: MemStats;
  goroutines: number;
  rssBytes: number | null;
}

const PROFILE_TIMEOUT_MS = 60_000;

export async function takeSnapshot(node: RunningNode, flavor: NodeFlavor, dir: string, label: string, signal?: AbortSignal): Promise<Snapshot> {
  await mkdir(dir, { recursive: true });
  const base = node.endpoints.pprof;
  try {
    const heap = await fetchBytes(`${base}/debug/pprof/heap?gc=1`, PROFILE_TIMEOUT_MS, signal);
    // Read right after the forced GC: HeapAlloc is then the heap floor (the trend fits it).
    const memstats = await (flavor.readMemStats?.(node.endpoints, signal) ?? readMemStatsFromPprof(node.endpoints, signal));
    const goroutine = await fetchBytes(`${base}/debug/pprof/goroutine`, PROFILE_TIMEOUT_MS, signal);
    const heapProfile = path.join(dir, `heap-${label}.pb.gz`);
    const goroutineProfile = path.join(dir, `goroutine-${label}.pb.gz`);
    await writeFile(heapProfile, heap);
    await writeFile(goroutineProfile, goroutine);
    const goroutines = await readGoroutineCount(node.endpoints, signal);
    return {
      label,
      takenAt: new Date().toISOString(),
      heapProfile,
      goroutineProfile,
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
