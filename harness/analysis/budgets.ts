/**
 * The checker: turns measured growth into pass/fail per budget, like k6 thresholds. Every budget is one
 * row of BUDGETS (budget-table.ts): its scenario field, the results it produces, what it reads and how
 * it judges. The scenario schema, this check, JUnit, the HTML report and the bench all read that table;
 * `verdictOf` is the one place a run's results become pass or fail (budgets and history alike).
 */
import type { Scenario } from '../scenario/schema.ts';
import type { BudgetResult, OomKill, Verdict, WorkloadStats } from '../result/types.ts';
import { BUDGETS, type NodeMeasurement } from './budget-table.ts';

export type { BudgetResult, OomKill } from '../result/types.ts';
export type { NodeMeasurement } from './budget-table.ts';

type Budgets = Scenario['budgets'];

export interface OomWatch {
  /** Nodes with a memory limit: the ones `noOomKill` is judged on. */
  limited: string[];
  kills: OomKill[];
}

export function checkBudgets(budgets: Budgets, nodes: NodeMeasurement[], workloads: WorkloadStats[], notJudged: string[] = [], oom: OomWatch = { limited: [], kills: [] }): BudgetResult[] {
  const results: BudgetResult[] = [];
  const killed = new Map(oom.kills.map((k) => [k.node, k]));
  const set = BUDGETS.filter((b) => b.key && (budgets as Record<string, unknown>)[b.key] !== undefined);
  for (const name of new Set(notJudged)) {
    const why = killed.has(name) ? 'the OOM killer ended this node before the final snapshot' : 'a scenario fault hit this node during the measured window';
    for (const spec of set.filter((b) => b.scope === 'node' && !b.judgesUnmeasured)) {
      for (const budget of spec.names((budgets as Record<string, unknown>)[spec.key!])) {
        results.push({ name: budget, node: name, limit: NaN, observed: NaN, unit: spec.unit, pass: true, skipped: true, message: `not judged: ${why}` });
      }
    }
  }
  // On by default where a node has a memory limit: an OOM kill is the failure users run chainsoak to avoid.
  if (budgets.noOomKill ?? oom.limited.length > 0) {
    for (const node of new Set([...oom.limited, ...killed.keys()])) {
      const kill = killed.get(node);
      results.push({ name: 'no OOM kill', node, limit: 0, observed: kill ? 1 : 0, unit: 'ratio', pass: !kill, message: kill ? kill.message : 'not OOM-killed' });
    }
  }
  for (const m of nodes.filter((n) => !notJudged.includes(n.node))) {
    for (const spec of BUDGETS.filter((b) => b.scope === 'node' && b.key)) {
      const limit = (budgets as Record<string, unknown>)[spec.key!] ?? spec.byDefault?.(m);
      if (limit !== undefined) results.push(...spec.check(limit, { budgets, node: m, workloads }));
    }
  }
  for (const spec of set) if (spec.scope === 'run') results.push(...spec.check((budgets as Record<string, unknown>)[spec.key!], { budgets, workloads }));
  return results;
}

/**
 * The verdict of a run from all its results (budgets, history): fail when any judged result failed.
 * An infrastructure error stays an error whatever the results say.
 */
export function verdictOf(results: readonly BudgetResult[], error?: { exitCode: 2 | 3 | 130 } | null): { verdict: Verdict; exitCode: 0 | 1 | 2 | 3 | 130 } {
  if (error) return { verdict: 'error', exitCode: error.exitCode };
  return results.every((b) => b.pass) ? { verdict: 'pass', exitCode: 0 } : { verdict: 'fail', exitCode: 1 };
}
