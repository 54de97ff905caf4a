/**
 * The chainsoak command line. User mistakes print one line and exit 2; infrastructure failures one
 * line (plus a log tail) and exit 3; a failed budget exits 1. Never a stack trace for a user mistake.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { checkOutputFile, checkOutputFolder, durationArg, nonEmptyArg, positiveIntArg, seedArg } from './cli-flags.ts';
import { compareBuilds } from './compare/compare.ts';
import { appendHistory, checkHistoryFile, historyEntry } from './compare/history.ts';
import { writeCompareJUnit } from './compare/junit.ts';
import { compareTable } from './compare/table.ts';
import { exitOnSignals, printRunError, runToExit } from './cli-exit.ts';
import { InfraError, UsageError } from './errors.ts';
import { ensureBinary, GOROUTINE_LEAK_EXPERIMENT, listInstalled } from './nodes/install.ts';
import { parseNodeSpec } from './nodes/node-spec.ts';
import { flavors } from './nodes/registry.ts';
import { ConsoleView } from './report/console.ts';
import { writeJUnit } from './report/junit.ts';
import type { RunSummary } from './report/summary.ts';
import { verdictTable } from './report/table.ts';
import { binaryFor, goExperimentOf } from './run/network.ts';
import { planNetwork } from './run/plan.ts';
import { runScenario } from './run/run-scenario.ts';
import { loadScenarioFile, scenarioFilesIn } from './scenario/load.ts';

const interrupt = new AbortController();
exitOnSignals(interrupt);
/** The reports folder of the command running, where an unexpected error's stack is written. */
let reportsDir: string | undefined;

const program = new Command('chainsoak')
  .description('Chaos, load and leak harness for blockchain nodes')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`chainsoak: ${text.replace(/^error: /, '').trim().split('\n').join(' ')}\n`) })
  .showSuggestionAfterError(true);

program
  .command('run')
  .description('run scenario files (or every scenario in a folder) and print a verdict')
  .argument('<paths...>', 'scenario files or folders')
  .option('--node <spec>', 'replace the scenario nodes of this flavor: geth@v1.16.7 or geth@/path/to/geth', nonEmptyArg)
  .addOption(new Option('--runtime <kind>', "where the nodes run (default: the scenario's runtime, else process)").choices(['process', 'container', 'external']))
  .option('--nodes <file>', 'with --runtime external: a JSON file with each running node\'s URLs (see docker-compose.nodes.json)', nonEmptyArg)
  .option('--duration <duration>', "total duration of the phases, e.g. '5m' (proportions kept)", durationArg)
  .option('--seed <n>', 'seed for every random choice', seedArg)
  .option('--keep', 'keep node data directories after the run')
  .option('--junit <file>', 'also write one JUnit file for all scenarios here', nonEmptyArg)
  .option('--reports <dir>', 'folder for run reports', nonEmptyArg, 'reports')
  .option('--history <file>', 'append each run to this history file (default <reports>/history.jsonl)', nonEmptyArg)
  .option('--against-history <n>', 'also judge each run against the last n runs of its scenario in the history', positiveIntArg)
  .addOption(new Option('--quiet', 'no live view, only the verdict'))
  .action(runCommand);

program
  .command('compare')
  .description('run a scenario alternately on two builds and say whether the candidate regressed (exit 1)')
  .argument('<scenario>', 'scenario file')
  .requiredOption('--base <spec>', 'the reference build: geth, geth@v1.16.7 or geth@/path/to/geth', nonEmptyArg)
  .requiredOption('--candidate <spec>', 'the build under test, in the same forms', nonEmptyArg)
  .option('--runs <n>', 'runs per side (base, candidate, base, candidate, ...)', positiveIntArg, 3)
  .option('--duration <duration>', "total duration of the phases, e.g. '5m' (proportions kept)", durationArg)
  .option('--seed <n>', 'seed for every random choice (the same for every run)', seedArg)
  .option('--reports <dir>', 'parent folder of the compare folder', nonEmptyArg, 'reports')
  .option('--junit <file>', 'also write JUnit here: one test case per gating figure', nonEmptyArg)
  .addOption(new Option('--quiet', 'no live view, only the verdict'))
  .action(compareCommand);

const nodes = program.command('nodes').description('node binaries built from the Go module proxy');
nodes
  .command('install')
  .description('build node binaries into the cache: geth, geth@v1.17.10')
  .argument('<specs...>')
  .option('--proven-leaks', `build with GOEXPERIMENT=${GOROUTINE_LEAK_EXPERIMENT}, as a node with provenLeaks: true runs`)
  .action(async (specs: string[], flags: { provenLeaks?: boolean }) => {
    // Every spec checked before any build: a typo in the last one must not cost the first one's build.
    const parsed = specs.map((text) => {
      const spec = parseNodeSpec(text, flavors);
      if (spec.binaryPath) throw new UsageError(`${text}: a path needs no install`);
      return spec;
    });
    for (const spec of parsed) {
      const binary = await ensureBinary(spec.flavor.name, spec.flavor.build, spec.version, {
        signal: interrupt.signal,
        onProgress: (line) => process.stderr.write(`  ${line}\n`),
        ...(flags.provenLeaks ? { goExperiment: GOROUTINE_LEAK_EXPERIMENT } : {}),
      });
      process.stdout.write(`${spec.flavor.name} ${spec.version}${flags.provenLeaks ? ` (GOEXPERIMENT=${GOROUTINE_LEAK_EXPERIMENT})` : ''}: ${binary}\n`);
    }
  });
nodes
  .command('list')
  .description('list cached node binaries')
  .action(() => {
    const installed = listInstalled();
    if (installed.length === 0) process.stdout.write('no node binaries cached yet\n');
    for (const n of installed) process.stdout.write(`${n.flavor}@${n.version}\t${n.goVersion}\t${n.builtAt}\t${n.path}\n`);
  });

const images = program.command('images').description('container images of node binaries, built locally (FROM scratch, nothing pulled)');
images
  .command('build')
  .description('build chainsoak/<flavor>:<version> images from the cached binaries (building those first): geth, cometbft@v0.38.26')
  .argument('<specs...>')
  .action(async (specs: string[]) => {
    const parsed = specs.map((text) => parseNodeSpec(text, flavors)); // every spec checked before any build
    const { buildNodeImage, dockerStatus } = await import('./runtimes/docker/index.ts');
    const status = await dockerStatus();
    if (!status.ok) throw new InfraError(`Docker is not available: ${status.reason}`);
    for (const spec of parsed) {
      const binary = await binaryFor(spec, interrupt.signal, (line) => process.stderr.write(`  ${line}\n`));
      const name = path.basename(binary);
      const tag = await buildNodeImage({ flavor: spec.flavor.name, version: spec.version, binaries: { [name]: binary }, entrypoint: name });
      process.stdout.write(`${spec.flavor.name} ${spec.version}: ${tag}\n`);
    }
  });

interface RunFlags {
  node?: string;
  runtime?: 'process' | 'container' | 'external';
  nodes?: string;
  duration?: number;
  seed?: number;
  keep?: boolean;
  junit?: string;
  reports: string;
  history?: string;
  againstHistory?: number;
  quiet?: boolean;
}

async function runCommand(paths: string[], opts: RunFlags): Promise<void> {
  const files: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new UsageError(`${p}: no such scenario file or folder`);
    }
    files.push(...(isDir ? await scenarioFilesIn(p) : [p]));
  }
  if (files.length === 0) throw new UsageError(`${paths.join(' ')}: no scenario files found`);
  // Every check before anything is built or started: flags, scenarios, then the paths the run writes.
  if (opts.node !== undefined) parseNodeSpec(opts.node, flavors);
  const scenarios = [];
  for (const file of files) scenarios.push(await loadScenarioFile(file, { signal: interrupt.signal })); // validate all before running any
  // A --history elsewhere first (one that cannot be written leaves no empty reports folder behind); the
  // default one lives in the reports folder, which is checked first then, so the error names --reports.
  const historyFile = opts.history ?? path.join(opts.reports, 'history.jsonl');
  if (opts.history !== undefined) await checkHistoryFile(historyFile);
  reportsDir = opts.reports;
  checkOutputFolder('--reports', opts.reports);
  if (opts.history === undefined) await checkHistoryFile(historyFile);
  if (opts.junit !== undefined) checkOutputFile('--junit', opts.junit);
  // Resolve and build every node binary up front: a version that does not exist fails here, in one line.
  for (const scenario of scenarios) {
    const plan = planNetwork(scenario, { ...(opts.node ? { node: opts.node } : {}), ...(opts.runtime ? { runtime: opts.runtime } : {}), ...(opts.nodes ? { nodesFile: opts.nodes } : {}) });
    if (plan.runtime === 'external') continue; // nothing to build: the nodes run elsewhere
    for (const node of plan.nodes) {
      await binaryFor(node.spec, interrupt.signal, (line) => process.stderr.write(`  ${line}\n`), goExperimentOf(node));
    }
  }

  const summaries: RunSummary[] = [];
  for (const scenario of scenarios) {
    if (interrupt.signal.aborted) break;
    const view = opts.quiet ? undefined : new ConsoleView(`chainsoak ${scenario.name}`);
    const summary = await runScenario(scenario, {
      ...(opts.node ? { node: opts.node } : {}),
      ...(opts.runtime ? { runtime: opts.runtime } : {}),
      ...(opts.nodes ? { nodesFile: opts.nodes } : {}),
      ...(opts.duration !== undefined ? { durationMs: opts.duration } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      keep: Boolean(opts.keep),
      reportsDir: opts.reports,
      signal: interrupt.signal,
      ...(view ? { view } : {}),
      history: { file: historyFile, ...(opts.againstHistory !== undefined ? { against: opts.againstHistory } : {}) },
    });
    await appendHistory(historyFile, historyEntry(summary));
    summaries.push(summary);
    process.stdout.write(verdictTable(summary) + '\n');
    printRunError(summary.error, path.join(summary.reportDir, 'summary.json'));
  }
  if (opts.junit) {
    await writeJUnit(path.resolve(opts.junit), summaries);
    process.stdout.write(`junit: ${opts.junit}\n`);
  }
  process.exitCode = combinedExitCode(summaries, scenarios.length);
}

async function compareCommand(file: string, opts: { base: string; candidate: string; runs: number; duration?: number; seed?: number; reports: string; junit?: string; quiet?: boolean }): Promise<void> {
  // Cheap checks first, so a typo fails before the scenario loads or a build starts.
  for (const [flag, spec] of [['--base', opts.base], ['--candidate', opts.candidate]] as const) {
    try {
      parseNodeSpec(spec, flavors);
    } catch (error) {
      throw error instanceof UsageError ? new UsageError(`${flag} ${spec}: ${error.message}`) : error;
    }
  }
  reportsDir = opts.reports;
  checkOutputFolder('--reports', opts.reports);
  if (opts.junit !== undefined) checkOutputFile('--junit', opts.junit);
  const log = (line: string) => process.stderr.write(`  ${line}\n`);
  const result = await compareBuilds(file, {
    base: opts.base,
    candidate: opts.candidate,
    runs: opts.runs,
    ...(opts.duration !== undefined ? { durationMs: opts.duration } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    reportsDir: opts.reports,
    signal: interrupt.signal,
    log,
    ...(opts.quiet ? {} : { view: (label: string) => new ConsoleView(`chainsoak compare ${label}`) }),
  });
  process.stdout.write(compareTable(result) + '\n');
  printRunError(result.error, path.join(result.dir, 'compare.json'));
  if (opts.junit) {
    writeCompareJUnit(path.resolve(opts.junit), result);
    process.stdout.write(`junit: ${opts.junit}\n`);
  }
  process.exitCode = result.exitCode;
}

/** Interrupted beats infrastructure error beats failed budget beats pass; scenarios left unrun are never a pass. */
function combinedExitCode(summaries: RunSummary[], planned: number): number {
  const codes = summaries.map((s) => s.exitCode);
  if (summaries.length < planned) codes.push(interrupt.signal.aborted ? 130 : 3);
  for (const code of [130, 3, 2, 1] as const) if (codes.includes(code)) return code;
  return 0;
}


await runToExit(
  async () => {
    try {
      await program.parseAsync(process.argv);
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      process.exitCode = error.exitCode === 0 ? 0 : 2; // commander already printed its one line
    }
  },
  { reportsDir: () => reportsDir, interrupted: () => interrupt.signal.aborted },
);
