// A workload of the user's own (examples/workloads/eth-filters.ts, outside harness/): named by file from a
// scenario, its mistakes are one-line exit 2s, imported it is typed by its schema, and it runs against a
// real geth with profiles and a verdict.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError, validateScenario, type RunResult } from 'chainsoak';
import filters from '../../examples/workloads/eth-filters.ts';
import { cli, processesMatching, repoRoot } from '../helpers.ts';
import { pinnedGethBinary } from '../support/geth.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-workload-api-'));
writeFileSync(path.join(tmp, 'package.json'), '{ "type": "module" }\n');
const example = path.join(repoRoot, 'examples', 'workloads', 'eth-filters.ts');

/** A scenario file in the temporary folder whose one workload is `entry`. */
function scenarioWith(name: string, entry: Record<string, unknown>, node = 'geth'): string {
  const file = path.join(tmp, `${name}.ts`);
  const scenario = {
    nodes: [{ name: 'n', node }],
    phases: [{ name: 'load', duration: '10s', workloads: [entry] }],
    budgets: { goroutineGrowth: 25 },
  };
  writeFileSync(file, `export default ${JSON.stringify(scenario, null, 2)};\n`);
  return file;
}

/** `chainsoak validate` on a scenario: the exit code and its one stderr line. */
async function validate(file: string): Promise<{ code: number | null; line: string; lines: number }> {
  const r = await cli(['validate', file], { timeoutMs: 120_000 });
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  return { code: r.code, line: lines[0] ?? '', lines: lines.length };
}

describe('defineWorkload: a workload in a user file', function () {
  this.timeout(180_000);

  it('a scenario naming the workload by file validates (exit 0)', async () => {
    const r = await cli(['validate', scenarioWith('good', { kind: example, filter: 'blocks', executor: { type: 'constant-concurrency', clients: 3 } })]);
    assert.equal(r.code, 0, r.stderr);
  });

  const badRows: Array<{ what: string; entry: Record<string, unknown>; says: RegExp; node?: string }> = [
    { what: 'a run without a node of its flavors', entry: { kind: example }, node: 'cometbft', says: /workloads\[0\]\.kind: eth-filters needs a geth node; this run has cometbft$/ },
    { what: 'an option typo', entry: { kind: example, renewEvry: 5 }, says: /phases\[0\]\.workloads\[0\]\.renewEvry: unknown key \(workload .*examples\/workloads\/eth-filters\.ts\)$/ },
    { what: 'a bad option value', entry: { kind: example, filter: 'pending' }, says: /workloads\[0\]\.filter: .*"logs".*eth-filters\.ts\)$/ },
    { what: 'an executor typo', entry: { kind: example, executor: { type: 'constant-concurrency', clients: 5, paws: '1s' } }, says: /workloads\[0\]\.executor\.paws: unknown key \(workload .*eth-filters\.ts\)$/ },
    { what: 'an unknown executor', entry: { kind: example, executor: { type: 'constant-vus', clients: 5 } }, says: /workloads\[0\]\.executor\.type: .*eth-filters\.ts\)$/ },
    { what: 'a missing workload file', entry: { kind: './workloads/nope.ts' }, says: /workloads\[0\]\.kind: no such workload file .*workloads\/nope\.ts$/ },
    { what: 'a file that is no workload', entry: { kind: './not-a-workload.ts' }, says: /workloads\[0\]\.kind: .*not-a-workload\.ts does not default-export a workload \(export default defineWorkload/ },
    { what: 'a workload file that does not compile', entry: { kind: './broken.ts' }, says: /workloads\[0\]\.kind: .*broken\.ts: cannot load: line \d+:\d+/ },
    { what: 'an unknown built-in kind', entry: { kind: 'eth-filter' }, says: /workloads\[0\]\.kind: unknown workload kind; known: .*geth-tx-flood.*or a workload file/ },
  ];
  writeFileSync(path.join(tmp, 'not-a-workload.ts'), 'export default { kind: "eth-filters" };\n');
  writeFileSync(path.join(tmp, 'broken.ts'), 'export default defineWorkload({ kind: \n');
  for (const row of badRows) {
    it(`${row.what}: one line, exit 2`, async () => {
      const r = await validate(scenarioWith(row.what.replace(/\W+/g, '-'), row.entry, row.node));
      assert.equal(r.code, 2, r.line);
      assert.equal(r.lines, 1, 'exactly one stderr line');
      assert.match(r.line, row.says);
      assert.doesNotMatch(r.line, /\n\s+at /);
    });
  }

  it('from code: an imported workload validates with its defaults; a file path is a usage error naming the way out', () => {
    const scenario = validateScenario({ nodes: [{ name: 'g', node: 'geth' }], phases: [{ name: 'p', duration: '1s', workloads: [filters.with({ filter: 'blocks' })] }], budgets: { goroutineGrowth: 1 } }, 'code');
    const entry = scenario.phases[0]!.workloads[0] as unknown as { kind: unknown; executor: { type: string; clients: number; pause: number }; options: { filter: string; renewEvery: number } };
    assert.equal(entry.kind, filters);
    assert.deepEqual(entry.executor, { type: 'constant-concurrency', clients: 20, pause: 100, maxOps: 1_000_000 });
    assert.equal(entry.options.filter, 'blocks');
    assert.equal(entry.options.renewEvery, 0);
    assert.throws(
      () => validateScenario({ nodes: [{ name: 'g', node: 'geth' }], phases: [{ name: 'p', duration: '1s', workloads: [{ kind: './workloads/x.ts' }] }], budgets: { goroutineGrowth: 1 } }, 'code'),
      (e: unknown) => e instanceof UsageError && /workloads\[0\]\.kind: \.\/workloads\/x\.ts: a workload file loads with its scenario file/.test(e.message),
    );
  });

  it("an imported workload's options are typed by its schema (tsc on a fixture with @ts-expect-error typos)", () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'test/fixtures/workload-api'], { cwd: repoRoot, encoding: 'utf8', timeout: 170_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('a workload whose client throws: exit 3 naming the error, no node left behind', async () => {
    const reports = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-throws-'));
    const r = await cli(['run', 'test/fixtures/workload-api/throws.scenario.ts', '--reports', reports, '--quiet']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /cannot reach the contract at 0xdead/);
    assert.deepEqual(processesMatching(reports), [], 'no node process left');
  });

  it('runs from a scenario file against a real geth: profiles, the executor\'s figures, the workload\'s own, exit 0', async function () {
    this.timeout(10 * 60_000);
    const reports = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-eth-filters-'));
    const r = await cli(['run', 'examples/eth-filters.scenario.ts', '--node', `geth@${await pinnedGethBinary()}`, '--duration', '8s', '--reports', reports, '--quiet']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const dir = /report: (.*)/.exec(r.stdout)![1]!.trim();
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunResult;
    assert.equal(summary.verdict, 'pass');
    for (const p of Object.values(summary.nodes[0]!.profiles)) assert.ok(existsSync(path.join(dir, p)), p);
    const [w] = summary.workloads;
    assert.equal(w!.kind, 'eth-filters');
    assert.equal(w!.failed, 0, w!.errors.join('; '));
    assert.ok(w!.accepted > 500, `accepted ${w!.accepted}`);
    const extra = w!.extra!;
    assert.equal(extra.executor, 'constant-concurrency');
    assert.equal(extra.clients, 50);
    assert.equal(Number(extra['poll.ok']) + Number(extra['renew.ok']), w!.accepted, 'every operation under its tag');
    assert.equal(extra.filtersInstalled, 50 + Number(extra.filtersRenewed), 'one filter per client, plus one per renewal');
    assert.ok(Number(extra.filtersRenewed) >= Math.floor(w!.accepted / 50) - 50, `renewed ${extra.filtersRenewed}`);
    assert.deepEqual(processesMatching(reports), [], 'no node process left');
  });
});
