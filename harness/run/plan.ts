/**
 * A scenario plus the CLI's overrides, resolved once into a network plan: per node, the spec parsed once,
 * the flavor options parsed once, and what it runs (a binary, or an image). Pure: nothing is built or
 * started here, so every mistake in it is a usage error before any work begins.
 */
import { UsageError } from '../errors.ts';
import type { NodeFlavor } from '../nodes/flavor.ts';
import { parseNodeSpec, type NodeSpec } from '../nodes/node-spec.ts';
import { flavors } from '../nodes/registry.ts';
import { LINKS_NODE } from '../faults/links.ts';
import { isLinkFault, networkCutActions } from '../faults/timeline.ts';
import { readNodesFile, type ExternalNode } from '../runtimes/external.ts';
import type { RuntimeKind } from '../runtimes/runtime.ts';
import type { Scenario } from '../scenario/schema.ts';
import { workloadMisfit } from '../workloads/fit.ts';

export interface NodePlan {
  /** Unique node name inside the run (`count > 1` appends 0, 1, ...). */
  name: string;
  flavor: NodeFlavor;
  spec: NodeSpec;
  version: string;
  /** The flavor's options, as its schema parsed them (defaults filled in). */
  options: Record<string, unknown>;
  readyTimeoutMs: number;
  startBy: 'setup' | 'fault';
  /** Container runtime: memory and CPU limits. */
  limits?: { memBytes?: number; cpus?: number };
  /** Container runtime: an image to run instead of one built from the binary. */
  image?: string;
  /** Built with GOEXPERIMENT=goroutineleakprofile; every snapshot takes its goroutine leak profile. */
  provenLeaks?: true;
}

export interface NetworkPlan {
  runtime: RuntimeKind;
  nodes: NodePlan[];
  /** runtime 'external': the running nodes, by name. */
  external?: ExternalNode[];
  /** GODEBUG=memprofilerate for every node, when the scenario asks for finer heap attribution. */
  memProfileRate?: number;
  /** The scenario has network faults: route links through Toxiproxy (faults/links.ts). */
  links?: boolean;
}

export interface PlanOverrides {
  /** Replace the nodes of that flavor: 'geth@v1.16.7', 'geth@/path/to/geth'. */
  node?: string;
  runtime?: RuntimeKind;
  /** runtime 'external': a nodes file (`--nodes`), instead of the scenario's `nodes[].endpoints`. */
  nodesFile?: string;
}

export function planNetwork(scenario: Scenario, overrides: PlanOverrides = {}): NetworkPlan {
  const override = overrides.node ? parseNodeSpec(overrides.node, flavors) : undefined;
  // The scenario's node options were parsed by their flavor's schema when it was validated (load.ts).
  const nodes = scenario.nodes.flatMap((decl) => {
    const own = parseNodeSpec(decl.node, flavors);
    const spec = override && override.flavor === own.flavor ? override : own;
    return Array.from({ length: decl.count }, (_, k): NodePlan => ({
      name: decl.count > 1 ? `${decl.name}${k}` : decl.name,
      flavor: spec.flavor,
      spec,
      version: spec.version,
      options: decl.options,
      readyTimeoutMs: decl.readyTimeout,
      startBy: decl.start,
      ...(decl.memLimit !== undefined || decl.cpus !== undefined
        ? { limits: { ...(decl.memLimit !== undefined ? { memBytes: decl.memLimit } : {}), ...(decl.cpus !== undefined ? { cpus: decl.cpus } : {}) } }
        : {}),
      ...(decl.image ? { image: decl.image } : {}),
      ...(decl.provenLeaks ? { provenLeaks: true as const } : {}),
    }));
  });
  if (override && !nodes.some((n) => n.spec === override)) {
    throw new UsageError(`--node ${overrides.node}: scenario ${scenario.name} has no ${override.flavor.name} node to replace`);
  }
  const runtime = overrides.runtime ?? scenario.runtime;
  if (overrides.nodesFile && runtime !== 'external') throw new UsageError(`--nodes ${overrides.nodesFile}: a nodes file is for --runtime external`);
  // What the scenario asks of the runtime, checked before anything is built: errors name the file.
  return named(scenario, () => {
    checkWorkloadFit(scenario, nodes);
    if (runtime !== 'container') checkContainerOnly(scenario, runtime);
    checkProvenLeaks(nodes, runtime);
    return {
      runtime,
      nodes,
      ...(runtime === 'external' ? { external: externalNodes(scenario, nodes, overrides.nodesFile) } : {}),
      ...(scenario.memProfileRate !== undefined ? { memProfileRate: scenario.memProfileRate } : {}),
      ...(hasLinkFaults(scenario, nodes) ? { links: true } : {}),
    };
  });
}

function named<T>(scenario: Scenario, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof UsageError && !error.message.startsWith('--nodes')) throw new UsageError(`${scenario.file ?? scenario.name}: ${error.message}`);
    throw error;
  }
}

/** Whether the scenario has link faults (then every link goes through Toxiproxy); the proxy's name is then reserved. */
function hasLinkFaults(scenario: Scenario, nodes: NodePlan[]): boolean {
  if (!scenario.phases.some((p) => p.faults.some(isLinkFault))) return false;
  if (nodes.some((n) => n.name === LINKS_NODE)) throw new UsageError(`a node named '${LINKS_NODE}': the name is the link proxy's in a scenario with network faults; rename the node`);
  return true;
}

/** Every workload needs a node of a flavor that speaks its protocol (after --node overrides). */
function checkWorkloadFit(scenario: Scenario, nodes: NodePlan[]): void {
  const flavorNames = nodes.map((n) => n.flavor.name);
  scenario.phases.forEach((phase, p) =>
    phase.workloads.forEach((workload, w) => {
      const misfit = workloadMisfit(workload.kind, flavorNames);
      if (misfit) throw new UsageError(`phases[${p}].workloads[${w}].kind: ${misfit}`);
    }),
  );
}

/** Scenario fields only the container runtime can honour are usage errors elsewhere, before anything starts. */
function checkContainerOnly(scenario: Scenario, runtime: RuntimeKind): void {
  const hint = `needs --runtime container (this run's runtime is '${runtime}')`;
  scenario.nodes.forEach((decl, i) => {
    for (const key of ['memLimit', 'cpus', 'image'] as const) if (decl[key] !== undefined) throw new UsageError(`nodes[${i}].${key} ${hint}`);
  });
  scenario.phases.forEach((phase, p) =>
    phase.faults.forEach((fault, f) => {
      if (!isLinkFault(fault) && networkCutActions.includes(fault.action)) throw new UsageError(`phases[${p}].faults[${f}]: ${fault.action} cuts a container's network: it ${hint}`);
    }),
  );
}

/** provenLeaks needs a binary chainsoak builds itself (with the experiment): one line per kind of node that has none. */
function checkProvenLeaks(nodes: NodePlan[], runtime: RuntimeKind): void {
  const why = 'provenLeaks needs a node chainsoak builds (with GOEXPERIMENT=goroutineleakprofile)';
  for (const node of nodes.filter((n) => n.provenLeaks)) {
    if (runtime === 'external') throw new UsageError(`${node.name}: ${why}; the external runtime builds none`);
    if (node.image) throw new UsageError(`${node.name}: ${why}, not the image ${node.image}`);
    if (node.spec.binaryPath) throw new UsageError(`${node.name}: ${why}, not your own binary ${node.spec.binaryPath}; give a version instead`);
  }
}

/**
 * The running nodes of an external run, from the nodes file or the scenario, after checking that the
 * scenario asks nothing of them that needs control of a node (faults, late starts, GODEBUG).
 */
function externalNodes(scenario: Scenario, nodes: NodePlan[], nodesFile: string | undefined): ExternalNode[] {
  const what = 'on the external runtime chainsoak does not control the nodes';
  scenario.phases.forEach((phase, p) => {
    phase.faults.forEach((fault, f) => {
      // The harness's own connections to a node are chainsoak's to route through Toxiproxy; the node's peers are not.
      if (isLinkFault(fault) && fault.link.of === 'clients') return;
      const why = isLinkFault(fault) ? `link.of '${fault.link.of}' routes the nodes' own peer links` : 'needs a runtime that runs the nodes';
      throw new UsageError(`phases[${p}].faults[${f}]: ${fault.action} ${why}; ${what} (link faults with link: { of: 'clients' } work)`);
    });
  });
  const late = nodes.find((n) => n.startBy === 'fault');
  if (late) throw new UsageError(`${late.name}: start: 'fault' needs a runtime that runs the nodes; ${what}`);
  if (scenario.memProfileRate !== undefined) throw new UsageError(`memProfileRate is set when chainsoak starts a node (GODEBUG); ${what}`);
  if (nodesFile) return readNodesFile(nodesFile);
  return scenario.nodes.map((decl, i) => {
    if (!decl.endpoints) throw new UsageError(`nodes[${i}].endpoints: runtime 'external' needs each node's URLs (or --nodes nodes.json)`);
    if (decl.count > 1) throw new UsageError(`nodes[${i}].count: one endpoints entry per external node; list them one by one`);
    return { name: decl.name, flavor: parseNodeSpec(decl.node, flavors).flavor.name, endpoints: decl.endpoints, ...(decl.p2p ? { p2p: decl.p2p } : {}) };
  });
}
