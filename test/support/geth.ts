/** A real geth for tests, started through chainsoak's own parts: the cache, the geth flavor, the process runtime. */
import { geth, type GethOptions } from '../../harness/nodes/geth.ts';
import { ensureBinary } from '../../harness/nodes/install.ts';
import { readGoroutineCount } from '../../harness/probes/memstats.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { startTestNetwork } from './network.ts';

export interface TestGeth {
  node: RunningNode;
  goroutines(): Promise<number>;
  stop(): Promise<void>;
}

/** The pinned geth, built into the cache on first use. */
export function pinnedGethBinary(): Promise<string> {
  return ensureBinary(geth.name, geth.build, geth.defaultVersion);
}

export async function startTestGeth(options: GethOptions = {}): Promise<TestGeth> {
  const net = await startTestNetwork([{ name: 'geth0', node: `geth@${await pinnedGethBinary()}`, options }]);
  const node = net.nodes[0]!;
  return { node, goroutines: () => readGoroutineCount(node.endpoints), stop: () => net.stop() };
}

export interface TestGethNetwork {
  nodes: RunningNode[];
  homes: string[];
  goroutines(node: RunningNode): Promise<number>;
  stop(): Promise<void>;
}

/**
 * `count` geth nodes of one p2p network (network: 'p2p': shared genesis, devp2p on 127.0.0.1, discovery
 * off), prepared together through the flavor's prepareNetwork. Nothing connects them: admin_addPeer does.
 */
export async function startTestGethNetwork(count: number, options: GethOptions = {}): Promise<TestGethNetwork> {
  const binary = await pinnedGethBinary();
  const decls = Array.from({ length: count }, (_, i) => ({ name: `geth${i}`, node: `geth@${binary}`, options: { ...options, network: 'p2p' } }));
  const net = await startTestNetwork(decls);
  return { nodes: net.nodes, homes: net.homes, goroutines: (node) => readGoroutineCount(node.endpoints), stop: () => net.stop() };
}
