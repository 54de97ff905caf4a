/**
 * defineWorkload: a workload as a user writes it, in TypeScript, next to their scenario. It declares its
 * options (a strict zod schema: a scenario's typo is a one-line usage error), the executor that paces it,
 * and a client that does one operation; the shared executor (executor/) does the rest for every workload:
 * pacing, bounds, abort, counters, latency, errors, progress and stats.
 *
 *   export default defineWorkload({
 *     kind: 'eth-filters',
 *     options: z.strictObject({ pollMs: z.number().default(200) }),
 *     executor: { type: 'constant-concurrency', clients: 20 },
 *     create: (options, ctx) => ({ client: (index, node) => ({ op: async () => { ... } }) }),
 *   });
 *
 * A scenario names it by file (`{ kind: './workloads/filters.ts', pollMs: 100 }`, loaded by
 * scenario/load.ts) or imports it (`filters.with({ pollMs: 100 })`, typed by the schema). This module stays
 * light (zod only): scenario files and `chainsoak validate` load it.
 */
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import type { WorkloadClient } from './executor/client.ts';
import { executorSchema, type ExecutorConfig, type ExecutorInput } from './executor/config.ts';
import type { WorkloadContext } from './workload.ts';

export type { OpContext, OpOutcome, WorkloadClient } from './executor/client.ts';
export type { ExecutorConfig, ExecutorInput } from './executor/config.ts';

/** A workload's options: a zod object schema (strict, so a typo is an error), without `kind` and `executor`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any shape, strict or not (checked at run time)
export type OptionsSchema = z.ZodObject<any, any>;

export interface DefineContext extends WorkloadContext {
  /** The executor this run uses: the declaration's, or the scenario's `executor` field. */
  executor: ExecutorConfig;
  /** The nodes the clients talk to (the declaration's `nodes` filter applied). */
  targets: RunningNode[];
  /** Which of items [0, total) this process sends (all of them without `--segment`): disjoint over segments. */
  owned(total: number): number[];
}

/** What create() returns: a client factory, with optional set-up and clean-up around the measured window. */
export interface WorkloadInstance {
  /** Before the measured window (funding, creating filters): not measured. */
  prepare?(): Promise<void>;
  /** Client `index` (0-based over the whole workload), talking to `node`. */
  client(index: number, node: RunningNode): WorkloadClient | Promise<WorkloadClient>;
  /** After the final snapshot, once the clients are closed. */
  release?(): void | Promise<void>;
  /** Figures of the workload's own for the report's `extra` (shown beside the executor's). */
  extra?(): Record<string, number | string>;
}

export interface WorkloadSpec<S extends OptionsSchema> {
  /** The name in reports (letters, digits, - and _). */
  kind: string;
  options: S;
  /** How it is paced unless the scenario gives its own `executor`; a function picks it from the options. */
  executor: ExecutorInput | ((options: z.output<S>) => ExecutorInput);
  /** Node flavors it speaks to ('geth', 'cometbft' ...); a run with none of them is a usage error. Default: any. */
  flavors?: readonly string[];
  /** Which nodes the clients talk to. Default: every node of the run. */
  nodes?(node: RunningNode): boolean;
  create(options: z.output<S>, ctx: DefineContext): WorkloadInstance | Promise<WorkloadInstance>;
}

const BRAND = Symbol.for('chainsoak.workload-definition');

/** A scenario's entry for a defined workload: its options, and optionally another executor. */
export type WorkloadOptionsInput<S extends OptionsSchema> = z.input<S> & { executor?: ExecutorInput };
export type WorkloadEntry<S extends OptionsSchema> = { kind: WorkloadDefinition<S> } & WorkloadOptionsInput<S>;

export interface WorkloadDefinition<S extends OptionsSchema = OptionsSchema> extends Readonly<WorkloadSpec<S>> {
  readonly [BRAND]: true;
  /** Where it was loaded from (set by the scenario loader), for error lines. */
  source?: string;
  /** A scenario entry with typed options: `phases[].workloads: [filters.with({ pollMs: 100 })]`. */
  with(options: WorkloadOptionsInput<S>): WorkloadEntry<S>;
}

export function defineWorkload<S extends OptionsSchema>(spec: WorkloadSpec<S>): WorkloadDefinition<S> {
  if (!/^[a-zA-Z][a-zA-Z0-9_-]{0,60}$/.test(spec.kind ?? '')) throw new Error(`defineWorkload: kind ${JSON.stringify(spec.kind)}: expected a name of letters, digits, - and _`);
  if (!(spec.options instanceof Object) || typeof (spec.options as { safeParse?: unknown }).safeParse !== 'function') throw new Error(`defineWorkload(${spec.kind}): options must be a zod object schema`);
  const checked = typeof spec.executor === 'function' ? { success: true as const } : executorSchema.safeParse(spec.executor);
  if (!checked.success) throw new Error(`defineWorkload(${spec.kind}): executor: ${checked.error.issues[0]!.message}`);
  const definition: WorkloadDefinition<S> = {
    ...spec,
    [BRAND]: true,
    with: (options) => ({ ...options, kind: definition }) as WorkloadEntry<S>,
  };
  // A scenario printed or hashed shows the workload by name, not its schema.
  Object.defineProperty(definition, 'toJSON', { value: () => definition.source ?? spec.kind });
  return definition;
}

export function isWorkloadDefinition(value: unknown): value is WorkloadDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** A defined workload's entry once validated: its options parsed, the executor chosen. */
export type ParsedDefinedEntry = { kind: WorkloadDefinition; executor: ExecutorConfig; options: Record<string, unknown> };

/** A definition's entry from options given in code (a built-in's own function, a test); throws on bad options. */
export function definedEntry(definition: WorkloadDefinition, options: Record<string, unknown>): ParsedDefinedEntry {
  const parsed = parseDefinedEntry({ ...options, kind: definition }, definition);
  if (!parsed.data) throw new UsageError(`${definition.kind}: ${parsed.issues.map((i) => `${i.path.join('.')}: ${i.message}`)[0]}`);
  return parsed.data;
}

export function isDefinedEntry(entry: { kind: unknown }): entry is ParsedDefinedEntry {
  return isWorkloadDefinition(entry.kind);
}

/**
 * Validate an entry `{ kind: definition, executor?, ...options }`. Issues come back with their paths
 * relative to the entry and a message naming the workload, so the scenario loader's line reads
 * `x.ts: phases[0].workloads[0].pollEvry: unknown key (workload ./workloads/filters.ts)`.
 */
export function parseDefinedEntry(entry: Record<string, unknown>, definition: WorkloadDefinition): { data?: ParsedDefinedEntry; issues: z.core.$ZodIssue[] } {
  const { kind: _kind, executor, ...rest } = entry;
  const which = `(workload ${definition.source ?? definition.kind})`;
  const schema = strict(definition.options);
  const options = schema.safeParse(rest);
  const declared = definition.executor;
  const fallback = typeof declared === 'function' ? (options.success ? declared(options.data as Record<string, unknown>) : undefined) : declared;
  const exec = executorSchema.safeParse(executor ?? fallback);
  const issues: z.core.$ZodIssue[] = [];
  const named = (issue: z.core.$ZodIssue, prefix: PropertyKey[]): z.core.$ZodIssue =>
    issue.code === 'unrecognized_keys'
      ? ({ code: 'custom', path: [...prefix, ...issue.path, issue.keys.join(', ')], message: `unknown key ${which}`, input: undefined } as z.core.$ZodIssue)
      : ({ ...issue, path: [...prefix, ...issue.path], message: `${issue.message} ${which}` } as z.core.$ZodIssue);
  if (!options.success) issues.push(...options.error.issues.map((i) => named(i, [])));
  if (!exec.success) issues.push(...exec.error.issues.map((i) => named(i, executor === undefined ? ['kind'] : ['executor'])));
  if (issues.length || !options.success || !exec.success) return { issues };
  return { data: { kind: definition, executor: exec.data, options: options.data as Record<string, unknown> }, issues };
}

/** The declared schema, made strict when it was not: an option typo must never pass silently. */
function strict(schema: OptionsSchema): z.ZodType {
  const s = schema as OptionsSchema & { strict?: () => z.ZodType };
  const catchall = (s as unknown as { def?: { catchall?: { def?: { type?: string } } } }).def?.catchall?.def?.type;
  return catchall === 'never' || typeof s.strict !== 'function' ? schema : s.strict();
}
