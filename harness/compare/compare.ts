/**
 * Compare two builds on one scenario: run it base, candidate, base, candidate… (alternating, so drift of
 * the machine over the session hits both sides alike), same seed, then judge every figure against the
 * noise between runs of the same side. Each run is a normal run with its own report folder.
 */
import { makeDir } from '../fs/make-dir.ts';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { LiveView } from '../report/console.ts';
import type { RunSummary } from '../report/summary.ts';
import { binaryFor, goExperimentOf } from '../run/network.ts';
import { planNetwork } from '../run/plan.ts';
import { runScenario } from '../run/run-scenario.ts';
import { loadScenarioFile, validateScenario } from '../scenario/load.ts';
import type { Scenario, ScenarioInput } from '../scenario/schema.ts';
import { runRecord, type Figure } from './figures.ts';
import { compareRuns, regressions, type FigureComparison } from './noise.ts';

export type Side = 'base' | 'candidate';

export interface CompareOptions {
  /** Node specs, e.g. 'geth@v1.16.7' and 'geth@./build/bin/geth': each replaces the scenario's nodes of its flavor. */
  base: string;
  candidate: string;
  /** Runs per side (default 3). */
  runs?: number;
  seed?: number;
  durationMs?: number;
  /** Parent of the compare folder (default ./reports). */
  reportsDir?: string;
  signal?: AbortSignal;
  /** A live view for one run ('base-1'); none by default. */
  view?: (label: string) => LiveView | undefined;
  /** Progress lines: builds, each run's start and end. */
  log?: (line: string) => void;
}

export interface CompareRun {
  label: string;
  side: Side;
  /** 1-based, per side */
  index: number;
  reportDir: string;
  verdict: RunSummary['verdict'];
  exitCode: RunSummary['exitCode'];
  error: RunSummary['error'];
  nodes: Array<{ name: string; flavor: string; version: string; binary: string }>;
  figures: Figure[];
}

/** compare.json */
export interface CompareResult {
  scenario: string;
  file?: string;
  seed: number;
  dir: string;
  startedAt: string;
  base: string;
  candidate: string;
  runsPerSide: number;
  runs: CompareRun[];
  comparisons: FigureComparison[];
  /** Keys of the gating figures that regressed. */
  regressed: string[];
  verdict: 'no regression' | 'candidate regressed' | 'error';
  /** 0 no regression, 1 regressed, 3 a run failed to run, 130 interrupted. */
  exitCode: 0 | 1 | 3 | 130;
  error: { run: string; message: string; detail?: string } | null;
}

/**
 * Check both specs before anything runs: flavors, that the scenario has a node each replaces, and the
 * binaries (a version that does not exist is a UsageError; a version not yet built is built now).
 */
export async function prepareCompare(scenario: Scenario, options: Pick<CompareOptions, 'base' | 'candidate' | 'signal' | 'log'>): Promise<void> {
  const sides = [['--base', options.base], ['--candidate', options.candidate]] as const;
  // Every spec's scenario check first: a typo in the candidate must not wait for the base's build.
  const resolved = sides.map(([flag, spec]) => ({ flag, spec, specs: named(flag, spec, () => planNetwork(scenario, { node: spec }).nodes) }));
  for (const { flag, spec, specs } of resolved) {
    for (const node of specs) await namedAsync(flag, spec, () => binaryFor(node.spec, options.signal, options.log, goExperimentOf(node)));
  }
}

/** A UsageError names the flag it came from: "--candidate geth@v1.99.0: geth v1.99.0 does not exist ...". */
function named<T>(flag: string, spec: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw rename(flag, spec, error);
  }
}

async function namedAsync<T>(flag: string, spec: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw rename(flag, spec, error);
  }
}

function rename(flag: string, spec: string, error: unknown): unknown {
  if (!(error instanceof UsageError)) return error;
  return new UsageError(`${flag} ${spec}: ${error.message.replace(/^--node \S+: /, '')}`, error.detail === undefined ? undefined : { detail: error.detail });
}

export async function compareBuilds(input: string | ScenarioInput | Scenario, options: CompareOptions): Promise<CompareResult> {
  const scenario = typeof input === 'string' ? await loadScenarioFile(input, options.signal ? { signal: options.signal } : {}) : validateScenario(input, 'scenario');
  const runsPerSide = options.runs ?? 3;
  if (!Number.isInteger(runsPerSide) || runsPerSide < 1) throw new UsageError(`--runs ${runsPerSide}: expected a whole number of at least 1`);
  await prepareCompare(scenario, options);

  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = path.resolve(options.reportsDir ?? 'reports', `compare-${scenario.name}-${stamp}`);
  makeDir(dir);
  const result: CompareResult = {
    scenario: scenario.name,
    ...(scenario.file ? { file: scenario.file } : {}),
    seed: options.seed ?? scenario.seed,
    dir,
    startedAt: startedAt.toISOString(),
    base: options.base,
    candidate: options.candidate,
    runsPerSide,
    runs: [],
    comparisons: [],
    regressed: [],
    verdict: 'no regression',
    exitCode: 0,
    error: null,
  };

  run: for (let index = 1; index <= runsPerSide; index++) {
    for (const side of ['base', 'candidate'] as const) {
      const label = `${side}-${index}`;
      if (options.signal?.aborted) {
        result.exitCode = 130;
        break run;
      }
      options.log?.(`${label}: ${scenario.name} with ${options[side]}`);
      const view = options.view?.(label);
      // runScenario names its folder <scenario>-<stamp>-s<seed>; it goes inside <compare>/<label>/.
      const summary = await runScenario(scenario, {
        node: options[side],
        ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        reportsDir: path.join(dir, label),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(view ? { view } : {}),
      });
      const run = compareRun(label, side, index, summary);
      result.runs.push(run);
      options.log?.(`${label}: ${summary.verdict}${summary.error ? ` (${summary.error.message})` : ''}, report ${summary.reportDir}`);
      // A failed budget is still a measurement; an error or an interrupt leaves nothing to compare.
      if (summary.exitCode === 130 || summary.verdict === 'error') {
        result.verdict = 'error';
        result.exitCode = summary.exitCode === 130 ? 130 : 3;
        result.error = { run: label, message: summary.error?.message ?? 'the run failed', ...(summary.error?.detail ? { detail: summary.error.detail } : {}) };
        break run;
      }
    }
  }

  if (result.exitCode === 0) {
    const figures = (side: Side) => result.runs.filter((r) => r.side === side).map((r) => r.figures);
    result.comparisons = compareRuns(figures('base'), figures('candidate'));
    result.regressed = regressions(result.comparisons).map((c) => c.key);
    if (result.regressed.length) Object.assign(result, { verdict: 'candidate regressed', exitCode: 1 });
  } else if (result.exitCode === 130) {
    result.verdict = 'error';
    result.error ??= { run: `run ${result.runs.length + 1}`, message: 'interrupted' };
  }
  await writeFile(path.join(dir, 'compare.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}

function compareRun(label: string, side: Side, index: number, summary: RunSummary): CompareRun {
  return {
    label,
    side,
    index,
    reportDir: summary.reportDir,
    verdict: summary.verdict,
    exitCode: summary.exitCode,
    error: summary.error,
    ...runRecord(summary),
  };
}
