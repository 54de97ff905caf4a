/**
 * Load a scenario file (TypeScript, default export) and validate it. Every problem becomes one
 * UsageError line naming the file and the field, e.g.
 *   scenarios/x.ts: phases[0].workloads[0].rate: expected number, received string
 */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { UsageError } from '../errors.ts';
import { faultNodes, latestAt } from '../faults/timeline.ts';
import { parseNodeSpec } from '../nodes/node-spec.ts';
import { flavors } from '../nodes/registry.ts';
import { nodesNamedBy, nodesStartedBy } from '../workloads/fit.ts';
import { scenarioSchema, type Scenario, type ScenarioInput } from './schema.ts';
import { fileLabel, importUserFile, type LoadOptions } from './import-file.ts';
import { loadWorkloadFiles } from './workload-files.ts';

/** Identity function that gives scenario files full types and editor completion. */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}

export type { LoadOptions } from './import-file.ts';

export async function loadScenarioFile(file: string, options: LoadOptions = {}): Promise<Scenario> {
  const label = fileLabel(file);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${label}: no such scenario file`);
  const module = await importUserFile(file, label, options);
  if (module.default === undefined) throw new UsageError(`${label}: has no default export (export default defineScenario({...}))`);
  const scenario = await loadWorkloadFiles(module.default, file, label, options);
  return validateScenario(scenario, label, path.basename(file).replace(/\.[cm]?[tj]s$/, ''));
}

/** Scenario files inside a folder, sorted, for `chainsoak run scenarios/`. */
export async function scenarioFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir);
  return entries.filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.endsWith('.d.ts')).sort().map((f) => path.join(dir, f));
}

const validated = new WeakSet<object>();

/** True for a scenario that already went through validateScenario (durations in ms, defaults filled). */
export function isValidated(scenario: unknown): scenario is Scenario {
  return typeof scenario === 'object' && scenario !== null && validated.has(scenario);
}

export function validateScenario(input: unknown, label: string, fallbackName = 'scenario'): Scenario {
  if (isValidated(input)) return input;
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
    // Parsed once, here: the network plan and the flavor use these (defaults filled in).
    decl.options = options.data;
  });
  const nodeNames = new Set(scenario.nodes.flatMap(expandedNames));
  scenario.phases.forEach((phase, p) => {
    if (phase.workloads.length === 0 && phase.faults.length === 0) throw new UsageError(`${label}: phases[${p}]: needs workloads or faults`);
    phase.workloads.forEach((workload, w) => {
      for (const [field, node] of nodesNamedBy(workload)) {
        if (!nodeNames.has(node)) throw new UsageError(`${label}: phases[${p}].workloads[${w}].${field}: no node named "${node}" (nodes: ${[...nodeNames].join(', ')})`);
      }
    });
    phase.faults.forEach((fault, f) => {
      const field = `${label}: phases[${p}].faults[${f}]`;
      for (const node of faultNodes(fault)) {
        if (!nodeNames.has(node)) throw new UsageError(`${field}.node: no node named "${node}" (nodes: ${[...nodeNames].join(', ')})`);
      }
      if (latestAt(fault) > phase.duration) throw new UsageError(`${field}.at: ${latestAt(fault)} ms is after the end of the phase (${phase.duration} ms)`);
    });
  });
  checkLateStarts(scenario, label);
  if (scenario.budgets && Object.keys(scenario.budgets).length === 0) {
    throw new UsageError(`${label}: budgets: at least one budget is needed, or the run can never fail`);
  }
  validated.add(scenario);
  return scenario;
}

/** A node with start: 'fault' that no fault (start, restart) and no workload starts would never run, nor be judged. */
function checkLateStarts(scenario: Scenario, label: string): void {
  const nodes = scenario.nodes.flatMap((d) => expandedNames(d).map((name) => ({ name, options: d.options })));
  const started = new Set(
    scenario.phases.flatMap((p) => [
      ...p.faults.filter((f) => 'action' in f && (f.action === 'start' || f.action === 'restart')).flatMap(faultNodes),
      ...p.workloads.flatMap((w) => nodesStartedBy(w, nodes)),
    ]),
  );
  scenario.nodes.forEach((decl, i) => {
    const never = decl.start === 'fault' ? expandedNames(decl).filter((n) => !started.has(n)) : [];
    if (never.length) throw new UsageError(`${label}: nodes[${i}].start: 'fault' but nothing starts ${never.join(', ')} (add { action: 'start', node: '${never[0]}', at: ... } to a phase's faults)`);
  });
}

/** A declaration's node names: with count > 1 a number is appended (geth0, geth1, ...). */
function expandedNames(decl: { name: string; count: number }): string[] {
  return decl.count > 1 ? Array.from({ length: decl.count }, (_, k) => `${decl.name}${k}`) : [decl.name];
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
  return `${where || '(top level)'}: ${issue.message}`;
}

function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    out += typeof segment === 'number' ? `[${segment}]` : `${out ? '.' : ''}${String(segment)}`;
  }
  return out;
}
