/**
 * `chainsoak validate <paths...>`: every check `run` makes before it starts (the schema, the network plan
 * with --node/--runtime/--nodes, the budgets that need the plan), on each file, without building, starting
 * or connecting to anything. One line per file; exit 0 if every file is valid, else 2.
 */
import { ChainsoakError, UsageError } from '../errors.ts';
import { planNetwork, type NetworkPlan } from '../run/plan.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { checkSegmentable } from '../workloads/segment-shares.ts';
import { checkNodeFlag, filesOf, planOverrides, type PlanFlags } from './scenarios.ts';

export async function validateCommand(paths: string[], flags: PlanFlags, signal?: AbortSignal): Promise<void> {
  checkNodeFlag(flags);
  let invalid = 0;
  let valid = 0;
  for (const p of paths) {
    const line = await checked(async () => {
      const files = await filesOf(p);
      if (files.length === 0) throw new UsageError(`${p}: no scenario files found`);
      return files;
    });
    if (typeof line === 'string') {
      invalid += 1;
      process.stderr.write(`chainsoak: ${line}\n`);
      continue;
    }
    for (const file of line) {
      const result = await checked(async () => {
        const scenario = await loadScenarioFile(file, signal ? { signal } : {});
        if (flags.segment) checkSegmentable(scenario, flags.segment);
        return { scenario, plan: planNetwork(scenario, planOverrides(flags)) };
      });
      if (typeof result === 'string') {
        invalid += 1;
        process.stderr.write(`chainsoak: ${result}\n`);
      } else {
        valid += 1;
        process.stdout.write(`ok ${describe(result.scenario, result.plan)} ${file}\n`);
      }
    }
  }
  if (!invalid) return;
  // One file: its line says it all. Several: how many of them were wrong, last.
  if (invalid + valid > 1) throw new UsageError(`${invalid} of ${invalid + valid} scenario files invalid`);
  process.exitCode = 2;
}

/** The value, or the one line a usage error prints; anything else is not the file's fault and escapes. */
async function checked<T>(fn: () => Promise<T>): Promise<T | string> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ChainsoakError && error.exitCode === 2) return error.message;
    throw error;
  }
}

/** "geth-tx-flood (1 node, 1 phase, 5 budgets)": what a run of it would start and judge. */
function describe(scenario: Scenario, plan: NetworkPlan): string {
  const budgets = Object.values(scenario.budgets).filter((b) => b !== undefined && b !== false).length;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return `${scenario.name} (${count(plan.nodes.length, 'node')}, ${count(scenario.phases.length, 'phase')}, ${count(budgets, 'budget')})`;
}
