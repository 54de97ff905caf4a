/**
 * Samples every node's runtime figures at a fixed interval through the whole run, into memory (for
 * charts and trends) and a JSON-lines file (for anyone's own tooling). A tick is skipped, not queued,
 * while the previous one is still in flight, so a stalled node cannot pile up requests.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { NodeFlavor } from '../nodes/flavor.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { readGoroutineCount, readMemStatsFromPprof } from './memstats.ts';

export interface Sample {
  node: string;
  /** ms since the run started */
  t: number;
  phase: string;
  heapInuse: number;
  heapAlloc: number;
  sys: number;
  numGC: number;
  goroutines: number;
  rss: number | null;
  /** Flavor-specific chain figures (height, mempool size, peers), when the flavor samples them. */
  chain?: Record<string, number>;
}

export interface SampledNode {
  node: RunningNode;
  flavor: NodeFlavor;
}

export class Sampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private readonly out: WriteStream;

  constructor(
    private nodes: SampledNode[],
    private readonly intervalMs: number,
    private readonly startedAt: number,
    file: string,
    /** The run's current phase, stamped on each sample. */
    private readonly currentPhase: () => string,
  ) {
    this.out = createWriteStream(file, { flags: 'a' });
  }

  watch(nodes: SampledNode[]): void {
    this.nodes = nodes;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    void this.tick();
  }

  latest(node: string): Sample | undefined {
    for (let i = this.samples.length - 1; i >= 0; i--) if (this.samples[i]!.node === node) return this.samples[i];
    return undefined;
  }

  private async tick(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      await Promise.all(this.nodes.map((n) => this.sampleOne(n)));
    } finally {
      this.inFlight = false;
    }
  }

  private async sampleOne({ node, flavor }: SampledNode): Promise<void> {
    if (!node.isRunning()) return;
    const signal = AbortSignal.timeout(Math.max(this.intervalMs * 2, 5000));
    try {
      const [mem, goroutines, rss, chain] = await Promise.all([
        flavor.readMemStats?.(node.endpoints, signal) ?? readMemStatsFromPprof(node.endpoints, signal),
        readGoroutineCount(node.endpoints, signal),
        node.rssBytes(),
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
        goroutines,
        rss: rss ?? null,
        ...(chain ? { chain } : {}),
      };
      this.samples.push(sample);
      this.out.write(JSON.stringify(sample) + '\n');
    } catch {
      // A paused or restarting node misses samples; the gap in the series shows it.
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.inFlight) await new Promise((r) => setTimeout(r, 20));
    await new Promise<void>((resolve) => this.out.end(resolve));
  }
}
