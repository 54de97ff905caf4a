/**
 * The nemesis: faults the scenario injects at set times in a phase (kill, stop, start, restart, pause,
 * resume of a named node). An injected kill is an event of the run, never an infrastructure error: the
 * runtime marks the exit as expected. Each fault is recorded with its time so a run can be replayed.
 */
import { z } from 'zod';
import { InfraError } from '../errors.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import type { Links } from './links.ts';
import { networkFaultSchema, type NetworkFaultAction, type NetworkFaultDecl } from './toxiproxy/index.ts';
import { expectSchema } from './expected-exits.ts';
import type { RunContext } from '../run/context.ts';
import { seededRandom } from '../scenario/random.ts';
import { duration } from '../scenario/fields.ts';

export const faultActions = ['kill', 'stop', 'start', 'restart', 'pause', 'resume', 'partition', 'heal'] as const;
export type FaultAction = (typeof faultActions)[number];

/** Faults that need the runtime to cut a node's network (the container runtime). */
export const networkCutActions: readonly FaultAction[] = ['partition', 'heal'];

export const faultSchema = z
  .strictObject({
    /** When, from the start of the phase: '20s', or `{ between: ['10s', '40s'] }`, drawn from the seed. */
    at: z.union([duration, z.strictObject({ between: z.tuple([duration, duration]) })]),
    action: z.enum(faultActions),
    /** Node name as the report shows it (with count > 1: val0, val1, ...), or `{ oneOf: [...] }`, drawn from the seed. */
    node: z.union([z.string().min(1), z.strictObject({ oneOf: z.array(z.string().min(1)).min(1) })]),
    /** partition: more nodes cut off together with `node` (they still reach each other). */
    with: z.array(z.string().min(1)).min(1).optional(),
    /** partition: heal it after this long (else a `heal` fault of the same node, or the end of the run). */
    for: duration.refine((v) => v > 0, { message: 'expected a duration above 0' }).optional(),
    /** Nodes this fault ends by design (a killed app ends its CometBFT): their exit after it is no crash. */
    expect: expectSchema.optional(),
  })
  .superRefine((f, ctx) => {
    if (f.action !== 'partition' && (f.with !== undefined || f.for !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [f.with !== undefined ? 'with' : 'for'], message: `only a partition takes '${f.with !== undefined ? 'with' : 'for'}'` });
    }
    // What the fault does to its own node is chainsoak's doing, never a crash: expect names the others it ends.
    const own = typeof f.node === 'string' ? [f.node] : f.node.oneOf;
    const named = f.expect?.nodeExits.find((n) => own.includes(n));
    if (named) ctx.addIssue({ code: 'custom', path: ['expect', 'nodeExits'], message: `${named} is the node this fault acts on (its ${f.action} is expected anyway); name the nodes it ends through it` });
  });

export type NodeFaultDecl = z.output<typeof faultSchema>;

/** A phase's fault: one on a node (kill, partition...) or on its links (latency, down... through Toxiproxy). */
export const anyFaultSchema = z.union([faultSchema, networkFaultSchema]);
export type FaultDecl = NodeFaultDecl | NetworkFaultDecl;

export function isLinkFault(decl: FaultDecl): decl is NetworkFaultDecl {
  return 'link' in decl;
}

/** A fault with its time and node decided: what the timeline runs and the report records. */
export interface Fault {
  at: number;
  action: FaultAction | NetworkFaultAction;
  node: string;
  /** partition: the other nodes cut off with `node`. */
  with?: string[];
  /** partition, link faults: undo after this many ms. */
  for?: number;
  /** A link fault: what to do to the node's links. */
  link?: NetworkFaultDecl;
  /** Nodes the fault ends by design (`expect.nodeExits`). */
  expect?: string[];
}

/** Decide random times and nodes from the seed; `scale` stretches times with a --duration override. */
export function planFaults(decls: FaultDecl[], seed: number, phase: string, scale: number): Fault[] {
  const random = seededRandom(seed, `faults/${phase}`);
  return decls
    .map((d) => {
      const at = typeof d.at === 'number' ? d.at : d.at.between[0] + random() * (d.at.between[1] - d.at.between[0]);
      const forMs = d.for !== undefined ? { for: Math.round(d.for * scale) } : {};
      const expect = d.expect ? { expect: d.expect.nodeExits } : {};
      if (isLinkFault(d)) return { at: Math.round(at * scale), action: d.action, node: d.link.node, ...forMs, ...expect, link: d };
      const node = typeof d.node === 'string' ? d.node : d.node.oneOf[Math.floor(random() * d.node.oneOf.length)]!;
      return { at: Math.round(at * scale), action: d.action, node, ...(d.with ? { with: d.with } : {}), ...forMs, ...expect };
    })
    .sort((a, b) => a.at - b.at);
}

/** Every node name a fault declaration may pick or name. */
export function faultNodes(decl: FaultDecl): string[] {
  const expected = decl.expect?.nodeExits ?? [];
  if (isLinkFault(decl)) return [decl.link.node, ...expected];
  return [...(typeof decl.node === 'string' ? [decl.node] : decl.node.oneOf), ...(decl.with ?? []), ...expected];
}

/** The latest time a fault declaration may fire at. */
export function latestAt(decl: FaultDecl): number {
  return typeof decl.at === 'number' ? decl.at : Math.max(...decl.at.between);
}

/** Nodes a fault touched: their before/after profiles come from different processes or moments. */
export type DisruptedNodes = Set<string>;

/** What the timeline acts on: the nodes, and the runtime's network cuts where it has them. */
export interface FaultTarget {
  nodes: RunningNode[];
  /** Cut these nodes off from the others (they still reach each other); resolves with the heal. */
  partition?(nodes: RunningNode[]): Promise<() => Promise<void>>;
  /** The link proxies, when the scenario has link faults. */
  links?: Links;
}

/** How the run's events name a fault. */
export function describeFault(fault: Fault): string {
  return fault.link ? `${fault.action} on the ${fault.link.link.of} links of ${fault.node}` : `${fault.action} ${fault.node}`;
}

/** A fault that ends nodes by design: their exits from now on are expected, and their profiles no longer compare. */
function expectExits(run: RunContext, fault: Fault, disrupted: DisruptedNodes): void {
  if (!fault.expect) return;
  run.exits.arm({ node: fault.node, description: describeFault(fault) }, fault.expect);
  for (const node of fault.expect) disrupted.add(node);
}

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
    case 'partition':
    case 'heal':
      throw new Error(`${action} is not a fault of one node's process`);
  }
}

/**
 * Run a phase's faults on schedule. Resolves when every fault has been applied and every timed partition
 * healed (or the run aborts). The promise never rejects for a fault that simply happened; a restart whose
 * node does not come back is an infrastructure error. A partition or link fault without `for` ends with the phase.
 */
export async function runFaults(run: RunContext, target: FaultTarget, faults: Fault[], disrupted: DisruptedNodes, phaseMs: number): Promise<void> {
  const started = Date.now();
  const heals = new Map<string, () => Promise<void>>();
  const timed: Array<Promise<void>> = [];
  const heal = async (name: string) => {
    const h = heals.get(name);
    if (!h) return;
    for (const [k, v] of [...heals]) if (v === h) heals.delete(k);
    await h();
  };
  const node = (name: string, fault: Fault) => {
    const found = target.nodes.find((n) => n.name === name);
    if (!found) throw new InfraError(`fault ${fault.action} at ${fault.at} ms: no node named ${name}`);
    return found;
  };
  try {
    for (const fault of faults) {
      await run.wait(fault.at - (Date.now() - started));
      expectExits(run, fault, disrupted);
      if (fault.link) {
        if (!target.links) throw new InfraError(`fault ${fault.action}: the run has no link proxies`);
        const { proxies, heal: undo } = await target.links.apply(fault.link);
        const what = describeFault(fault);
        run.event('fault', `${what} (${proxies} proxies)${fault.for ? ` for ${fault.for} ms` : ''}`);
        const key = `${fault.node}#${fault.action}#${fault.at}`;
        const h = async () => {
          run.event('fault', `end of ${what}`);
          await undo();
        };
        heals.set(key, h);
        if (fault.for) timed.push(run.wait(fault.for).then(() => heal(key), () => undefined));
      } else if (fault.action === 'partition') {
        const group = [fault.node, ...(fault.with ?? [])].map((name) => node(name, fault));
        if (!target.partition) throw new InfraError(`fault partition: this runtime cannot cut a node's network`);
        run.event('fault', `partition ${group.map((n) => n.name).join(', ')}${fault.for ? ` for ${fault.for} ms` : ''}`);
        const undo = await target.partition(group);
        const h = async () => {
          run.event('fault', `heal ${group.map((n) => n.name).join(', ')}`);
          await undo();
        };
        for (const n of group) heals.set(n.name, h);
        if (fault.for) timed.push(run.wait(fault.for).then(() => heal(fault.node), () => undefined));
      } else if (fault.action === 'heal') {
        await heal(fault.node);
      } else {
        run.event('fault', `${fault.action} ${fault.node}`);
        disrupted.add(fault.node);
        await apply(node(fault.node, fault), fault.action as FaultAction);
      }
    }
    await Promise.all(timed);
    // A partition or link fault without `for` lasts to the end of its phase.
    if (heals.size > 0) await run.wait(phaseMs - (Date.now() - started));
  } finally {
    for (const name of [...heals.keys()]) await heal(name).catch(() => undefined);
  }
}
