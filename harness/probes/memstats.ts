/**
 * Runtime figures sampled through the run. Any Go node with net/http/pprof can answer them:
 * `heap?debug=1` ends with the runtime.MemStats block and `goroutine?debug=1` starts with the total.
 * Flavors with a cheaper source (geth's debug_memStats RPC, CometBFT's Prometheus) override readMemStats.
 */
import type { NodeEndpoints } from '../nodes/flavor.ts';
import { fetchBytes, fetchFirstLine } from './http.ts';
import type { MemStats } from '../result/types.ts';
export type { MemStats } from '../result/types.ts';

const MEMSTATS_KEYS = ['HeapInuse', 'HeapAlloc', 'Sys', 'NumGC', 'TotalAlloc', 'HeapObjects'] as const;

/** Parse the "# runtime.MemStats" block that `heap?debug=1` appends. */
export function parseMemStatsText(text: string): MemStats {
  const stats: Partial<MemStats> = {};
  for (const key of MEMSTATS_KEYS) {
    const match = new RegExp(`^# ${key} = (\\d+)$`, 'm').exec(text);
    if (!match) throw new Error(`heap?debug=1 output has no ${key}`);
    stats[key] = Number(match[1]);
  }
  const fraction = /^# GCCPUFraction = ([0-9.eE+-]+)$/m.exec(text);
  if (fraction) stats.GCCPUFraction = Number(fraction[1]);
  return stats as MemStats;
}

export async function readMemStatsFromPprof(endpoints: NodeEndpoints, signal?: AbortSignal, options: { gc?: boolean } = {}): Promise<MemStats> {
  const query = options.gc ? 'gc=1&debug=1' : 'debug=1';
  const text = (await fetchBytes(`${endpoints.pprof}/debug/pprof/heap?${query}`, 30_000, signal)).toString('utf8');
  return parseMemStatsText(text);
}

export function pickMemStats(source: Record<string, unknown>): MemStats {
  const stats: Partial<MemStats> = {};
  for (const key of MEMSTATS_KEYS) stats[key] = Number(source[key] ?? NaN);
  for (const key of ['PauseTotalNs', 'GCCPUFraction'] as const) if (typeof source[key] === 'number') stats[key] = source[key];
  return stats as MemStats;
}

export async function readGoroutineCount(endpoints: NodeEndpoints, signal?: AbortSignal): Promise<number> {
  const line = await fetchFirstLine(`${endpoints.pprof}/debug/pprof/goroutine?debug=1`, 10_000, signal);
  const match = /goroutine profile: total (\d+)/.exec(line);
  if (!match) throw new Error(`unexpected goroutine profile header: ${line.slice(0, 80)}`);
  return Number(match[1]);
}
