/**
 * chainsoak as a library: run scenarios from your own tests and assert on the result. This is the public
 * API of the package (`import ... from 'chainsoak'`); the package entry harness/package/index.js lists
 * the same values. Mocha helpers: harness/library/mocha.ts (`chainsoak/mocha`).
 */
export { runScenario, declaredMs, Interrupted, type RunResult } from './run/run-scenario.ts';
export { compareBuilds, type CompareOptions, type CompareResult, type CompareRun } from './compare/compare.ts';
export { compareTable } from './compare/table.ts';
export type { RunOptions } from './run/context.ts';
export { defineScenario, loadScenarioFile, validateScenario } from './scenario/load.ts';
export type { Scenario, ScenarioInput, BudgetsInput } from './scenario/schema.ts';
export type * from './result/types.ts';
export { verdictTable } from './report/table.ts';
export { BUDGETS } from './analysis/budget-table.ts';
export { ChainsoakError, UsageError, InfraError, isChainsoakError } from './errors.ts';
export { flavors } from './nodes/registry.ts';
export type { NodeFlavor } from './nodes/flavor.ts';
export { buildLeakyNode, LEAK_PATTERNS, type LeakPattern, type LeakyNodeOptions } from './nodes/leaky-node.ts';
export type { Workload } from './workloads/workload.ts';
