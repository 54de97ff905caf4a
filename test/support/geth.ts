/** A real geth for tests, started through chainsoak's own parts: the cache, the geth flavor, the process runtime. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { geth, type GethOptions } from '../../harness/nodes/geth.ts';
import { ensureBinary } from '../../harness/nodes/install.ts';
import { readGoroutineCount } from '../../harness/probes/memstats.ts';
import { freePorts } from '../../harness/runtimes/ports.ts';
import { ProcessRuntime } from '../../harness/runtimes/process.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';

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
  const binary = await pinnedGethBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-geth-'));
  const runtime = new ProcessRuntime();
  const plan = await geth.prepare({
    name: 'geth0',
    binary,
    home: path.join(dir, 'home'),
    ports: await freePorts(geth.portNames),
    options: geth.optionsSchema.parse(options),
  });
  try {
    const node = await runtime.start({ name: 'geth0', binary, plan, logDir: dir, isReady: geth.isReady, readyTimeoutMs: 60_000 });
    return {
      node,
      goroutines: () => readGoroutineCount(node.endpoints),
      stop: async () => {
        await runtime.shutdown();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await runtime.shutdown();
    throw error;
  }
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
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-gethnet-'));
  const runtime = new ProcessRuntime();
  const stop = async () => {
    await runtime.shutdown();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const contexts = [];
    for (let i = 0; i < count; i++) {
      contexts.push({
        name: `geth${i}`,
        binary,
        home: path.join(dir, `geth${i}`, 'home'),
        ports: await freePorts(geth.portNames),
        options: geth.optionsSchema.parse({ ...options, network: 'p2p' }),
      });
    }
    const plans = await geth.prepareNetwork!(contexts);
    const nodes: RunningNode[] = [];
    for (const [i, ctx] of contexts.entries()) {
      nodes.push(
        await runtime.start({
          name: ctx.name,
          binary,
          plan: plans[i]!,
          logDir: path.join(dir, ctx.name),
          isReady: (endpoints, signal) => geth.isReady(endpoints, signal),
          readyTimeoutMs: 60_000,
        }),
      );
    }
    return { nodes, homes: contexts.map((c) => c.home), goroutines: (node) => readGoroutineCount(node.endpoints), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
