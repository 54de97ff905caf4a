/**
 * Nightly history: every run appends one JSON line per scenario (its figures, node versions, verdict)
 * to a history file, and `--against-history N` judges a run against the last N runs of the same
 * scenario with the same noise machinery as compare. A figure beyond the history's band is a failing
 * budget result `history: <figure>`, so it reaches the exit code and JUnit like any budget: runScenario
 * judges it with the budgets (RunOptions.history), before the report is written, once.
 */
import { appendFile, open, readFile } from 'node:fs/promises';
import { makeDir } from '../fs/make-dir.ts';
import path from 'node:path';
import type { BudgetResult } from '../analysis/budgets.ts';
import { UsageError } from '../errors.ts';
import type { RunSummary } from '../report/summary.ts';
import { runFigures, runRecord, type Figure, type FigureUnit } from './figures.ts';
import { compareRuns, describe, type FigureComparison } from './noise.ts';

/** Fewer earlier runs than this have no spread worth a verdict: the history result is skipped. */
export const MIN_HISTORY = 3;

/** One line of the history file. */
export interface HistoryEntry {
  scenario: string;
  file?: string;
  startedAt: string;
  seed: number;
  /** Warm-up + phases + cool-down: growth depends on it, so only runs of the same length are compared. */
  declaredMs: number;
  durationMs: number;
  verdict: RunSummary['verdict'];
  exitCode: RunSummary['exitCode'];
  reportDir: string;
  nodes: Array<{ name: string; flavor: string; version: string; binary: string }>;
  figures: Figure[];
}

export function historyEntry(summary: RunSummary): HistoryEntry {
  return {
    scenario: summary.scenario,
    ...(summary.file ? { file: summary.file } : {}),
    startedAt: summary.startedAt,
    seed: summary.seed,
    declaredMs: summary.declaredMs,
    durationMs: summary.durationMs,
    verdict: summary.verdict,
    exitCode: summary.exitCode,
    reportDir: summary.reportDir,
    ...runRecord(summary),
  };
}

/**
 * Before any run: a history file that cannot be appended to is a usage error, not a lost night; so is a
 * file that is something else (a JUnit report given by mistake), which appending would spoil.
 */
export async function checkHistoryFile(file: string): Promise<void> {
  let head: string;
  try {
    makeDir(path.dirname(path.resolve(file)));
    const handle = await open(file, 'a+');
    try {
      const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(64 * 1024), position: 0 });
      head = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new UsageError(`--history ${file}: cannot append to it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const first = head.split('\n').find((line) => line.trim());
  if (first !== undefined && !isHistoryLine(first)) throw new UsageError(`--history ${file}: not a chainsoak history file (its first line is not a run entry); give another file`);
}

function isHistoryLine(line: string): boolean {
  try {
    const entry = JSON.parse(line) as Partial<HistoryEntry> | null;
    return typeof entry?.scenario === 'string' && Array.isArray(entry.figures);
  } catch {
    return false;
  }
}

/** One write of one line with O_APPEND: runs appending at once (parallel CI jobs) do not interleave. */
export async function appendHistory(file: string, entry: HistoryEntry): Promise<void> {
  makeDir(path.dirname(path.resolve(file)));
  await appendFile(file, JSON.stringify(entry) + '\n');
}

/** Every entry of the file, oldest first; a missing file is an empty history, a torn line is skipped. */
export async function readHistory(file: string): Promise<HistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text.split('\n').flatMap((line) => {
    if (!line.trim()) return [];
    return isHistoryLine(line) ? [JSON.parse(line) as HistoryEntry] : [];
  });
}

/**
 * Judge a run against the last `count` measured runs of its scenario with the same declared duration
 * (node versions may differ: that is the point of a nightly). One result per gating figure; fewer than
 * MIN_HISTORY earlier runs give one skipped result.
 */
export function judgeAgainstHistory(summary: RunSummary, history: HistoryEntry[], count: number, file: string): BudgetResult[] {
  const prior = history.filter((e) => e.scenario === summary.scenario && e.verdict !== 'error' && e.declaredMs === summary.declaredMs && e.figures.length).slice(-count);
  if (prior.length < MIN_HISTORY) {
    const message = `${prior.length} earlier run(s) of ${summary.scenario} of the same duration in ${file}; judging against history needs at least ${MIN_HISTORY}`;
    return [{ name: 'history', node: '*', limit: NaN, observed: NaN, unit: 'ratio', pass: true, skipped: true, message }];
  }
  const names = { base: `last ${prior.length} runs`, candidate: 'this run' };
  return compareRuns(prior.map((e) => e.figures), [runFigures(summary)])
    .filter((c) => c.gating && c.verdict !== 'missing')
    .map((c) => historyResult(c, describe(c, names)));
}

/**
 * As a budget: observed is how much worse than the history's centre the run is (positive = worse,
 * whichever way the figure is worse), the limit is the noise band. Rates are relative (a ratio), since
 * budget units have no operations per second.
 */
function historyResult(c: FigureComparison, message: string): BudgetResult {
  const worse = c.worseWhen === 'higher' ? c.difference : -c.difference;
  const relative = c.unit === 'ops/s' && c.base.center !== 0;
  return {
    name: `history: ${c.label}`,
    node: c.node ?? '*',
    observed: relative ? worse / Math.abs(c.base.center) : worse,
    limit: relative ? c.band / Math.abs(c.base.center) : c.band,
    unit: budgetUnit(c.unit),
    pass: c.verdict !== 'regressed',
    message,
  };
}

function budgetUnit(unit: FigureUnit): BudgetResult['unit'] {
  if (unit.startsWith('bytes')) return 'bytes';
  if (unit.startsWith('goroutines')) return 'goroutines';
  return unit === 'ms' ? 'ms' : 'ratio';
}
