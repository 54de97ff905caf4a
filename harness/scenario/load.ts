/**
 * Load a scenario file (TypeScript, default export) and validate it. Every problem becomes one
 * UsageError line naming the file and the field, e.g.
 *   scenarios/x.ts: phases[0].workloads[0].rate: expected number, received string
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { UsageError } from '../errors.ts';
import { parseNodeSpec } from '../nodes/node-spec.ts';
import { flavors } from '../nodes/registry.ts';
import { workloadSchemas } from '../workloads/registry.ts';
import { scenarioSchema, type Scenario, type ScenarioInput } from './schema.ts';

/** Identity function that gives scenario files full types and editor completion. */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}

export async function loadScenarioFile(file: string): Promise<Scenario> {
  const label = path.relative(process.cwd(), file) || file;
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${label}: no such scenario file`);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
  } catch (error) {
    const first = String(error instanceof Error ? error.message : error).split('\n')[0];
    throw new UsageError(`${label}: cannot load: ${first}`);
  }
  if (module.default === undefined) throw new UsageError(`${label}: has no default export (export default defineScenario({...}))`);
  return validateScenario(module.default, label, path.basename(file).replace(/\.[cm]?[tj]s$/, ''));
}

/** Scenario files inside a folder, sorted, for `chainsoak run scenarios/`. */
export async function scenarioFilesIn(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const entries = await readdir(dir);
  return entries.filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.endsWith('.d.ts')).sort().map((f) => path.join(dir, f));
}

export function validateScenario(input: unknown, label: string, fallbackName = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(`${label}: ${describeIssue(parsed.error.issues[0]!)}`);
  const scenario: Scenario = { ...parsed.data, name: parsed.data.name ?? fallbackName, file: label };

  const seen = new Set<string>();
  scenario.nodes.forEach((decl, i) => {
    if (seen.has(decl.name)) throw new UsageError(`${label}: nodes[${i}].name: duplicate node name "${decl.name}"`);
    seen.add(decl.name);
    const spec = withField(label, `nodes[${i}].node`, () => parseNodeSpec(decl.node, flavors));
    const options = spec.flavor.optionsSchema.safeParse(decl.options);
    if (!options.success) throw new UsageError(`${label}: nodes[${i}].options.${describeIssue(options.error.issues[0]!)}`);
  });
  if (scenario.budgets && Object.keys(scenario.budgets).length === 0) {
    throw new UsageError(`${label}: budgets: at least one budget is needed, or the run can never fail`);
  }
  return scenario;
}

function withField<T>(label: string, field: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${label}: ${field}: ${error.message}`);
    throw error;
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${where ? where + '.' : ''}${issue.keys.join(', ')}: unknown key${issue.keys.length > 1 ? 's' : ''}`;
  }
  if (issue.code === 'invalid_union' && where.endsWith('workloads') === false && /workloads\[\d+\]$/.test(where)) {
    return `${where}.kind: unknown workload kind; known: ${Object.keys(workloadSchemas).join(', ')}`;
  }
  return `${where || '(top level)'}: ${issue.message}`;
}

function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    out += typeof segment === 'number' ? `[${segment}]` : `${out ? '.' : ''}${String(segment)}`;
  }
  return out;
}
