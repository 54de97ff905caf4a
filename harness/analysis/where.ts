/**
 * Where the memory is: runtime figures per phase from the samples, and memory growing outside the Go
 * heap (Sys or RSS growing much faster than HeapInuse points at cgo, mmap or the C allocator).
 */
import type { MemStats } from '../probes/memstats.ts';
import type { Sample } from '../probes/sampler.ts';
import type { PhaseFigures } from '../report/summary.ts';
import { formatBytes } from '../scenario/units.ts';

/** Per phase, in the order the phases ran, from one node's samples. */
export function phaseFigures(samples: readonly Sample[]): PhaseFigures[] {
  const byPhase = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = byPhase.get(s.phase) ?? [];
    list.push(s);
    byPhase.set(s.phase, list);
  }
  return [...byPhase].map(([phase, list]) => {
    const first = list[0]!;
    const last = list[list.length - 1]!;
    const figures: PhaseFigures = {
      phase,
      startT: first.t,
      endT: last.t,
      heapInuse: { start: first.heapInuse, end: last.heapInuse, max: max(list, (s) => s.heapInuse) },
      heapAlloc: { start: first.heapAlloc, end: last.heapAlloc, max: max(list, (s) => s.heapAlloc) },
      sys: { start: first.sys, end: last.sys },
      rss: { start: first.rss, end: last.rss },
      goroutines: { start: first.goroutines, end: last.goroutines, max: max(list, (s) => s.goroutines) },
      // Counters restart with the process: a restart inside the phase makes the difference meaningless.
      allocated: Math.max(0, last.totalAlloc - first.totalAlloc),
      numGC: Math.max(0, last.numGC - first.numGC),
    };
    if (first.pauseTotalNs !== undefined && last.pauseTotalNs !== undefined) figures.gcPauseMs = Math.max(0, last.pauseTotalNs - first.pauseTotalNs) / 1e6;
    if (last.gcCpuFraction !== undefined) figures.gcCpuFraction = last.gcCpuFraction;
    const inContainer = list.filter((s) => s.container);
    if (inContainer.length > 0) {
      const [a, b] = [inContainer[0]!.container!, inContainer[inContainer.length - 1]!.container!];
      figures.container = {
        usage: { start: a.usageBytes, end: b.usageBytes, max: max(inContainer, (s) => s.container!.usageBytes) },
        cache: { start: a.cacheBytes ?? null, end: b.cacheBytes ?? null },
      };
    }
    return figures;
  });
}

/** RSS must outgrow the heap by at least this much, and grow twice as much as the heap, to be flagged. */
export const OUTSIDE_HEAP_MIN_BYTES = 16 << 20;

/**
 * Flags RSS growing much faster than HeapInuse: cgo and mmap memory never shows in the Go heap (nor in
 * Sys, which counts only what the Go runtime obtained). Sys alone is not flagged: its growth is mostly
 * heap the runtime keeps reserved (HeapIdle), which is still Go heap.
 */
export function outsideHeap(before: { memstats: MemStats; rssBytes: number | null }, after: { memstats: MemStats; rssBytes: number | null }) {
  const heapInuseGrowth = after.memstats.HeapInuse - before.memstats.HeapInuse;
  const sysGrowth = after.memstats.Sys - before.memstats.Sys;
  const rssGrowth = before.rssBytes !== null && after.rssBytes !== null ? after.rssBytes - before.rssBytes : null;
  const heap = Math.max(0, heapInuseGrowth);
  const flagged = rssGrowth !== null && rssGrowth - heap >= OUTSIDE_HEAP_MIN_BYTES && rssGrowth >= 2 * heap;
  const f = (n: number) => formatBytes(n);
  const figures = `RSS ${rssGrowth === null ? 'unknown' : f(rssGrowth)}, Sys ${f(sysGrowth)}, HeapInuse ${f(heapInuseGrowth)}`;
  const message = flagged ? `${figures}: memory outside the Go heap (cgo, mmap, C allocator)` : `${figures}: no growth outside the Go heap`;
  return { flagged, heapInuseGrowth, sysGrowth, rssGrowth, message };
}

function max(list: readonly Sample[], pick: (s: Sample) => number): number {
  let m = -Infinity;
  for (const s of list) m = Math.max(m, pick(s));
  return m;
}
