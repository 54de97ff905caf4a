/**
 * Prometheus text exposition (format 0.0.4), as CometBFT and Tendermint serve it on
 * `instrumentation.prometheus_listen_addr`: Go runtime figures from client_golang's Go collector
 * (`go_memstats_*`, `go_gc_duration_seconds`) and the node's own metrics under a namespace
 * (`cometbft_` since CometBFT v0.37, `tendermint_` in Tendermint Core v0.34; `instrumentation.namespace`
 * changes it). One scrape is a few tens of KB, much cheaper for the node than pprof's `heap?debug=1`.
 */
import type { NodeEndpoints } from '../nodes/flavor.ts';
import { fetchBytes } from './http.ts';
import type { MemStats } from './memstats.ts';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseValue(s: string): number {
  switch (s) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    default:
      return Number(s);
  }
}

/** Parse the label block starting after `{` at `i`; returns the labels and the index after `}`. */
function parseLabels(line: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return [labels, i + 1];
    const eq = line.indexOf('=', i);
    if (eq === -1 || line[eq + 1] !== '"') throw new Error(`bad label set in: ${line.slice(0, 120)}`);
    const key = line.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < line.length; j++) {
      const c = line[j];
      if (c === '\\') {
        const n = line[++j];
        value += n === 'n' ? '\n' : (n ?? '');
      } else if (c === '"') {
        break;
      } else {
        value += c;
      }
    }
    if (j >= line.length) throw new Error(`unterminated label value in: ${line.slice(0, 120)}`);
    labels[key] = value;
    i = j + 1;
  }
}

/** Every sample of a text exposition; comment lines (HELP/TYPE) and blank lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!m) throw new Error(`bad metric line: ${line.slice(0, 120)}`);
    const name = m[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') [labels, i] = parseLabels(line, i + 1);
    const rest = line.slice(i).trim().split(/\s+/);
    if (rest[0] === undefined || rest[0] === '') throw new Error(`metric line without a value: ${line.slice(0, 120)}`);
    samples.push({ name, labels, value: parseValue(rest[0]) });
  }
  return samples;
}

/** Values of every series of `name` (any labels). */
export function seriesValues(samples: readonly PromSample[], name: string): number[] {
  return samples.filter((s) => s.name === name).map((s) => s.value);
}

function one(samples: readonly PromSample[], name: string): number {
  const values = seriesValues(samples, name);
  if (values.length === 0) throw new Error(`Prometheus metrics have no ${name}`);
  return values[0]!;
}

/** Where each MemStats field comes from in client_golang's Go collector. */
export const MEMSTATS_METRICS: Readonly<Record<Exclude<keyof MemStats, 'PauseTotalNs' | 'GCCPUFraction'>, string>> = {
  HeapInuse: 'go_memstats_heap_inuse_bytes',
  HeapAlloc: 'go_memstats_heap_alloc_bytes',
  Sys: 'go_memstats_sys_bytes',
  NumGC: 'go_gc_duration_seconds_count',
  TotalAlloc: 'go_memstats_alloc_bytes_total',
  HeapObjects: 'go_memstats_heap_objects',
};

/** MemStats from a scrape (text or parsed samples). Throws if a metric is missing. */
export function memStatsFromPrometheus(input: string | readonly PromSample[]): MemStats {
  const samples = typeof input === 'string' ? parsePrometheusText(input) : input;
  const stats: Partial<MemStats> = {};
  for (const [key, metric] of Object.entries(MEMSTATS_METRICS) as Array<[keyof typeof MEMSTATS_METRICS, string]>) stats[key] = one(samples, metric);
  // Optional: the GC pause summary's sum (seconds) and, in older client_golang, the GC CPU fraction.
  const pause = seriesValues(samples, 'go_gc_duration_seconds_sum')[0];
  if (pause !== undefined) stats.PauseTotalNs = Math.round(pause * 1e9);
  const fraction = seriesValues(samples, 'go_memstats_gc_cpu_fraction')[0];
  if (fraction !== undefined) stats.GCCPUFraction = fraction;
  return stats as MemStats;
}

/** What a CometBFT/Tendermint node says about its chain. */
export interface ChainFigures {
  /** `<ns>_consensus_height`: the height consensus is working on (the last committed block + 1). */
  consensusHeight: number;
  /** `<ns>_consensus_latest_block_height` where the version has it (v0.34 and later), else consensusHeight - 1. */
  latestBlockHeight: number;
  /** `<ns>_mempool_size`: transactions in the mempool. */
  mempoolSize: number;
  /** `<ns>_p2p_peers`: connected peers. */
  peers: number;
  /** The namespace the figures were found under, e.g. "cometbft" or "tendermint". */
  namespace: string;
}

/**
 * The namespace of a scrape: the prefix of its `*_consensus_height` metric. CometBFT defaults to
 * `cometbft`, Tendermint Core to `tendermint`; `instrumentation.namespace` can set anything.
 */
export function detectNamespace(samples: readonly PromSample[]): string | undefined {
  const hit = samples.find((s) => s.name.endsWith('_consensus_height') && !s.name.endsWith('_latest_block_height'));
  return hit?.name.slice(0, -'_consensus_height'.length);
}

/**
 * Consensus height, mempool size and peers from a scrape. `namespace` defaults to the one detected.
 * Series with several label sets (chain_id) are combined: the highest height, the sum of sizes and peers.
 */
export function chainFiguresFromPrometheus(input: string | readonly PromSample[], namespace?: string): ChainFigures {
  const samples = typeof input === 'string' ? parsePrometheusText(input) : input;
  const ns = namespace ?? detectNamespace(samples);
  if (ns === undefined) throw new Error('Prometheus metrics have no <namespace>_consensus_height (is this a CometBFT/Tendermint node?)');
  const heights = seriesValues(samples, `${ns}_consensus_height`);
  if (heights.length === 0) throw new Error(`Prometheus metrics have no ${ns}_consensus_height`);
  const consensusHeight = Math.max(...heights);
  const latest = seriesValues(samples, `${ns}_consensus_latest_block_height`);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    consensusHeight,
    latestBlockHeight: latest.length > 0 ? Math.max(...latest) : Math.max(0, consensusHeight - 1),
    mempoolSize: sum(seriesValues(samples, `${ns}_mempool_size`)),
    peers: sum(seriesValues(samples, `${ns}_p2p_peers`)),
    namespace: ns,
  };
}

/** Scrapes in flight per node: the sampler asks for MemStats and chain figures at the same moment. */
const inFlight = new WeakMap<NodeEndpoints, Promise<PromSample[]>>();

/**
 * One scrape of a node's Prometheus endpoint (`endpoints.prometheus`, the full /metrics URL). Callers
 * that ask while a scrape of the same node is under way share it, so one sample costs one scrape.
 */
export function scrapePrometheus(endpoints: NodeEndpoints, signal?: AbortSignal): Promise<PromSample[]> {
  const url = endpoints.prometheus;
  if (!url) return Promise.reject(new Error('node has no prometheus endpoint'));
  const pending = inFlight.get(endpoints);
  if (pending) return pending;
  const scrape = fetchBytes(url, 5_000, signal)
    .then((body) => parsePrometheusText(body.toString('utf8')))
    .finally(() => inFlight.delete(endpoints));
  inFlight.set(endpoints, scrape);
  return scrape;
}

export async function readMemStatsFromPrometheus(endpoints: NodeEndpoints, signal?: AbortSignal): Promise<MemStats> {
  return memStatsFromPrometheus(await scrapePrometheus(endpoints, signal));
}

export async function readChainFigures(endpoints: NodeEndpoints, signal?: AbortSignal, namespace?: string): Promise<ChainFigures> {
  return chainFiguresFromPrometheus(await scrapePrometheus(endpoints, signal), namespace);
}
