/**
 * Workloads a scenario names by file (`{ kind: './workloads/filters.ts', ... }`, relative to the scenario
 * file): each is imported the way scenario files are (import-file.ts) and must default-export a
 * defineWorkload() result; the entry then carries that definition as its kind, and validation checks its
 * options like a built-in's. A missing file, a load error or another default export is one usage line.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { isWorkloadDefinition, type WorkloadDefinition } from '../workloads/define.ts';
import { isWorkloadFile } from '../workloads/schemas.ts';
import { fileLabel, importUserFile, type LoadOptions } from './import-file.ts';

type Entry = Record<string, unknown> & { kind?: unknown };
type Phase = Record<string, unknown> & { workloads?: unknown };

/** The scenario with every workload file's definition in place of its path (the input is not changed). */
export async function loadWorkloadFiles(scenario: unknown, scenarioFile: string, label: string, options: LoadOptions): Promise<unknown> {
  const phases = (scenario as { phases?: unknown } | null)?.phases;
  if (!Array.isArray(phases) || !phases.some((p: Phase) => Array.isArray(p?.workloads) && p.workloads.some((w: Entry) => isWorkloadFile(w?.kind)))) return scenario;
  const loaded = new Map<string, WorkloadDefinition>();
  const resolved = [];
  for (const [p, phase] of (phases as Phase[]).entries()) {
    if (!Array.isArray(phase?.workloads)) {
      resolved.push(phase);
      continue;
    }
    const workloads = [];
    for (const [w, entry] of (phase.workloads as Entry[]).entries()) {
      if (!isWorkloadFile(entry?.kind)) {
        workloads.push(entry);
        continue;
      }
      const field = `${label}: phases[${p}].workloads[${w}].kind`;
      const file = path.resolve(path.dirname(scenarioFile), entry.kind);
      if (!loaded.has(file)) loaded.set(file, await loadWorkloadFile(file, field, options));
      workloads.push({ ...entry, kind: loaded.get(file)! });
    }
    resolved.push({ ...phase, workloads });
  }
  return { ...(scenario as object), phases: resolved };
}

async function loadWorkloadFile(file: string, field: string, options: LoadOptions): Promise<WorkloadDefinition> {
  const label = fileLabel(file);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${field}: no such workload file ${label}`);
  const module = await importUserFile(file, `${field}: ${label}`, options);
  const definition = module.default;
  if (!isWorkloadDefinition(definition)) throw new UsageError(`${field}: ${label} does not default-export a workload (export default defineWorkload({...}))`);
  definition.source ??= label;
  return definition;
}
