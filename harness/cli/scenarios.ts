/**
 * What `run` and `validate` share before anything starts: the scenario files a command line names, the
 * plan overrides its flags give, and picking scenarios by tag. Nothing here builds, starts or connects.
 */
import { statSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { parseNodeSpec } from '../nodes/node-spec.ts';
import { flavors } from '../nodes/registry.ts';
import { planNetwork, type NetworkPlan, type PlanOverrides } from '../run/plan.ts';
import type { RuntimeKind } from '../runtimes/runtime.ts';
import { loadScenarioFile, scenarioFilesIn } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { Segment } from '../workloads/segment.ts';

/** The flags that change a scenario's plan: the same on `run` and `validate`. */
export interface PlanFlags {
  node?: string;
  runtime?: RuntimeKind;
  nodes?: string;
  /** `--segment i/n`: checked against every workload (segment-shares.ts). */
  segment?: Segment;
}

export interface Planned {
  scenario: Scenario;
  plan: NetworkPlan;
}

/**
 * Every check `run` makes before it builds or starts anything: all files load and validate (a broken file
 * fails the run even when its tag is not picked), then the picked scenarios' networks are planned.
 */
export async function planRun(paths: string[], flags: PlanFlags & { tag?: string[] }, signal?: AbortSignal): Promise<Planned[]> {
  const files = await scenarioFiles(paths);
  checkNodeFlag(flags);
  const loaded: Scenario[] = [];
  for (const file of files) loaded.push(await loadScenarioFile(file, signal ? { signal } : {}));
  return selectByTags(loaded, flags.tag).map((scenario) => ({ scenario, plan: planNetwork(scenario, planOverrides(flags)) }));
}

/** A bad --node is wrong for every scenario: one line before any file loads. */
export function checkNodeFlag(flags: PlanFlags): void {
  if (flags.node) parseNodeSpec(flags.node, flavors);
}

export function planOverrides(flags: PlanFlags): PlanOverrides {
  return {
    ...(flags.node ? { node: flags.node } : {}),
    ...(flags.runtime ? { runtime: flags.runtime } : {}),
    ...(flags.nodes ? { nodesFile: flags.nodes } : {}),
  };
}

/** The scenario files the paths name: a file as given, a folder's scenario files sorted. */
export async function scenarioFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) files.push(...(await filesOf(p)));
  if (files.length === 0) throw new UsageError(`${paths.join(' ')}: no scenario files found`);
  return files;
}

/** One path's scenario files; a path that does not exist is a usage error naming it. */
export async function filesOf(p: string): Promise<string[]> {
  let isDir: boolean;
  try {
    isDir = statSync(p).isDirectory();
  } catch {
    throw new UsageError(`${p}: no such scenario file or folder`);
  }
  return isDir ? scenarioFilesIn(p) : [p];
}

/**
 * The scenarios that carry any of the tags (all of them without tags). A tag no scenario carries is a
 * usage error: a typo in a nightly job would otherwise run nothing, or everything, and pass.
 */
export function selectByTags(scenarios: Scenario[], tags: string[] | undefined): Scenario[] {
  if (!tags?.length) return scenarios;
  const known = new Set(scenarios.flatMap((s) => s.tags));
  const unknown = tags.filter((t) => !known.has(t));
  if (unknown.length) {
    const have = known.size ? `tags of these scenarios: ${[...known].sort().join(', ')}` : 'these scenarios have no tags';
    throw new UsageError(`--tag ${unknown.join(', ')}: no scenario has ${unknown.length > 1 ? 'these tags' : 'this tag'} (${have})`);
  }
  return scenarios.filter((s) => s.tags.some((t) => tags.includes(t)));
}
