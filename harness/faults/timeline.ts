/**
 * The nemesis: faults the scenario injects at set times in a phase (kill, stop, start, restart, pause,
 * resume of a named node). An injected kill is an event of the run, never an infrastructure error: the
 * runtime marks the exit as expected. Each fault is recorded with its time so a run can be replayed.
 */
import { z } from 'zod';
import { InfraError } from '../errors.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import type { RunContext } from '../run/context.ts';
import { seededRandom } from '../scenario/random.ts';
import { parseDuration } from '../scenario/units.ts';

export const faultActions = ['kill', 'stop', 'start', 'restart', 'pause', 'resume'] as const;
export type FaultAction = (typeof faultActions)[number];

const duration = z
  .union([z.number(), z.string()])
  .refine((v) => parseDuration(v) !== undefined, { message: "expected a duration such as '20s'" })
  .transform((v) => parseDuration(v)!);

export const faultSchema = z.strictObject({
  /** When, from the start of the phase: '20s', or `{ between: ['10s', '40s'] }`, drawn from the seed. */
  at: z.union([duration, z.strictObject({ between: z.tuple([duration, duration]) })]),
  action: z.enum(faultActions),
  /** Node name as the report shows it (with count > 1: val0, val1, ...), or `{ oneOf: [...] }`, drawn from the seed. */
  node: z.union([z.string().min(1), z.strictObject({ oneOf: z.array(z.string().min(1)).min(1) })]),
});

export type FaultDecl = z.output<typeof faultSchema>;

/** A fault with its time and node decided: what the timeline runs and the report records. */
export interface Fault {
  at: number;
  action: FaultAction;
  node: string;
}

/** Decide random times and nodes from the seed; `scale` stretches times with a --duration override. */
export function planFaults(decls: FaultDecl[], seed: number, phase: string, scale: number): Fault[] {
  const random = seededRandom(seed, `faults/${phase}`);
  return decls
    .map((d) => {
      const at = typeof d.at === 'number' ? d.at : d.at.between[0] + random() * (d.at.between[1] - d.at.between[0]);
      const node = typeof d.node === 'string' ? d.node : d.node.oneOf[Math.floor(random() * d.node.oneOf.length)]!;
      return { at: Math.round(at * scale), action: d.action, node };
    })
    .sort((a, b) => a.at - b.at);
}

/** Every node name a fault declaration may pick. */
export function faultNodes(decl: FaultDecl): string[] {
  return typeof decl.node === 'string' ? [decl.node] : decl.node.oneOf;
}

/** The latest time a fault declaration may fire at. */
export function latestAt(decl: FaultDecl): number {
  return typeof decl.at === 'number' ? decl.at : Math.max(...decl.at.between);
}

/** Nodes a fault touched: their before/after profiles come from different processes or moments. */
export type DisruptedNodes = Set<string>;

async function apply(node: RunningNode, action: FaultAction): Promise<void> {
  switch (action) {
    case 'kill':
      return node.kill();
    case 'stop':
      return node.stop();
    case 'start':
    case 'restart':
      // start of a node that is down is a restart of its process; of a running node, a fresh process.
      return node.restart();
    case 'pause':
      return node.pause();
    case 'resume':
      return node.resume();
  }
}

/**
 * Run a phase's faults on schedule. Resolves when every fault has been applied (or the run aborts).
 * The promise never rejects for a fault that simply happened; a restart whose node does not come back
 * is an infrastructure error.
 */
export async function runFaults(run: RunContext, nodes: RunningNode[], faults: Fault[], disrupted: DisruptedNodes): Promise<void> {
  const started = Date.now();
  for (const fault of faults) {
    await run.wait(fault.at - (Date.now() - started));
    const node = nodes.find((n) => n.name === fault.node);
    if (!node) throw new InfraError(`fault ${fault.action} at ${fault.at} ms: no node named ${fault.node}`);
    run.event('fault', `${fault.action} ${fault.node}`);
    disrupted.add(fault.node);
    await apply(node, fault.action);
  }
}
