/**
 * Setup and start: resolve each scenario node to a binary (building it once per version), give it
 * loopback ports and a home in the report folder, start it, and watch it for crashes.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { InfraError, UsageError } from '../errors.ts';
import type { LaunchPlan, NodeFlavor, PrepareContext } from '../nodes/flavor.ts';
import { ensureBinary } from '../nodes/install.ts';
import { parseNodeSpec, type NodeSpec } from '../nodes/node-spec.ts';
import { flavors } from '../nodes/registry.ts';
import { describeExit, ProcessRuntime } from '../runtimes/process.ts';
import { freePorts } from '../runtimes/ports.ts';
import type { NodeRuntime, RunningNode } from '../runtimes/runtime.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { RunContext } from './context.ts';

export interface NetworkMember {
  node: RunningNode;
  flavor: NodeFlavor;
  version: string;
  binary: string;
  home: string;
  /** Blocks between app snapshots, where the flavor's plan says the node takes them. */
  snapshotInterval?: number;
}

export interface Network {
  runtime: NodeRuntime;
  members: NetworkMember[];
}

/** The scenario's node specs with a --node override applied (it replaces nodes of its flavor). */
export function resolveSpecs(scenario: Scenario, nodeOverride?: string): Array<{ name: string; spec: NodeSpec; options: Record<string, unknown>; readyTimeout: number; startBy: 'setup' | 'fault' }> {
  const override = nodeOverride ? parseNodeSpec(nodeOverride, flavors) : undefined;
  const specs = scenario.nodes.flatMap((decl) => {
    const own = parseNodeSpec(decl.node, flavors);
    const spec = override && override.flavor === own.flavor ? override : own;
    return Array.from({ length: decl.count }, (_, i) => ({
      name: decl.count > 1 ? `${decl.name}${i}` : decl.name,
      spec,
      options: decl.options,
      readyTimeout: decl.readyTimeout,
      startBy: decl.start,
    }));
  });
  if (override && !specs.some((s) => s.spec === override)) {
    throw new UsageError(`--node ${nodeOverride}: scenario ${scenario.name} has no ${override.flavor.name} node to replace`);
  }
  return specs;
}

/** The binary for a spec: the developer's own, or a cached build of the version (built on first use). */
export async function binaryFor(spec: NodeSpec, signal?: AbortSignal, log?: (line: string) => void): Promise<string> {
  return (
    spec.binaryPath ??
    ensureBinary(spec.flavor.name, spec.flavor.build, spec.version, {
      ...(signal ? { signal } : {}),
      // go's download lines show progress; its error lines end up in the error we throw.
      onProgress: (line) => {
        if (/^(go: downloading|chainsoak: building)/.test(line)) log?.(line.replace(/^chainsoak: /, ''));
      },
    })
  );
}

export async function startNetwork(run: RunContext, network: Network): Promise<void> {
  const specs = resolveSpecs(run.scenario, run.options.node);
  // Prepare per flavor: nodes of one flavor form one network (shared genesis, peers).
  const prepared = new Map<(typeof specs)[number], { binary: string; home: string; plan: LaunchPlan }>();
  for (const flavor of new Set(specs.map((s) => s.spec.flavor))) {
    const group = specs.filter((s) => s.spec.flavor === flavor);
    const contexts: PrepareContext[] = [];
    for (const { name, spec, options } of group) {
      run.throwIfAborted();
      contexts.push({
        name,
        binary: await binaryFor(spec, run.signal, (line) => run.options.view?.log(line)),
        home: path.join(run.dir, 'nodes', name, 'home'),
        ports: await freePorts(flavor.portNames),
        options: flavor.optionsSchema.parse(options),
      });
    }
    const plans = flavor.prepareNetwork ? await flavor.prepareNetwork(contexts) : await Promise.all(contexts.map((c) => flavor.prepare(c)));
    group.forEach((s, i) => prepared.set(s, { binary: contexts[i]!.binary, home: path.dirname(contexts[i]!.home), plan: plans[i]! }));
  }
  for (const entry of specs) {
    run.throwIfAborted();
    const { name, spec, readyTimeout, startBy } = entry;
    const { binary, home, plan: flavorPlan } = prepared.get(entry)!;
    const plan = withMemProfileRate(flavorPlan, run.scenario.memProfileRate);
    const launch = { name, binary, plan, logDir: home, isReady: spec.flavor.isReady.bind(spec.flavor), readyTimeoutMs: readyTimeout };
    // A node started by a fault (a late joiner) exists from setup on, so faults and workloads can name it.
    const node = startBy === 'fault' ? network.runtime.create(launch) : await network.runtime.start(launch);
    run.event(startBy === 'fault' ? 'node-prepared' : 'node-started', `${name} ${spec.flavor.name} ${spec.version}${node.pid() ? ` pid ${node.pid()}` : ''}`);
    node.onExit((info) => {
      if (info.expected) return;
      run.abort(new InfraError(`${name} (${spec.flavor.name} ${spec.version}) died during the run (${describeExit(info)}); log: ${node.logPath}`, { detail: node.logTail() }));
    });
    network.members.push({ node, flavor: spec.flavor, version: spec.version, binary, home, ...(plan.snapshotInterval ? { snapshotInterval: plan.snapshotInterval } : {}) });
  }
}

/**
 * GODEBUG=memprofilerate=N makes the Go runtime sample one allocation per N bytes from the first
 * instruction on (setting runtime.MemProfileRate later would miss what init allocated). Other GODEBUG
 * settings from the plan or the environment are kept.
 */
function withMemProfileRate(plan: LaunchPlan, rate: number | undefined): LaunchPlan {
  if (rate === undefined) return plan;
  const inherited = (plan.env?.GODEBUG ?? process.env.GODEBUG ?? '').split(',').filter((kv) => kv !== '' && !kv.startsWith('memprofilerate='));
  return { ...plan, env: { ...plan.env, GODEBUG: [...inherited, `memprofilerate=${rate}`].join(',') } };
}

export function newNetwork(): Network {
  return { runtime: new ProcessRuntime(), members: [] };
}

/** Cleanup: stop every node; drop data directories unless --keep. Never throws. */
export async function stopNetwork(run: RunContext, network: Network): Promise<void> {
  await network.runtime.shutdown().catch(() => undefined);
  if (!run.options.keep) {
    await Promise.all(network.members.map((m) => rm(path.join(m.home, 'home'), { recursive: true, force: true }).catch(() => undefined)));
  }
}
