/** chainsoak as a library: run scenarios from your own tests and assert on the result. */
export { runScenario, declaredMs, Interrupted, type RunResult } from './run/run-scenario.ts';
export { compareBuilds, type CompareOptions, type CompareResult } from './compare/compare.ts';
export type { RunOptions } from './run/context.ts';
export { defineScenario, loadScenarioFile, validateScenario } from './scenario/load.ts';
export type { Scenario, ScenarioInput, BudgetsInput } from './scenario/schema.ts';
export type * from './result/types.ts';
export { BUDGETS } from './analysis/budget-table.ts';
export { ChainsoakError, UsageError, InfraError } from './errors.ts';
export { flavors } from './nodes/registry.ts';
export type { NodeFlavor } from './nodes/flavor.ts';
export type { Workload } from './workloads/workload.ts';
