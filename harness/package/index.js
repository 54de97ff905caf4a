// `import 'chainsoak'`: the instance already running in this process (the runner that is loading this
// scenario file, or a test's earlier import), else the implementation's own; see implementation.js.
import { implementation, SHARED_API } from './implementation.js';

const api = (globalThis[SHARED_API] ??= await import(implementation('index')));

// Keep in step with harness/index.ts (test/package/entry.test.ts compares the two).
export const {
  runScenario,
  declaredMs,
  Interrupted,
  compareBuilds,
  compareTable,
  defineScenario,
  loadScenarioFile,
  validateScenario,
  verdictTable,
  BUDGETS,
  ChainsoakError,
  UsageError,
  InfraError,
  isChainsoakError,
  flavors,
  buildLeakyNode,
  LEAK_PATTERNS,
  defineWorkload,
  z,
} = api;
