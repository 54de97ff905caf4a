/**
 * The chainsoak command line. User mistakes print one line and exit 2; infrastructure failures one
 * line (plus a log tail) and exit 3; a failed budget exits 1. Never a stack trace for a user mistake.
 */
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { checkInputFolder, checkOutputFile, checkOutputFolder, durationArg, nonEmptyArg, positiveIntArg, seedArg, tagsArg } from './cli/flags.ts';
import { exitOnSignals, printRunError, runToExit } from './cli/exit.ts';
import { dropEmptyEnv, envOption, planOptions, segmentOption } from './cli/options.ts';
import { humanOutput, printJson } from './cli/output.ts';
import type { PlanFlags } from './cli/scenarios.ts';
import { versionLine } from './cli/version.ts';
import { InfraError, UsageError } from './errors.ts';
import { GOROUTINE_LEAK_EXPERIMENT, listInstalled } from './nodes/install.ts';
import type { RunSummary } from './report/summary.ts';

// Only what --help, --version and a usage error need is imported above; each command loads the rest itself,
// so starting the CLI costs little more than commander.
const runDeps = () => import('./cli/run-deps.ts');

const interrupt = new AbortController();
exitOnSignals(interrupt);
/** The reports folder of the command running, where an unexpected error's stack is written. */
let reportsDir: string | undefined;

const program = new Command('chainsoak')
  .description('Chaos, load and leak harness for blockchain nodes')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`chainsoak: ${text.replace(/^error: /, '').trim().split('\n').join(' ')}\n`) })
  .showSuggestionAfterError(true)
  .addOption(new Option('-V, --version', 'print the versions of chainsoak, Node and Go'))
  .on('option:version', () => {
    // As commander's own .version() ends: its exit-0 error, which the command's end below turns into exit 0
    // (the versions are worked out only when asked for: Go's takes a process).
    process.stdout.write(versionLine() + '\n');
    throw new CommanderError(0, 'commander.version', 'version printed');
  });
dropEmptyEnv();

/** A command over scenario files and folders, planned with the overrides run uses (--node, --runtime, --nodes). */
const scenarioCommand = (name: string, description: string) =>
  program
    .command(name)
    .description(description)
    .argument('<paths...>', 'scenario files or folders')
    .addOption(planOptions.node())
    .addOption(planOptions.runtime())
    .addOption(planOptions.nodes())
    .addOption(segmentOption('send only segment i of n of every workload (its share of the rate and count, its own senders and keys)'));

scenarioCommand('run', 'run scenario files (or every scenario in a folder) and print a verdict')
  .addOption(envOption('tag', '--tag <tag>', 'run only the scenarios with this tag (repeatable, or comma-separated: any of them)').argParser(tagsArg))
  .addOption(envOption('duration', '--duration <duration>', "total duration of the phases, e.g. '5m' (proportions kept)").argParser(durationArg))
  .addOption(envOption('seed', '--seed <n>', 'seed for every random choice').argParser(seedArg))
  .option('--keep', 'keep node data directories after the run')
  .addOption(envOption('junit', '--junit <file>', 'also write one JUnit file for all scenarios here').argParser(nonEmptyArg))
  .addOption(envOption('reports', '--reports <dir>', 'folder for run reports').argParser(nonEmptyArg).default('reports'))
  .addOption(envOption('history', '--history <file>', 'append each run to this history file (default <reports>/history.jsonl)').argParser(nonEmptyArg))
  .addOption(envOption('againstHistory', '--against-history <n>', 'also judge each run against the last n runs of its scenario in the history').argParser(positiveIntArg))
  .option('--fail-fast', 'stop after the first scenario that does not pass (its exit code)')
  .option('--json', 'print the runs\' summaries as a JSON array on stdout (each as its summary.json); human lines go to stderr')
  .addOption(new Option('--quiet', 'no live view, only the verdict'))
  .addOption(envOption('loadStats', '--load-stats <dir>', 'fold the stats of the `chainsoak load` segments written into this folder into the report (the run sends only its own --segment, if any)').argParser(nonEmptyArg))
  .action(runCommand);

program
  .command('load')
  .description("send only the workloads of a scenario's phases, as one segment, to running nodes; write their stats for the judging run")
  .argument('<scenario>', 'scenario file')
  .addOption(planOptions.node())
  .addOption(planOptions.runtime())
  .addOption(planOptions.nodes())
  .addOption(segmentOption('the segment this process sends: i of n (default 1/1, the whole load)'))
  .addOption(envOption('loadStats', '--load-stats <file>', 'write the stats here (a folder: a file named after the scenario and segment in it)').argParser(nonEmptyArg).makeOptionMandatory())
  .addOption(envOption('duration', '--duration <duration>', "total duration of the phases, e.g. '5m' (proportions kept)").argParser(durationArg))
  .addOption(envOption('seed', '--seed <n>', "seed for every random choice: the judging run's").argParser(seedArg))
  .addOption(new Option('--quiet', 'no progress lines, only the figures'))
  .action(async (file: string, flags: import('./cli/load.ts').LoadFlags) => (await import('./cli/load.ts')).loadCommand(file, flags, interrupt.signal));

scenarioCommand('validate', 'check scenario files (or folders) as run does before it starts, without building or starting anything')
  .action(async (paths: string[], flags: PlanFlags) => (await import('./cli/validate.ts')).validateCommand(paths, flags, interrupt.signal));

program
  .command('compare')
  .description('run a scenario alternately on two builds and say whether the candidate regressed (exit 1)')
  .argument('<scenario>', 'scenario file')
  .requiredOption('--base <spec>', 'the reference build: geth, geth@v1.16.7 or geth@/path/to/geth', nonEmptyArg)
  .requiredOption('--candidate <spec>', 'the build under test, in the same forms', nonEmptyArg)
  .option('--runs <n>', 'runs per side (base, candidate, base, candidate, ...)', positiveIntArg, 3)
  .addOption(envOption('duration', '--duration <duration>', "total duration of the phases, e.g. '5m' (proportions kept)").argParser(durationArg))
  .addOption(envOption('seed', '--seed <n>', 'seed for every random choice (the same for every run)').argParser(seedArg))
  .addOption(envOption('reports', '--reports <dir>', 'parent folder of the compare folder').argParser(nonEmptyArg).default('reports'))
  .addOption(envOption('junit', '--junit <file>', 'also write JUnit here: one test case per gating figure').argParser(nonEmptyArg))
  .option('--json', 'print the comparison as JSON on stdout (as its compare.json); human lines go to stderr')
  .addOption(new Option('--quiet', 'no live view, only the verdict'))
  .action(compareCommand);

const nodes = program.command('nodes').description('node binaries built from the Go module proxy');
nodes
  .command('install')
  .description('build node binaries into the cache: geth, geth@v1.17.10')
  .argument('<specs...>')
  .option('--proven-leaks', `build with GOEXPERIMENT=${GOROUTINE_LEAK_EXPERIMENT}, as a node with provenLeaks: true runs`)
  .action(async (specs: string[], flags: { provenLeaks?: boolean }) => {
    const { ensureBinary, flavors, parseNodeSpec } = await runDeps();
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
    const { binaryFor, flavors, parseNodeSpec } = await runDeps();
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

interface RunFlags extends PlanFlags {
  tag?: string[];
  duration?: number;
  seed?: number;
  keep?: boolean;
  junit?: string;
  reports: string;
  history?: string;
  againstHistory?: number;
  failFast?: boolean;
  json?: boolean;
  quiet?: boolean;
  loadStats?: string;
}

async function runCommand(paths: string[], opts: RunFlags): Promise<void> {
  // The checks first, without the run machinery: a mistake in a flag or a scenario costs little.
  const { planOverrides, planRun } = await import('./cli/scenarios.ts');
  const planned = await planRun(paths, opts, interrupt.signal);
  if (opts.segment || opts.loadStats !== undefined) {
    const { checkSegmentOptions } = await import('./workloads/segment-shares.ts');
    if (opts.loadStats !== undefined) checkInputFolder('--load-stats', opts.loadStats);
    for (const { scenario } of planned) checkSegmentOptions(scenario, opts);
  }
  const { appendHistory, binaryFor, checkHistoryFile, ConsoleView, goExperimentOf, historyEntry, runScenario, verdictTable, writeJUnit } = await runDeps();
  // A --history elsewhere first (one that cannot be written leaves no empty reports folder behind); the
  // default one lives in the reports folder, which is checked first then, so the error names --reports.
  const historyFile = opts.history ?? path.join(opts.reports, 'history.jsonl');
  if (opts.history !== undefined) await checkHistoryFile(historyFile);
  reportsDir = opts.reports;
  checkOutputFolder('--reports', opts.reports);
  if (opts.history === undefined) await checkHistoryFile(historyFile);
  if (opts.junit !== undefined) checkOutputFile('--junit', opts.junit);
  // Resolve and build every node binary up front: a version that does not exist fails here, in one line.
  for (const { plan } of planned) {
    if (plan.runtime === 'external') continue; // nothing to build: the nodes run elsewhere
    for (const node of plan.nodes) {
      await binaryFor(node.spec, interrupt.signal, (line) => process.stderr.write(`  ${line}\n`), goExperimentOf(node));
    }
  }

  const human = humanOutput(opts);
  const summaries: RunSummary[] = [];
  /** The scenarios the run means to run: all, unless --fail-fast stops it (those left are then not owed). */
  let owed = planned.length;
  for (const [i, { scenario }] of planned.entries()) {
    if (interrupt.signal.aborted) break;
    const view = opts.quiet ? undefined : new ConsoleView(`chainsoak ${scenario.name}`);
    const summary = await runScenario(scenario, {
      ...planOverrides(opts),
      ...(opts.duration !== undefined ? { durationMs: opts.duration } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      keep: Boolean(opts.keep),
      reportsDir: opts.reports,
      ...(opts.segment ? { segment: opts.segment } : {}),
      ...(opts.loadStats !== undefined ? { loadStats: opts.loadStats } : {}),
      signal: interrupt.signal,
      ...(view ? { view } : {}),
      history: { file: historyFile, ...(opts.againstHistory !== undefined ? { against: opts.againstHistory } : {}) },
    });
    await appendHistory(historyFile, historyEntry(summary));
    summaries.push(summary);
    human.write(verdictTable(summary) + '\n');
    printRunError(summary.error, path.join(summary.reportDir, 'summary.json'));
    const rest = planned.slice(i + 1);
    if (opts.failFast && summary.exitCode !== 0 && rest.length) {
      process.stderr.write(`--fail-fast: ${summary.scenario} did not pass (exit ${summary.exitCode}); not run: ${rest.map((p) => p.scenario.name).join(', ')}\n`);
      owed = summaries.length;
      break;
    }
  }
  if (opts.junit) {
    await writeJUnit(path.resolve(opts.junit), summaries);
    human.write(`junit: ${opts.junit}\n`);
  }
  printJson(opts, summaries);
  process.exitCode = combinedExitCode(summaries, owed);
}

async function compareCommand(file: string, opts: { base: string; candidate: string; runs: number; duration?: number; seed?: number; reports: string; junit?: string; json?: boolean; quiet?: boolean }): Promise<void> {
  const { compareBuilds, compareTable, ConsoleView, flavors, parseNodeSpec, writeCompareJUnit } = await runDeps();
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
  const human = humanOutput(opts);
  human.write(compareTable(result) + '\n');
  printRunError(result.error, path.join(result.dir, 'compare.json'));
  if (opts.junit) {
    writeCompareJUnit(path.resolve(opts.junit), result);
    human.write(`junit: ${opts.junit}\n`);
  }
  printJson(opts, result);
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
