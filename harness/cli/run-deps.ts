/**
 * Everything `run`, `compare`, `nodes install` and `images build` need, behind one dynamic import in
 * cli.ts: importing this loads the run machinery, the workload clients (ethers, cosmjs), the report and
 * the runtimes, about a second of module loading that `--help`, `--version`, `validate` and a usage error
 * never pay.
 */
export { compareBuilds } from '../compare/compare.ts';
export { appendHistory, checkHistoryFile, historyEntry } from '../compare/history.ts';
export { writeCompareJUnit } from '../compare/junit.ts';
export { compareTable } from '../compare/table.ts';
export { ensureBinary, flavorBuild } from '../nodes/install.ts';
export { parseNodeSpec } from '../nodes/node-spec.ts';
export { flavors } from '../nodes/registry.ts';
export { ConsoleView } from '../report/console.ts';
export { writeJUnit } from '../report/junit.ts';
export { verdictTable } from '../report/table.ts';
export { binaryFor, goExperimentOf } from '../run/network.ts';
export { runScenario } from '../run/run-scenario.ts';
