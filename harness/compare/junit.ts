/** JUnit XML for a compare: one test case per gating figure, failed when the candidate regressed on it. */
import { createRequire } from 'node:module';
import type { Builder } from 'junit-report-builder';
import type { CompareResult } from './compare.ts';
import { describe } from './noise.ts';

// Its types declare an ES default export, but the CommonJS module.exports is the builder itself.
const junitRoot = createRequire(import.meta.url)('junit-report-builder') as Builder;

export function writeCompareJUnit(file: string, result: CompareResult): void {
  const builder = junitRoot.newBuilder();
  const suite = builder.testSuite().name(`chainsoak.compare.${result.scenario}`);
  for (const c of result.comparisons.filter((x) => x.gating)) {
    const testCase = suite.testCase().className(`chainsoak.compare.${result.scenario}.${c.node ?? 'run'}`).name(`compare: ${c.label}`);
    const message = describe(c);
    testCase.standardOutput(message);
    if (c.verdict === 'missing') testCase.skipped();
    else if (c.verdict === 'regressed') testCase.failure(message, 'regression');
  }
  if (result.error) {
    suite
      .testCase()
      .className(`chainsoak.compare.${result.scenario}`)
      .name(result.error.run)
      .error(result.error.message, result.exitCode === 130 ? 'interrupted' : 'infrastructure', result.error.detail ?? '');
  }
  builder.writeTo(file);
}
