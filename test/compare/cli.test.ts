// `chainsoak compare` through the real CLI: a build against itself, and the mistakes that must stop it
// before anything runs.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flavors } from 'chainsoak';
import type { CompareResult } from '../../harness/compare/compare.ts';
import { parseNodeSpec } from '../../harness/nodes/node-spec.ts';
import { binaryFor } from '../../harness/run/network.ts';
import { cli, interruptOnceNodeRuns, processesMatching } from '../helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-compare-cli-'));
const scenario = 'test/compare/geth-short.ts';

function assertOneLine(stderr: string, ...needles: string[]): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\bat .*\.(ts|js):\d+/, 'no stack trace');
  for (const needle of needles) assert.ok(lines[0]!.includes(needle), `"${lines[0]}" should mention ${needle}`);
}

describe('chainsoak compare', function () {
  this.timeout(6 * 60_000);

  it('the pinned geth against the same binary by path: no regression, exit 0, compare.json and JUnit', async () => {
    // The cached default build, named by path: the candidate goes through the `flavor@/path` route.
    const gethPath = await binaryFor(parseNodeSpec('geth', flavors));
    const reports = path.join(tmp, 'itself');
    const junit = path.join(tmp, 'itself.xml');
    const r = await cli(['compare', scenario, '--base', 'geth', '--candidate', `geth@${gethPath}`, '--runs', '2', '--quiet', '--reports', reports, '--junit', junit]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^no regression: /m);
    const dir = /^compare: (.*)$/m.exec(r.stdout)![1]!.trim();
    assert.equal(path.dirname(dir), reports);
    assert.match(path.basename(dir), /^compare-geth-compare-short-\d{8}-\d{6}$/);
    const result = JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')) as CompareResult;
    assert.equal(result.exitCode, 0);
    assert.equal(result.verdict, 'no regression');
    // Alternating, same seed, each run in its own folder.
    assert.deepEqual(result.runs.map((run) => run.label), ['base-1', 'candidate-1', 'base-2', 'candidate-2']);
    assert.deepEqual(readdirSync(dir).sort(), ['base-1', 'base-2', 'candidate-1', 'candidate-2', 'compare.json']);
    for (const run of result.runs) {
      assert.equal(path.dirname(path.dirname(run.reportDir)), dir);
      assert.match(run.reportDir, /-s11$/);
      assert.ok(existsSync(path.join(run.reportDir, 'summary.json')));
      assert.equal(run.figures.length, 6);
      assert.equal(run.nodes[0]!.binary, gethPath);
      assert.equal(run.nodes[0]!.version, run.side === 'base' ? flavors.get('geth')!.defaultVersion : 'custom');
    }
    assert.equal(result.comparisons.length, 6);
    assert.deepEqual(result.regressed, []);
    for (const c of result.comparisons) {
      assert.equal(c.base.n, 2);
      assert.equal(c.candidate.n, 2);
      assert.ok(c.band > 0 && c.band >= c.floor);
    }
    // The table: one row per figure with both sides, the difference, the band and the verdict.
    assert.match(r.stdout, /│ figure\s+│ base\s+│ candidate\s+│ difference\s+│ noise band\s+│ verdict\s+│/);
    assert.match(r.stdout, /│ geth heap in-use growth\s+│ [\d.]+ [KM]?B ± [\d.]+ [KM]?B\s+│/);
    const xml = readFileSync(junit, 'utf8');
    assert.equal((xml.match(/<testcase /g) ?? []).length, 6);
    assert.match(xml, /name="compare: heap in-use growth"/);
    assert.doesNotMatch(xml, /<failure/);
  });

  it('a spec with an unknown flavor is one line, exit 2, and nothing starts', async () => {
    const reports = path.join(tmp, 'bad-flavor');
    const r = await cli(['compare', scenario, '--base', 'geth', '--candidate', 'parity@v2.0.0', '--reports', reports]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, '--candidate parity@v2.0.0', 'parity');
    assert.equal(existsSync(reports), false);
  });

  it('a binary path that does not exist is one line, exit 2', async () => {
    const r = await cli(['compare', scenario, '--base', `geth@${path.join(tmp, 'no-geth')}`, '--candidate', 'geth', '--reports', path.join(tmp, 'bad-path')]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, '--base', 'no-geth', 'does not exist');
  });

  it('a geth version that does not exist is one error line, exit 2, before any run', async () => {
    const reports = path.join(tmp, 'bad-version');
    const gethPath = await binaryFor(parseNodeSpec('geth', flavors));
    const r = await cli(['compare', scenario, '--base', `geth@${gethPath}`, '--candidate', 'geth@v1.99.0', '--quiet', '--reports', reports], {
      env: { CHAINSOAK_CACHE: path.join(tmp, 'cache') },
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    // go's progress ("building geth v1.99.0 ...") may come first; the error itself is one line.
    const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('chainsoak:'));
    assert.deepEqual(errors, [`chainsoak: --candidate geth@v1.99.0: geth v1.99.0 does not exist in the Go module proxy (github.com/ethereum/go-ethereum)`]);
    // The reports folder is made (and so checked) before any build; no compare folder is in it.
    assert.deepEqual(existsSync(reports) ? readdirSync(reports) : [], []);
  });

  it('a scenario without a node of the spec flavor is one line, exit 2', async () => {
    const r = await cli(['compare', scenario, '--base', 'geth', '--candidate', 'cometbft', '--reports', path.join(tmp, 'no-node')]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, '--candidate cometbft', 'no cometbft node');
  });

  it('an unknown flag, a missing --candidate and --runs 0 are one line each, exit 2', async () => {
    for (const [args, needle] of [
      [['--base', 'geth', '--candidate', 'geth', '--runz', '2'], '--runz'],
      [['--base', 'geth'], '--candidate'],
      [['--base', 'geth', '--candidate', 'geth', '--runs', '0'], '--runs'],
    ] as const) {
      const r = await cli(['compare', scenario, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assertOneLine(r.stderr, needle);
    }
  });

  it('Ctrl-C stops the run in progress, writes compare.json and exits 130', async () => {
    const reports = path.join(tmp, 'sigint');
    const { code, output } = await interruptOnceNodeRuns(['compare', scenario, '--base', 'geth', '--candidate', 'geth', '--quiet', '--reports', reports], reports);
    assert.equal(code, 130, output);
    assert.deepEqual(processesMatching(reports), [], 'no node left running');
    const [dir] = readdirSync(reports);
    const result = JSON.parse(readFileSync(path.join(reports, dir!, 'compare.json'), 'utf8')) as CompareResult;
    assert.equal(result.exitCode, 130);
    assert.equal(result.runs.length, 1);
    assert.match(result.error!.message, /interrupted by SIGINT/);
  });
});
