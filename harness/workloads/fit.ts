/**
 * Which node flavors each workload kind talks to. A workload aimed at nodes that do not speak its protocol
 * (comet-tx-flood on geth) would fail mid-run with an HTTP 404 and a stack trace; the plan checks the fit
 * first, with --node overrides applied, so it is one usage line before anything is built.
 */
import type { workloadSchemas } from './schemas.ts';
import { isWorkloadDefinition, type WorkloadDefinition } from './define.ts';

type WorkloadKind = keyof typeof workloadSchemas;

const COMET = ['cometbft', 'tendermint'];

export const WORKLOAD_FLAVORS: Record<WorkloadKind, readonly string[]> = {
  'geth-tx-flood': ['geth'],
  'geth-ws-zombies': ['geth'],
  'geth-state-iteration': ['geth'],
  'geth-peer-churn': ['geth'],
  'comet-tx-flood': COMET,
  'comet-state-sync': COMET,
  'comet-peer-churn': COMET,
  'ws-streams': ['geth', ...COMET],
  'fixture-ops': ['leaky-node'],
};

/**
 * Why a workload cannot run on these flavors, or undefined when at least one node speaks its protocol.
 * A defined workload fits what its declaration's `flavors` says (any node when it says nothing).
 */
export function workloadMisfit(kind: WorkloadKind | WorkloadDefinition, nodeFlavors: readonly string[]): string | undefined {
  const fits = isWorkloadDefinition(kind) ? kind.flavors : WORKLOAD_FLAVORS[kind];
  if (!fits || nodeFlavors.some((f) => fits.includes(f))) return undefined;
  return `${isWorkloadDefinition(kind) ? kind.kind : kind} needs a ${fits.join(' or ')} node; this run has ${[...new Set(nodeFlavors)].join(', ')}`;
}

/** A node of the run as the workloads see it: its name (count expanded) and its flavor options. */
interface NamedNode {
  name: string;
  options: Record<string, unknown>;
}

type WorkloadDecl = { kind: unknown; target?: string | undefined; node?: string | undefined };

/** The node names a workload's options give (field → name): each must be a node of the run. */
export function nodesNamedBy(workload: WorkloadDecl): Array<[field: string, name: string]> {
  if (workload.kind === 'comet-peer-churn' && workload.target) return [['target', workload.target]];
  if (workload.kind === 'comet-state-sync' && workload.node) return [['node', workload.node]];
  return [];
}

/**
 * The nodes a workload starts itself (a node declared with start: 'fault' may wait for it): the peer
 * churn's target (default the last node), the state-sync joiners (its `node`, else every stateSync node).
 */
export function nodesStartedBy(workload: WorkloadDecl, nodes: readonly NamedNode[]): string[] {
  const named = nodesNamedBy(workload).map(([, name]) => name);
  if (named.length) return named;
  if (workload.kind === 'comet-peer-churn') return nodes.slice(-1).map((n) => n.name);
  if (workload.kind === 'comet-state-sync') return nodes.filter((n) => n.options.stateSync === true).map((n) => n.name);
  return [];
}
