/**
 * chainsoak as a library: run scenarios from your own tests and assert on the result. This is the public
 * API of the package (`import ... from 'chainsoak'`); the package entry harness/package/index.js lists
 * the same values. Mocha helpers: harness/library/mocha.ts (`chainsoak/mocha`).
 *
 * Every scenario file gets this module (for defineScenario), and so does `chainsoak validate`, so it stays
 * light: runScenario and compareBuilds load the run machinery (workload clients, runtimes, the report)
 * on their first call.
 */
import type { compareBuilds as CompareBuilds } from './compare/compare.ts';
import type { runScenario as RunScenario } from './run/run-scenario.ts';

export type { RunResult } from './run/run-scenario.ts';
export type { CompareOptions, CompareResult, CompareRun } from './compare/compare.ts';
export { declaredMs } from './run/durations.ts';
export { compareTable } from './compare/table.ts';
export type { RunOptions } from './run/context.ts';
export { defineScenario, loadScenarioFile, validateScenario } from './scenario/load.ts';
export type { Scenario, ScenarioInput, BudgetsInput } from './scenario/schema.ts';
export type * from './result/types.ts';
export { verdictTable } from './report/table.ts';
export { BUDGETS } from './analysis/budget-table.ts';
export { ChainsoakError, UsageError, InfraError, Interrupted, isChainsoakError } from './errors.ts';
export { flavors } from './nodes/registry.ts';
export type { NodeFlavor } from './nodes/flavor.ts';
export { buildLeakyNode, LEAK_PATTERNS, type LeakPattern, type LeakyNodeOptions } from './nodes/leaky-node.ts';
export type { Workload, WorkloadContext } from './workloads/workload.ts';
export { defineWorkload } from './workloads/define.ts';
export type { DefineContext, ExecutorInput, OpContext, OpOutcome, WorkloadClient, WorkloadDefinition, WorkloadEntry, WorkloadInstance } from './workloads/define.ts';
/** zod, the schema library of workload options: a workload file imports it from here, the same instance chainsoak uses. */
export { z } from 'zod';

export async function runScenario(...args: Parameters<typeof RunScenario>): ReturnType<typeof RunScenario> {
  return (await import('./run/run-scenario.ts')).runScenario(...args);
}

export async function compareBuilds(...args: Parameters<typeof CompareBuilds>): ReturnType<typeof CompareBuilds> {
  return (await import('./compare/compare.ts')).compareBuilds(...args);
}
