/**
 * Setup and start: a network plan launched on a runtime. Each node's program is provisioned (built once
 * per version), the runtime gives it a place, its flavor prepares it there (nodes of one flavor together:
 * one genesis, one set of peers), and the runtime starts it and watches it for crashes. Nothing here needs
 * a RunContext: tests launch networks the same way runs do.
 */
import path from 'node:path';
import { InfraError } from '../errors.ts';
import type { NodeFlavor, LaunchPlan, NodeDetails } from '../nodes/flavor.ts';
import { Links } from '../faults/links.ts';
import { describeBuild, nodeBuild } from '../nodes/cgo.ts';
import { buildRecordOf, ensureBinary, flavorBuild, GOROUTINE_LEAK_EXPERIMENT } from '../nodes/install.ts';
import type { NodeSpec } from '../nodes/node-spec.ts';
import { describeExit } from '../runtimes/managed-node.ts';
import type { ExitInfo, NetworkView, NodeRuntime, NodeSite, RunningNode } from '../runtimes/runtime.ts';
import type { NetworkPlan, NodePlan } from './plan.ts';
import type { NodeBuild } from '../result/types.ts';

export interface NetworkMember {
  node: RunningNode;
  flavor: NodeFlavor;
  version: string;
  /** The host binary it runs, where there is one. */
  binary?: string;
  /** How chainsoak built that binary (its build record); absent for a binary chainsoak did not build. */
  build?: NodeBuild;
  /** The container image it runs, where it is a container. */
  image?: string;
  /** The node's folder in the report folder (log, and its home on local runtimes). */
  dir: string;
  /** What the flavor told about the node (role, app, state-sync joiner...). */
  details: NodeDetails;
  /** Blocks between app snapshots, where the flavor's plan says the node takes them. */
  snapshotInterval?: number;
  /** Built with GOEXPERIMENT=goroutineleakprofile: its snapshots take the goroutine leak profile. */
  provenLeaks?: true;
}

export interface Network extends NetworkView {
  runtime: NodeRuntime;
  members: NetworkMember[];
  /** The link proxies, when the plan has network faults. */
  links?: Links | undefined;
}

export function newNetwork(runtime: NodeRuntime): Network {
  const members: NetworkMember[] = [];
  return { runtime, members, node: (name) => members.find((m) => m.node.name === name)?.node };
}

export interface LaunchHooks {
  /** Folder the nodes' folders go in (`<dir>/nodes/<name>/`). */
  dir: string;
  signal?: AbortSignal;
  /** Progress lines (go's build output). */
  log?(line: string): void;
  /** Run events: node-started, node-prepared. */
  event?(kind: string, detail: string): void;
  /** A node died on its own (not a stop chainsoak asked for). */
  onCrash?(error: InfraError): void;
  /** Whether a fault that fired expected this exit (faults/expected-exits.ts): then it is no crash. */
  expectedExit?(node: string, info: ExitInfo): boolean;
  /** The OOM killer ended a node (over its memory limit): a finding about the node, not a broken harness. */
  onOomKill?(node: string, info: ExitInfo): void;
}

/** The Go experiment a node of the plan is built with, if any (plan.ts refused it for a node chainsoak does not build). */
export function goExperimentOf(node: Pick<NodePlan, 'provenLeaks'>): string | undefined {
  return node.provenLeaks ? GOROUTINE_LEAK_EXPERIMENT : undefined;
}

/** The binary for a spec: the developer's own, or a cached build of the version (built on first use). */
export async function binaryFor(spec: NodeSpec, signal?: AbortSignal, log?: (line: string) => void, goExperiment?: string): Promise<string> {
  if (spec.binaryPath) return spec.binaryPath;
  const build = flavorBuild(spec.flavor, spec.version);
  return ensureBinary(spec.flavor.name, build.recipe, build.version, {
    ...(signal ? { signal } : {}),
    ...(goExperiment ? { goExperiment } : {}),
    // go's download lines show progress; its error lines end up in the error we throw.
    onProgress: (line) => {
      if (/^(go: downloading|chainsoak: building)/.test(line)) log?.(line.replace(/^chainsoak: /, ''));
    },
  });
}

/** A direct dial: the other node's own address for the port (no link proxy in between). */
export const directDial = (to: NodeSite, port: string): string => to.peer(port);

/**
 * Launch the plan's nodes into `network` (members are added as they come up, so cleanup sees each one):
 * place every node, route links through Toxiproxy when the plan has network faults, prepare each flavor's
 * nodes together (one genesis, one set of peers), then start them in plan order.
 */
export async function launchNetwork(plan: NetworkPlan, network: Network, hooks: LaunchHooks): Promise<void> {
  if (network.runtime.attach) return attachNetwork(plan, network, hooks);
  const throwIfAborted = () => hooks.signal?.throwIfAborted();
  const placed = new Map<NodePlan, { site: NodeSite; binary?: string; launch?: LaunchPlan; routes?: Record<string, string> }>();
  for (const node of plan.nodes) {
    throwIfAborted();
    // A user-named image needs no binary; everything else runs a cached build or the developer's own.
    const goExperiment = goExperimentOf(node);
    const binary = node.image ? undefined : await binaryFor(node.spec, hooks.signal, hooks.log, goExperiment);
    const site = await network.runtime.place({
      name: node.name,
      flavor: node.flavor.name,
      // Like the cache's directory: a container image of the experiment build gets a tag of its own.
      version: goExperiment ? `${node.version}+goexperiment.${goExperiment}` : node.version,
      artifact: node.image ? { image: node.image } : { binary: binary! },
      portNames: node.flavor.portNames,
      dir: path.join(hooks.dir, 'nodes', node.name),
      ...(node.limits ? { limits: node.limits } : {}),
    });
    placed.set(node, { site, ...(binary ? { binary } : {}) });
  }
  const sites = plan.nodes.map((n) => ({ site: placed.get(n)!.site, group: n.flavor.name, portNames: n.flavor.portNames }));
  network.links = plan.links ? await Links.place(network.runtime, path.join(hooks.dir, 'links'), { sites }, hooks.signal) : undefined;
  const links = network.links;

  for (const flavor of new Set(plan.nodes.map((n) => n.flavor))) {
    throwIfAborted();
    const group = plan.nodes.filter((n) => n.flavor === flavor);
    const contexts = group.map((node) => {
      const { site } = placed.get(node)!;
      const goExperiment = goExperimentOf(node);
      return {
        site,
        version: node.version,
        options: node.options,
        dial: links ? (to: NodeSite, port: string) => links.dial(site.name, to, port) : directDial,
        ...(goExperiment ? { goExperiment } : {}),
      };
    });
    const plans = flavor.prepareNetwork ? await flavor.prepareNetwork(contexts) : await Promise.all(contexts.map((c) => flavor.prepare(c)));
    group.forEach((node, i) => {
      const entry = placed.get(node)!;
      entry.launch = withMemProfileRate(plans[i]!, plan.memProfileRate);
      if (links) entry.routes = links.routeClients(entry.site, entry.launch);
    });
  }
  if (links) {
    const proxy = await links.start(network);
    proxy.onExit((info) => {
      if (!info.expected) hooks.onCrash?.(new InfraError(`the link proxy (Toxiproxy) died during the run (${describeExit(info)}); log: ${proxy.logPath}`, { detail: proxy.logTail() }));
    });
    hooks.event?.('links', `${links.describe().length} link proxies through Toxiproxy at ${proxy.endpoints.admin}`);
  }

  for (const node of plan.nodes) {
    throwIfAborted();
    const { site, binary, launch, routes } = placed.get(node)!;
    const nodeLaunch = {
      name: node.name,
      plan: launch!,
      isReady: node.flavor.isReady.bind(node.flavor),
      readyTimeoutMs: node.readyTimeoutMs,
      network,
      ...(routes && links ? { clientRoute: (port: string) => (routes[port] ? links.clientAddress(routes[port]) : undefined) } : {}),
    };
    // A node started by a fault (a late joiner) exists from setup on, so faults and workloads can name it.
    const running = node.startBy === 'fault' ? network.runtime.create(site, nodeLaunch) : await network.runtime.start(site, nodeLaunch);
    const record = binary ? buildRecordOf(binary) : undefined;
    const build = record ? nodeBuild(record) : undefined;
    const how = build ? describeBuild(build) : undefined;
    hooks.event?.(node.startBy === 'fault' ? 'node-prepared' : 'node-started', `${node.name} ${node.flavor.name} ${node.version}${running.pid() ? ` pid ${running.pid()}` : ''}${how ? ` (${how})` : ''}`);
    running.onExit((info) => {
      if (info.expected) return;
      if (hooks.expectedExit?.(node.name, info)) return hooks.event?.('node-exit-expected', `${node.name} (${describeExit(info)})`);
      if (info.oomKilled && hooks.onOomKill) return hooks.onOomKill(node.name, info);
      hooks.onCrash?.(new InfraError(`${node.name} (${node.flavor.name} ${node.version}) died during the run (${describeExit(info)}); log: ${running.logPath}`, { detail: running.logTail() }));
    });
    network.members.push({
      node: running,
      flavor: node.flavor,
      version: node.version,
      ...(binary ? { binary } : {}),
      ...(build ? { build } : {}),
      ...(site.image ? { image: site.image } : {}),
      dir: path.join(hooks.dir, 'nodes', node.name),
      details: running.details,
      ...(launch!.snapshotInterval ? { snapshotInterval: launch!.snapshotInterval } : {}),
      ...(node.provenLeaks ? { provenLeaks: true as const } : {}),
    });
  }
}

/** Nodes that run elsewhere: nothing to build or prepare; each is checked to answer, in plan order. */
async function attachNetwork(plan: NetworkPlan, network: Network, hooks: LaunchHooks): Promise<void> {
  for (const node of plan.nodes) {
    hooks.signal?.throwIfAborted();
    const dir = path.join(hooks.dir, 'nodes', node.name);
    const running = await network.runtime.attach!({
      name: node.name,
      flavor: node.flavor.name,
      readyTimeoutMs: node.readyTimeoutMs,
      isReady: node.flavor.isReady.bind(node.flavor),
      logPath: path.join(dir, `${node.name}.log`),
    });
    hooks.event?.('node-attached', `${node.name} ${node.flavor.name} at ${running.endpoints.pprof}`);
    network.members.push({ node: running, flavor: node.flavor, version: node.version, dir, details: running.details });
  }
  if (plan.links) {
    // Link faults on external nodes: the harness's own connections go through a local Toxiproxy.
    const extra = network.members.reduce((n, m) => n + Object.keys(m.node.endpoints).length, 0);
    const links = await Links.place(network.runtime, path.join(hooks.dir, 'links'), { sites: [] }, hooks.signal, extra);
    const proxied = network.members.map((m) => [m.node, links.routeExternal(m.node.name, m.node.endpoints)] as const);
    await links.start(network);
    for (const [node, endpoints] of proxied) Object.assign(node.endpoints, endpoints());
    network.links = links;
    hooks.event?.('links', `${links.describe().length} client link proxies through Toxiproxy`);
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

/** Cleanup: stop every node and release what the runtime made; drop data directories unless keepData. Never throws. */
export async function stopNetwork(network: Network, options: { keepData?: boolean } = {}): Promise<void> {
  await network.runtime.shutdown(options).catch(() => undefined);
}
