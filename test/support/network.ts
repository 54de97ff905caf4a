/**
 * Real networks for tests, launched the way runs launch them (plan → runtime → flavor → start), on the
 * process runtime unless a test gives another. Stop them with stop() (always, e.g. in `after`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseNodeSpec } from '../../harness/nodes/node-spec.ts';
import { flavors } from '../../harness/nodes/registry.ts';
import { launchNetwork, newNetwork, stopNetwork, type Network } from '../../harness/run/network.ts';
import type { NodePlan } from '../../harness/run/plan.ts';
import { ProcessRuntime } from '../../harness/runtimes/process.ts';
import type { NodeRuntime, NodeSite, RunningNode } from '../../harness/runtimes/runtime.ts';
import type { NodeFlavor } from '../../harness/nodes/flavor.ts';

export interface TestNodeDecl {
  name: string;
  /** Node spec: 'geth', 'cometbft@v1.0.1', 'leaky-node@/path'. */
  node: string;
  options?: Record<string, unknown>;
  /** 'fault': prepared but not started (a late joiner); restart() brings it up. Default 'setup'. */
  start?: 'setup' | 'fault';
  readyTimeoutMs?: number;
}

export interface TestNetwork {
  network: Network;
  nodes: RunningNode[];
  /** Host paths of the nodes' homes (process runtime). */
  homes: string[];
  dir: string;
  stop(): Promise<void>;
}

export async function startTestNetwork(decls: TestNodeDecl[], opts: { runtime?: NodeRuntime; memProfileRate?: number } = {}): Promise<TestNetwork> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-test-'));
  const network = newNetwork(opts.runtime ?? new ProcessRuntime());
  const stop = async () => {
    await stopNetwork(network);
    await rm(dir, { recursive: true, force: true });
  };
  const nodes = decls.map((d): NodePlan => {
    const spec = parseNodeSpec(d.node, flavors);
    return {
      name: d.name,
      flavor: spec.flavor,
      spec,
      version: spec.version,
      options: spec.flavor.optionsSchema.parse(d.options ?? {}),
      readyTimeoutMs: d.readyTimeoutMs ?? 60_000,
      startBy: d.start ?? 'setup',
    };
  });
  try {
    await launchNetwork({ runtime: network.runtime.kind, nodes, ...(opts.memProfileRate ? { memProfileRate: opts.memProfileRate } : {}) }, network, { dir });
  } catch (error) {
    await stop();
    throw error;
  }
  return { network, nodes: network.members.map((m) => m.node), homes: decls.map((d) => path.join(dir, 'nodes', d.name, 'home')), dir, stop };
}

/** Places for a flavor's nodes on a fresh process runtime, for tests that call prepare/prepareNetwork themselves. */
export async function processSites(flavor: NodeFlavor, binary: string, dir: string, names: readonly string[]): Promise<NodeSite[]> {
  const runtime = new ProcessRuntime();
  return Promise.all(names.map((name) => runtime.place({ name, flavor: flavor.name, version: 'custom', artifact: { binary }, portNames: flavor.portNames, dir: path.join(dir, name) })));
}
