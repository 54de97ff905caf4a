/** JUnit XML: one test suite per scenario, one test case per budget per node, an error case on exit 3. */
import { createRequire } from 'node:module';
import type { Builder } from 'junit-report-builder';
import { budgetSpecOf } from '../analysis/budget-table.ts';
import type { RunSummary } from './summary.ts';

// Its types declare an ES default export, but the CommonJS module.exports is the builder itself.
const junitRoot = createRequire(import.meta.url)('junit-report-builder') as Builder;

export async function writeJUnit(file: string, summaries: RunSummary[]): Promise<void> {
  const builder = junitRoot.newBuilder();
  for (const summary of summaries) {
    const suite = builder.testSuite().name(`chainsoak.${summary.scenario}`).time(summary.durationMs / 1000);
    for (const budget of summary.budgets) {
      const testCase = suite.testCase().className(`chainsoak.${summary.scenario}.${budget.node === '*' ? 'run' : budget.node}`).name(budget.name);
      const spec = budgetSpecOf(budget.name);
      const about = spec ? `\nreads: ${spec.reads}\njudges: ${spec.judges}` : '';
      testCase.standardOutput(`${budget.message}${budget.warning ? `\nWARNING: ${budget.warning}` : ''}${about}`);
      if (budget.skipped) testCase.skipped();
      else if (!budget.pass) testCase.failure(budget.message, 'budget');
    }
    if (summary.error) {
      suite
        .testCase()
        .className(`chainsoak.${summary.scenario}`)
        .name('run')
        .error(summary.error.message, summary.exitCode === 2 ? 'usage' : 'infrastructure', summary.error.detail ?? '');
    }
  }
  builder.writeTo(file);
}
