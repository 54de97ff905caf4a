// CI and machine ergonomics through the real CLI: --json, CHAINSOAK_* variables, --fail-fast, --tag,
// validate and --version. The runs use the leak fixture (a tiny Go node, built once into the cache) for
// about 3 s each: the cheapest real run there is.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompareResult } from '../../harness/compare/compare.ts';
import type { RunSummary } from '../../harness/report/summary.ts';
import { bin, cli, processesMatching, repoRoot } from '../helpers.ts';
import { leakyNodeBinary } from '../support/leaky-node.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-ergonomics-'));

/** A 3-second fixture run; `goroutineLeak` makes the goroutine budget fail (one goroutine kept per operation). */
function fixtureScenario(name: string, tags: string[], goroutineLeak = false): string {
  return `export default {
  name: '${name}',
  tags: ${JSON.stringify(tags)},
  nodes: [{ name: 'fixture', node: 'leaky-node', options: { leaks: ${goroutineLeak ? '{ goroutine: 1 }' : '{}'} } }],
  warmup: '1s',
  phases: [{ name: 'ops', duration: '2s', workloads: [{ kind: 'fixture-ops', rate: 200, maxOps: 1000 }] }],
  cooldown: '0s',
  budgets: { goroutineGrowth: 50, errorRate: 0.01 },
};\n`;
}

function folderOf(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, body] of Object.entries(files)) writeFileSync(path.join(dir, file), body);
  return dir;
}

// Sorted by name, so a folder runs a-pass, b-fail, c-pass in that order.
const fixtures = folderOf('fixtures', {
  'a-pass.ts': fixtureScenario('a-pass', ['quick']),
  'b-fail.ts': fixtureScenario('b-fail', ['quick', 'leaky'], true),
  'c-pass.ts': fixtureScenario('c-pass', ['slow']),
});

/** Runs the CLI with no CHAINSOAK_* variable of the test's own environment leaking in. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAINSOAK_') || k === 'CHAINSOAK_CACHE'));
  return { ...env, ...extra };
}

function summaryFiles(reports: string): RunSummary[] {
  if (!existsSync(reports)) return [];
  return readdirSync(reports, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => JSON.parse(readFileSync(path.join(reports, d.name, 'summary.json'), 'utf8')) as RunSummary);
}

function assertOneLine(stderr: string, ...needles: string[]): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\bat .*\.(ts|js):\d+/, 'no stack trace');
  for (const needle of needles) assert.ok(lines[0]!.includes(needle), `"${lines[0]}" should mention ${needle}`);
}

/**
 * Run the CLI and watch every process it starts, directly or below, while it runs (ps every 50 ms):
 * the names of all of them, to prove a command started no node, no go build and no docker.
 */
async function cliWatchingChildren(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<{ code: number | null; stdout: string; stderr: string; started: Set<string> }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const started = new Set<string>();
  let done = false;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => ((done = true), resolve(code))));
  while (!done) {
    const table = spawnSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    const tree = new Set([child.pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, ppid, comm] of table) {
        if (tree.has(Number(ppid)) && !tree.has(Number(pid))) {
          tree.add(Number(pid));
          started.add(comm!);
          grew = true;
        }
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { code: await exited, stdout, stderr, started };
}

/** Of the processes a command started, those that are a node, a Go build or Docker (tsx's esbuild service is neither). */
function nodesOrBuilds(started: Set<string>): string[] {
  return [...started].filter((name) => /geth|comet|tendermint|leaky|toxiproxy|^go$|docker/.test(name));
}

describe('CI ergonomics', function () {
  this.timeout(300_000);

  before(async () => {
    await leakyNodeBinary(); // built once into the cache, so no run below pays a build
  });

  it('--version prints the package version, Node and Go', async () => {
    const r = await cli(['--version']);
    assert.equal(r.code, 0, r.stderr);
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(r.stdout, `chainsoak ${pkg.version} (node ${process.version}, ${go})\n`);
  });

  describe('run --json, variables, --fail-fast, --tag (real fixture runs)', () => {
    it('--json: stdout is the summaries and nothing else, each equal to its summary.json; --fail-fast stops after b-fail; CHAINSOAK_REPORTS and CHAINSOAK_SEED apply', async () => {
      const reports = path.join(tmp, 'from-env');
      const r = await cli(['run', fixtures, '--json', '--fail-fast', '--quiet'], { env: cleanEnv({ CHAINSOAK_REPORTS: reports, CHAINSOAK_SEED: '5' }) });
      assert.equal(r.code, 1, r.stderr);
      const printed = JSON.parse(r.stdout) as RunSummary[]; // the whole of stdout is one JSON document
      assert.deepEqual(printed.map((s) => [s.scenario, s.exitCode, s.seed]), [['a-pass', 0, 5], ['b-fail', 1, 5]]);
      for (const summary of printed) {
        assert.equal(path.dirname(summary.reportDir), reports);
        assert.deepEqual(summary, JSON.parse(readFileSync(path.join(summary.reportDir, 'summary.json'), 'utf8')));
      }
      // The human lines went to stderr; c-pass never ran.
      assert.match(r.stderr, /^a-pass: PASS \(exit 0\)/m);
      assert.match(r.stderr, /^b-fail: FAIL \(exit 1\)/m);
      assert.match(r.stderr, /--fail-fast: b-fail did not pass \(exit 1\); not run: c-pass/);
      assert.deepEqual(summaryFiles(reports).map((s) => s.scenario).sort(), ['a-pass', 'b-fail']);
      assert.deepEqual(processesMatching(reports), []);
    });

    it('flags beat their variables: --tag slow over CHAINSOAK_TAG, --seed over CHAINSOAK_SEED, --reports over CHAINSOAK_REPORTS', async () => {
      const reports = path.join(tmp, 'from-flag');
      const ignored = path.join(tmp, 'ignored');
      const r = await cli(['run', fixtures, '--tag', 'slow', '--seed', '9', '--reports', reports, '--json', '--quiet'], {
        env: cleanEnv({ CHAINSOAK_TAG: 'quick', CHAINSOAK_SEED: '5', CHAINSOAK_REPORTS: ignored }),
      });
      assert.equal(r.code, 0, r.stderr);
      const printed = JSON.parse(r.stdout) as RunSummary[];
      assert.deepEqual(printed.map((s) => [s.scenario, s.seed, path.dirname(s.reportDir)]), [['c-pass', 9, reports]]);
      assert.equal(existsSync(ignored), false);
    });

    it('--tag picks scenarios with any of the tags (comma-separated too); without --fail-fast a failure does not stop the folder', async () => {
      const reports = path.join(tmp, 'tags');
      const r = await cli(['run', fixtures, '--tag', 'leaky,slow', '--reports', reports, '--quiet'], { env: cleanEnv() });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /^b-fail: FAIL \(exit 1\)/m); // without --json the verdicts are on stdout
      assert.match(r.stdout, /^c-pass: PASS \(exit 0\)/m);
      assert.doesNotMatch(r.stdout + r.stderr, /a-pass/);
      assert.deepEqual(summaryFiles(reports).map((s) => s.scenario).sort(), ['b-fail', 'c-pass']);
    });

    it('compare --json prints the comparison, equal to its compare.json', async () => {
      const binary = await leakyNodeBinary();
      const reports = path.join(tmp, 'compare');
      const r = await cli(['compare', path.join(fixtures, 'a-pass.ts'), '--base', 'leaky-node', '--candidate', `leaky-node@${binary}`, '--runs', '1', '--reports', reports, '--json', '--quiet'], { env: cleanEnv() });
      const printed = JSON.parse(r.stdout) as CompareResult;
      assert.deepEqual(printed.runs.map((run) => run.label), ['base-1', 'candidate-1'], r.stderr);
      const [dir] = readdirSync(reports);
      assert.deepEqual(printed, JSON.parse(readFileSync(path.join(reports, dir!, 'compare.json'), 'utf8')));
      assert.equal(r.code, printed.exitCode);
    });
  });

  describe('usage errors of the new flags and variables (nothing runs)', () => {
    it('a bad variable value is one line naming the variable, exit 2; a flag given beats the bad variable', async () => {
      const r = await cli(['run', fixtures], { env: cleanEnv({ CHAINSOAK_SEED: 'five' }) });
      assert.equal(r.code, 2);
      assertOneLine(r.stderr, 'CHAINSOAK_SEED', 'five');
      const runtime = await cli(['validate', fixtures], { env: cleanEnv({ CHAINSOAK_RUNTIME: 'vm' }) });
      assert.equal(runtime.code, 2);
      assertOneLine(runtime.stderr, 'CHAINSOAK_RUNTIME', 'vm');
      const overridden = await cli(['validate', fixtures, '--runtime', 'process'], { env: cleanEnv({ CHAINSOAK_RUNTIME: 'vm' }) });
      assert.equal(overridden.code, 0, overridden.stderr);
    });

    it('an empty variable counts as unset', async () => {
      const r = await cli(['validate', fixtures], { env: cleanEnv({ CHAINSOAK_SEED: '', CHAINSOAK_RUNTIME: '', CHAINSOAK_TAG: '' }) });
      assert.equal(r.code, 0, r.stderr);
    });

    it('a tag no scenario has is one line naming it, exit 2, and nothing starts', async () => {
      const r = await cliWatchingChildren(['run', fixtures, '--tag', 'quick', '--tag', 'nightyl']);
      assert.equal(r.code, 2);
      assertOneLine(r.stderr, '--tag nightyl', 'leaky, quick, slow');
      assert.deepEqual(nodesOrBuilds(r.started), []);
    });
  });

  describe('validate', () => {
    const geth = (version: string) => `export default {
  name: 'geth-${version.replaceAll('.', '-')}',
  nodes: [{ name: 'geth', node: 'geth@${version}', count: 2 }],
  phases: [{ name: 'a', duration: '5s', workloads: [{ kind: 'geth-tx-flood', rate: 10, maxTxs: 100 }] }, { name: 'b', duration: '5s', workloads: [{ kind: 'geth-ws-zombies', clients: 2 }] }],
  budgets: { goroutineGrowth: 10, errorRate: 0.01, heapInuseGrowth: { bytes: '64MB' } },
};\n`;
    // v1.99.0 is a well-formed tag nobody has built: run would build it (and fail), validate must not try.
    const folder = folderOf('validate', {
      'good.ts': geth('v1.99.0'),
      'typo.ts': geth('v1.17.10').replace('rate: 10', 'rat: 10'),
      'bad-tag.ts': fixtureScenario('bad-tag', ['Nightly Run']),
    });

    it('one line per file, exit 2 when any is invalid, and no node, go build or docker starts', async () => {
      const r = await cliWatchingChildren(['validate', folder, path.join(fixtures, 'a-pass.ts')]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), [
        `ok geth-v1-99-0 (2 nodes, 2 phases, 3 budgets) ${path.join(folder, 'good.ts')}`,
        `ok a-pass (1 node, 1 phase, 2 budgets) ${path.join(fixtures, 'a-pass.ts')}`,
      ]);
      const errors = r.stderr.trim().split('\n');
      assert.equal(errors.length, 3, r.stderr);
      assert.match(errors[0]!, /bad-tag\.ts: tags\[0\]: expected a tag/);
      assert.match(errors[1]!, /typo\.ts: phases\[0\]\.workloads\[0\].*rat/);
      assert.equal(errors[2], 'chainsoak: 2 of 4 scenario files invalid');
      assert.deepEqual(nodesOrBuilds(r.started), [], `started: ${[...r.started].join(', ')}`);
      assert.equal(existsSync(path.join(os.homedir(), '.cache', 'chainsoak', 'nodes', 'geth', 'v1.99.0')), false);
    });

    it('checks the plan with the overrides run would use: --runtime external needs endpoints, --node must fit', async () => {
      const good = path.join(folder, 'good.ts');
      const external = await cli(['validate', good, '--runtime', 'external'], { env: cleanEnv() });
      assert.equal(external.code, 2);
      assert.match(external.stderr, /good\.ts: nodes\[0\]\.endpoints: runtime 'external' needs each node's URLs/);
      const fromEnv = await cli(['validate', good], { env: cleanEnv({ CHAINSOAK_NODE: 'cometbft@v0.38.26' }) });
      assert.equal(fromEnv.code, 2);
      assert.match(fromEnv.stderr, /--node cometbft@v0\.38\.26: scenario geth-v1-99-0 has no cometbft node to replace/);
      const ok = await cli(['validate', good, '--node', 'geth@v1.17.10'], { env: cleanEnv() });
      assert.equal(ok.code, 0, ok.stderr);
    });

    it("the repository's scenarios are valid and tagged (the nightly job runs --tag nightly)", async () => {
      const r = await cli(['validate', 'scenarios/'], { env: cleanEnv() });
      assert.equal(r.code, 0, r.stderr);
      const files = readdirSync(path.join(repoRoot, 'scenarios')).filter((f) => f.endsWith('.ts'));
      assert.equal(r.stdout.trim().split('\n').length, files.length);
      const none = await cli(['run', 'scenarios/', '--tag', 'nightly', '--tag', 'no-such-tag'], { env: cleanEnv() });
      assert.equal(none.code, 2);
      assertOneLine(none.stderr, '--tag no-such-tag', 'nightly');
    });
  });
});
