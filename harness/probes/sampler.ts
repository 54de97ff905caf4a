/**
 * Samples every node's runtime figures at a fixed interval through the whole run, into memory (for
 * charts and trends) and a JSON-lines file (for anyone's own tooling). A tick is skipped, not queued,
 * while the previous one is still in flight, so a stalled node cannot pile up requests.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { NodeFlavor } from '../nodes/flavor.ts';
import type { ContainerMemory, RunningNode } from '../runtimes/runtime.ts';
import { readGoroutineCount, readMemStatsFromPprof } from './memstats.ts';
import type { Sample, SampleTrigger } from '../result/types.ts';
export type { Sample, SampleTrigger } from '../result/types.ts';

/** Moments a scenario can ask samples at, besides the fixed interval. */
export const eventTriggers = ['block', 'pre-snapshot', 'peer-peak'] as const;
export type EventTrigger = (typeof eventTriggers)[number];

/** Block-triggered samples are at least this far apart per node, so fast chains cannot flood the node. */
const MIN_BLOCK_SAMPLE_SPACING_MS = 250;

export interface SampledNode {
  node: RunningNode;
  flavor: NodeFlavor;
  /** Blocks between the node's app snapshots, when it takes them. */
  snapshotInterval?: number;
}

export class Sampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private readonly busy = new Set<string>();
  private readonly lastBlockSample = new Map<string, number>();
  private readonly peakPeers = new Map<string, number>();
  private readonly watchers = new AbortController();
  private readonly watching: Array<Promise<void>> = [];
  private readonly out: WriteStream;

  constructor(
    private nodes: SampledNode[],
    private readonly intervalMs: number,
    private readonly startedAt: number,
    file: string,
    /** The run's current phase, stamped on each sample. */
    private readonly currentPhase: () => string,
    private readonly triggers: ReadonlySet<EventTrigger> = new Set(),
  ) {
    this.out = createWriteStream(file, { flags: 'a' });
  }

  watch(nodes: SampledNode[]): void {
    this.nodes = nodes;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    void this.tick();
    if (this.triggers.has('block') || this.triggers.has('pre-snapshot')) {
      for (const n of this.nodes) if (n.flavor.watchBlocks) this.watching.push(this.watchBlocks(n));
    }
  }

  /** Follow the node's new blocks for the whole run, reconnecting after restarts. */
  private async watchBlocks(n: SampledNode): Promise<void> {
    const signal = this.watchers.signal;
    while (!signal.aborted) {
      if (n.node.isRunning()) {
        await n.flavor.watchBlocks!(n.node.endpoints, (height) => this.onBlock(n, height), signal).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private onBlock(n: SampledNode, height: number): void {
    // The app snapshots when it commits a height divisible by the interval: the block before is the moment.
    if (this.triggers.has('pre-snapshot') && n.snapshotInterval && (height + 1) % n.snapshotInterval === 0) {
      void this.sampleOne(n, 'pre-snapshot');
      return;
    }
    if (!this.triggers.has('block')) return;
    const now = Date.now();
    if (now - (this.lastBlockSample.get(n.node.name) ?? 0) < MIN_BLOCK_SAMPLE_SPACING_MS) return;
    this.lastBlockSample.set(n.node.name, now);
    void this.sampleOne(n, 'block');
  }

  latest(node: string): Sample | undefined {
    for (let i = this.samples.length - 1; i >= 0; i--) if (this.samples[i]!.node === node) return this.samples[i];
    return undefined;
  }

  private async tick(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      await Promise.all(this.nodes.map((n) => this.sampleOne(n, 'interval')));
    } finally {
      this.inFlight = false;
    }
  }

  private async sampleOne({ node, flavor }: SampledNode, trigger: SampleTrigger): Promise<void> {
    // One sample per node at a time: an event sample that lands during another is dropped, not queued.
    if (!node.isRunning() || this.busy.has(node.name)) return;
    this.busy.add(node.name);
    const signal = AbortSignal.timeout(Math.max(this.intervalMs * 2, 5000));
    try {
      const [mem, goroutines, { rss, container }, chain] = await Promise.all([
        flavor.readMemStats?.(node.endpoints, signal) ?? readMemStatsFromPprof(node.endpoints, signal),
        readGoroutineCount(node.endpoints, signal),
        readResources(node),
        flavor.readChainStats?.(node.endpoints, signal).catch(() => undefined),
      ]);
      const sample: Sample = {
        node: node.name,
        t: Date.now() - this.startedAt,
        phase: this.currentPhase(),
        heapInuse: mem.HeapInuse,
        heapAlloc: mem.HeapAlloc,
        sys: mem.Sys,
        numGC: mem.NumGC,
        totalAlloc: mem.TotalAlloc,
        ...(mem.PauseTotalNs !== undefined ? { pauseTotalNs: mem.PauseTotalNs } : {}),
        ...(mem.GCCPUFraction !== undefined ? { gcCpuFraction: mem.GCCPUFraction } : {}),
        goroutines,
        rss: rss ?? null,
        ...(container ? { container } : {}),
        ...(chain ? { chain } : {}),
        trigger,
      };
      const peers = chain?.peers;
      if (peers !== undefined && this.triggers.has('peer-peak')) {
        const peak = this.peakPeers.get(node.name);
        if (peak !== undefined && peers > peak) sample.trigger = 'peer-peak';
        if (peak === undefined || peers > peak) this.peakPeers.set(node.name, peers);
      }
      this.samples.push(sample);
      this.out.write(JSON.stringify(sample) + '\n');
    } catch {
      // A paused or restarting node misses samples; the gap in the series shows it.
    } finally {
      this.busy.delete(node.name);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.watchers.abort();
    await Promise.all(this.watching);
    while (this.inFlight || this.busy.size > 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise<void>((resolve) => this.out.end(resolve));
  }
}

/** RSS, and for a container its cgroup's figures (one stats call: its anonymous memory is the RSS). */
async function readResources(node: RunningNode): Promise<{ rss: number | undefined; container?: ContainerMemory }> {
  const container = await node.containerMemory?.();
  if (container) return { rss: container.rssBytes ?? container.usageBytes, container };
  return { rss: await node.rssBytes() };
}
