/** A real leaky-node for tests, started through chainsoak's own parts: the cache, the flavor, the process runtime. */
import path from 'node:path';
import { readProfile, type Profile } from '../../harness/analysis/index.ts';
import { ensureBinary } from '../../harness/nodes/install.ts';
import { leakyNode, type LeakyNodeOptions } from '../../harness/nodes/leaky-node.ts';
import { fetchBytes } from '../../harness/probes/http.ts';
import { takeSnapshot, type Snapshot } from '../../harness/probes/snapshot.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { startTestNetwork } from './network.ts';

/** The fixture built from the current source (src-<hash>), into the cache on first use. */
export function leakyNodeBinary(): Promise<string> {
  return ensureBinary(leakyNode.name, leakyNode.build, leakyNode.defaultVersion);
}

export interface LeakyState {
  leaks: Record<string, number>;
  spec: string;
  ops: number;
  leaked: Record<string, { units: number; unit: string }>;
}

export interface TestLeakyNode {
  node: RunningNode;
  /** k operations, in requests of at most 1,000. */
  ops(k: number): Promise<void>;
  /** Profiles (heap after a forced GC, goroutines), MemStats and RSS, like a run's snapshot. */
  snapshot(label: string): Promise<Snapshot & { heap: Profile; goroutine: Profile }>;
  state(): Promise<LeakyState>;
  stop(): Promise<void>;
}

export async function startTestLeakyNode(options: LeakyNodeOptions = {}, binary?: string): Promise<TestLeakyNode> {
  const bin = binary ?? (await leakyNodeBinary());
  const net = await startTestNetwork([{ name: 'leaky0', node: `leaky-node@${bin}`, options, readyTimeoutMs: 30_000 }]);
  const { dir } = net;
  const node = net.nodes[0]!;
  try {
    const base = node.endpoints.http!;
    return {
      node,
      async ops(k) {
        for (let left = k; left > 0; left -= 1000) {
          const response = await fetch(`${base}/op?n=${Math.min(1000, left)}`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
          if (!response.ok) throw new Error(`POST /op: HTTP ${response.status} ${await response.text()}`);
          await response.arrayBuffer();
        }
      },
      async snapshot(label) {
        const snap = await takeSnapshot(node, path.join(dir, 'profiles'), label);
        return { ...snap, heap: readProfile(snap.heapProfile), goroutine: readProfile(snap.goroutineProfile) };
      },
      async state() {
        return JSON.parse((await fetchBytes(`${base}/leaks`, 5000)).toString('utf8')) as LeakyState;
      },
      stop: () => net.stop(),
    };
  } catch (error) {
    await net.stop();
    throw error;
  }
}
