/**
 * Every runtime a run can use, by kind. Adding one: a file in this folder and one line here. Heavy ones
 * (Docker clients) are imported only when a run asks for them.
 */
import { UsageError } from '../errors.ts';
import { ExternalRuntime, type ExternalNode } from './external.ts';
import { ProcessRuntime } from './process.ts';
import type { NodeRuntime, RuntimeKind } from './runtime.ts';

export const runtimeKinds = ['process', 'container', 'external'] as const satisfies readonly RuntimeKind[];

export interface RuntimeOptions {
  /** The run's id (its report folder's name): containers and networks are labelled with it. */
  runId: string;
  /** Progress lines (image builds, what was reaped). */
  log?(line: string): void;
  /** runtime 'external': the running nodes. */
  external?: ExternalNode[];
}

export async function createRuntime(kind: RuntimeKind, options: RuntimeOptions): Promise<NodeRuntime> {
  switch (kind) {
    case 'process':
      return new ProcessRuntime();
    case 'container':
      return (await import('./container.ts')).ContainerRuntime.create(options.runId, options.log);
    case 'external':
      if (!options.external) throw new UsageError(`--runtime external needs the nodes' URLs: --nodes nodes.json, or nodes[].endpoints in the scenario`);
      return new ExternalRuntime(options.external);
  }
}
