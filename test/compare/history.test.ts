// Nightly history: real runs append to a history file; a run judged against it passes when it looks
// like its history and fails with a `history:` budget when the history says it should be far smaller.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunSummary } from 'chainsoak';
import { appendHistory, readHistory, type HistoryEntry } from '../../harness/compare/history.ts';
import { cli } from '../helpers.ts';

const MB = 1024 * 1024;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-history-'));
const scenario = 'test/compare/geth-short.ts';

function reportOf(stdout: string): RunSummary {
  const dir = /report: (.*)/.exec(stdout)![1]!.trim();
  return JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
}

function junitOf(summary: RunSummary): string {
  return readFileSync(path.join(summary.reportDir, 'junit.xml'), 'utf8');
}

describe('run history', function () {
  this.timeout(8 * 60_000);
  const history = path.join(tmp, 'nightly', 'history.jsonl');

  it('three runs append three lines; a run with too little history gets a skipped result, not a failure', async () => {
    for (let i = 0; i < 3; i++) {
      const args = ['run', scenario, '--quiet', '--reports', tmp, '--history', history, ...(i === 0 ? ['--against-history', '3'] : [])];
      const r = await cli(args);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      if (i === 0) {
        const summary = reportOf(r.stdout);
        const skipped = summary.budgets.find((b) => b.name === 'history');
        assert.ok(skipped?.skipped && skipped.pass, JSON.stringify(summary.budgets));
        assert.match(skipped.message, /0 earlier run\(s\) of geth-compare-short .* at least 3/);
        assert.match(junitOf(summary), /name="history"[^>]*>\s*<skipped/);
      }
    }
    const entries = await readHistory(history);
    assert.equal(entries.length, 3);
    for (const entry of entries) {
      assert.equal(entry.scenario, 'geth-compare-short');
      assert.equal(entry.verdict, 'pass');
      assert.equal(entry.seed, 11);
      assert.match(entry.nodes[0]!.version, /^v1\.\d+\.\d+$/);
      assert.ok(existsSync(entry.nodes[0]!.binary));
      assert.deepEqual(entry.figures.map((f) => f.key), ['geth.heapInuseGrowth', 'geth.goroutineGrowth', 'geth.rssGrowth', '*.acceptedRate', '*.errorRate', '*.p95Latency']);
    }
  });

  it('a fourth run judged against the last three passes, with a history result per gating figure in summary and JUnit', async () => {
    const r = await cli(['run', scenario, '--quiet', '--reports', tmp, '--history', history, '--against-history', '3']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const summary = reportOf(r.stdout);
    const judged = summary.budgets.filter((b) => b.name.startsWith('history: '));
    assert.deepEqual(judged.map((b) => `${b.node} ${b.name}`), [
      'geth history: heap in-use growth',
      'geth history: goroutine growth',
      'geth history: RSS growth',
      '* history: accepted rate',
      '* history: error rate',
      '* history: p95 latency (worst workload)',
    ]);
    assert.ok(judged.every((b) => b.pass), judged.map((b) => b.message).join('\n'));
    assert.match(judged[0]!.message, /last 3 runs .* this run .*: (same|improved)/);
    assert.match(r.stdout, /history: heap in-use growth/);
    const junit = junitOf(summary);
    assert.equal((junit.match(/<testcase /g) ?? []).length, summary.budgets.length);
    assert.match(junit, /name="history: heap in-use growth"/);
    assert.equal((await readHistory(history)).length, 4);
  });

  it('against a history whose heap growth was edited to be far smaller: a failing history budget, exit 1', async () => {
    const edited = path.join(tmp, 'edited.jsonl');
    const lines = readFileSync(history, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as HistoryEntry);
    for (const entry of lines) {
      for (const figure of entry.figures) if (figure.key === 'geth.heapInuseGrowth') figure.value -= 64 * MB;
    }
    writeFileSync(edited, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await cli(['run', scenario, '--quiet', '--reports', tmp, '--history', edited, '--against-history', '5']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /geth-compare-short: FAIL \(exit 1\)/);
    assert.match(r.stdout, /geth\s*│ history: heap in-use growth .*regressed\s*│ FAIL/);
    const summary = reportOf(r.stdout);
    assert.equal(summary.verdict, 'fail');
    assert.deepEqual(summary.budgets.filter((b) => !b.pass).map((b) => b.name), ['history: heap in-use growth']);
    assert.match(junitOf(summary), /<failure message="geth heap in-use growth \+6\d(\.\d)? MB \(last 4 runs/);
    // Judged once with the budgets, then written once: the HTML report already shows the failed history
    // result and the failed verdict, and the history line records the same verdict.
    const html = readFileSync(path.join(summary.reportDir, 'report.html'), 'utf8');
    assert.match(html, /<tr class="fail"><td>geth<\/td><td[^>]*>history: heap in-use growth<\/td>/);
    assert.doesNotMatch(html, /html-report-failed/);
    const after = await readHistory(edited);
    assert.equal(after.length, 5);
    assert.equal(after[4]!.verdict, 'fail', 'the failed run is recorded with its verdict');
  });

  it('a history file that cannot be written is one line, exit 2, before anything runs', async () => {
    const notADir = path.join(tmp, 'plain-file');
    writeFileSync(notADir, '');
    const reports = path.join(tmp, 'never');
    const r = await cli(['run', scenario, '--quiet', '--reports', reports, '--history', path.join(notADir, 'history.jsonl')]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^chainsoak: --history .*plain-file\/history\.jsonl: cannot append to it/);
    assert.equal(existsSync(reports), false);
  });

  it('concurrent appends stay whole lines; a torn line is skipped when reading', async () => {
    const file = path.join(tmp, 'concurrent', 'history.jsonl');
    const entries = Array.from({ length: 40 }, (_, i) => ({ ...template, seed: i, reportDir: 'x'.repeat(8000 + i) }));
    await Promise.all(entries.map((e) => appendHistory(file, e)));
    writeFileSync(file, readFileSync(file, 'utf8') + '{"scenario":"s","fig');
    const read = await readHistory(file);
    assert.equal(read.length, 40);
    assert.deepEqual(read.map((e) => e.seed).sort((a, b) => a - b), entries.map((e) => e.seed));
    assert.deepEqual(await readHistory(path.join(tmp, 'none.jsonl')), []);
  });
});

const template: HistoryEntry = {
  scenario: 's',
  startedAt: '2026-01-01T00:00:00.000Z',
  seed: 1,
  declaredMs: 1000,
  durationMs: 1000,
  verdict: 'pass',
  exitCode: 0,
  reportDir: '',
  nodes: [],
  figures: [],
};
