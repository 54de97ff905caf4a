/**
 * The nemesis: faults the scenario injects at set times in a phase (kill, stop, start, restart, pause,
 * resume of a named node). An injected kill is an event of the run, never an infrastructure error: the
 * runtime marks the exit as expected. Each fault is recorded with its time so a run can be replayed.
 */
import { z } from 'zod';
import { InfraError } from '../errors.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import type { RunContext } from '../run/context.ts';
import { parseDuration } from '../scenario/units.ts';

export const faultActions = ['kill', 'stop', 'start', 'restart', 'pause', 'resume'] as const;
export type FaultAction = (typeof faultActions)[number];

export const faultSchema = z.strictObject({
  /** When, from the start of the phase: '20s', or milliseconds. */
  at: z
    .union([z.number(), z.string()])
    .refine((v) => parseDuration(v) !== undefined, { message: "expected a duration such as '20s'" })
    .transform((v) => parseDuration(v)!),
  action: z.enum(faultActions),
  /** Node name as the report shows it (with count > 1: val0, val1, ...). */
  node: z.string().min(1),
});

export type Fault = z.output<typeof faultSchema>;

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
  for (const fault of [...faults].sort((a, b) => a.at - b.at)) {
    await run.wait(fault.at - (Date.now() - started));
    const node = nodes.find((n) => n.name === fault.node);
    if (!node) throw new InfraError(`fault ${fault.action} at ${fault.at} ms: no node named ${fault.node}`);
    run.event('fault', `${fault.action} ${fault.node}`);
    disrupted.add(fault.node);
    await apply(node, fault.action);
  }
}
