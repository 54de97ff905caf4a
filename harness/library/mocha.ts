/**
 * Mocha helpers (`chainsoak/mocha`) for a node team's own test suite: a scenario run as one test that
 * fails, with chainsoak's verdict table as its message, when a budget fails or the run errs. No import
 * of mocha: `it` is the global that mocha's BDD interface sets, so chainsoak does not pin a mocha version.
 */
import { UsageError } from '../errors.ts';
import { verdictTable } from '../report/table.ts';
import type { RunOptions } from '../run/context.ts';
import { runScenario, type RunResult } from '../run/run-scenario.ts';
import type { Scenario, ScenarioInput } from '../scenario/schema.ts';

/** A run whose verdict is not 'pass': the message is the verdict table, `summary` the whole summary.json. */
export class ScenarioFailed extends Error {
  constructor(readonly summary: RunResult) {
    super(verdictTable(summary));
    this.name = 'ScenarioFailed';
  }
}

/** Throws ScenarioFailed unless every budget of the run passed (verdict 'fail': exit 1, 'error': exit 3). */
export function assertNoLeaks(summary: RunResult): void {
  if (summary.verdict !== 'pass') throw new ScenarioFailed(summary);
}

export interface ItRunsScenarioOptions extends RunOptions {
  /** The test's title; default "scenario <file or name> passes its budgets". */
  title?: string;
  /** Mocha timeout of the test; default none: the run ends by its own phases and start-up deadlines. */
  timeoutMs?: number;
}

interface MochaTestContext {
  timeout(ms: number): unknown;
}
type MochaIt = (title: string, fn: (this: MochaTestContext) => Promise<void>) => unknown;

/** Declares a mocha test that runs the scenario (a file path, relative to the working directory, or an object) and asserts no leaks. */
export function itRunsScenario(scenario: string | ScenarioInput | Scenario, options: ItRunsScenarioOptions = {}): unknown {
  const it = (globalThis as { it?: MochaIt }).it;
  if (typeof it !== 'function') throw new UsageError('itRunsScenario: no global it(): call it in a test file that mocha loads (BDD interface)');
  const { title, timeoutMs, ...runOptions } = options;
  const name = typeof scenario === 'string' ? scenario : (scenario.name ?? 'scenario');
  return it(title ?? `scenario ${name} passes its budgets`, async function () {
    this.timeout(timeoutMs ?? 0);
    assertNoLeaks(await runScenario(scenario, runOptions));
  });
}
