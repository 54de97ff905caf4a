// chainsoak used from another repository: `npm pack`, the tarball installed into an empty CommonJS
// project, TypeScript scenarios there importing 'chainsoak' (one leaking, one healthy, on the leak
// fixture), run by that project's `chainsoak` command and by its own mocha test through chainsoak/mocha.
// Needs the npm registry or npm's cache for chainsoak's dependencies; prints the tarball size, the
// install time and the start time of `chainsoak --help` from the package and from this checkout.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, repoRoot } from '../helpers.ts';

interface PackedFile {
  path: string;
}
interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-package-'));
const project = path.join(tmp, 'consumer');
const command = path.join(project, 'node_modules', '.bin', 'chainsoak');

function run(file: string, args: string[], cwd: string, timeoutMs = 240_000): SpawnSyncReturns<string> {
  const result = spawnSync(file, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, CI: '1' } });
  if (result.error) throw result.error;
  return result;
}

function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: Math.round(performance.now() - start) };
}

describe('the npm package, installed into another project', function () {
  this.timeout(5 * 60_000);
  let packed: Packed;

  before(() => {
    const pack = run('npm', ['pack', '--json', '--pack-destination', tmp], repoRoot);
    assert.equal(pack.status, 0, pack.stderr);
    packed = (JSON.parse(pack.stdout) as Packed[])[0]!;
    cpSync(path.join(repoRoot, 'test', 'fixtures', 'package', 'consumer'), project, { recursive: true });
    // npm init's default: a CommonJS package, where tsx loads TypeScript scenario files as CommonJS.
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'commonjs' }));
    const mocha = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.mocha!;
    const install = timed(() => run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, packed.filename), `mocha@${mocha}`], project));
    assert.equal(install.result.status, 0, install.result.stderr);
    console.log(`      tarball ${(packed.size / 1024).toFixed(0)} KB (${(packed.unpackedSize / 1024).toFixed(0)} KB unpacked, ${packed.files.length} files); npm install ${(install.ms / 1000).toFixed(1)} s`);
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('ships compiled JavaScript with types, the entry points and the leak fixture source; no sources or tests', () => {
    const files = packed.files.map((f) => f.path);
    for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'dist/library/mocha.d.ts', 'dist/report/html/client.js', 'dist/report/html/style.css', 'harness/bin.mjs', 'harness/package/index.js', 'harness/package/index.cjs', 'harness/package/mocha.js', 'test/fixtures/leaky-node/main.go', 'test/fixtures/leaky-node/go.sum', 'scenarios/geth-tx-flood.ts']) {
      assert.ok(files.includes(needed), `${needed} is missing from the tarball`);
    }
    const unwanted = files.filter((f) => (f.startsWith('harness/') && f.endsWith('.ts')) || f.startsWith('dist/bench/') || f.includes('.test.') || f.includes('/profiles/') || f.endsWith('build.mjs'));
    assert.deepEqual(unwanted, []);
  });

  it('`chainsoak --help` starts from the package', () => {
    const installed = timed(() => run(command, ['--help'], project));
    const checkout = timed(() => run(process.execPath, [bin, '--help'], repoRoot));
    assert.equal(installed.result.status, 0, installed.result.stderr);
    assert.match(installed.result.stdout, /Usage: chainsoak/);
    console.log(`      chainsoak --help: ${installed.ms} ms from the package, ${checkout.ms} ms from the checkout`);
  });

  it('`chainsoak run` fails the leaking scenario with the verdict table (exit 1)', () => {
    const r = run(command, ['run', 'scenarios/leak.ts', '--quiet'], project);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /consumer-leak: FAIL \(exit 1\)/);
    assert.match(r.stdout, /fixture\s*│ heap in-use growth .* FAIL/);
  });

  it('`chainsoak run` of a missing scenario: one line, exit 2', () => {
    const r = run(command, ['run', 'scenarios/missing.ts'], project);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^chainsoak: scenarios\/missing\.ts: no such scenario file[^\n]*\n$/);
  });

  it("the project's mocha test passes the healthy scenario and fails the leaking one with the verdict table", () => {
    const r = run(path.join(project, 'node_modules', '.bin', 'mocha'), ['test/memory.test.mjs'], project);
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 1, out); // mocha's exit code: the number of failed tests
    assert.match(out, /2 passing/);
    assert.match(out, /1 failing/);
    assert.match(out, /scenario scenarios\/leak\.ts passes its budgets:\s+ScenarioFailed: consumer-leak: FAIL \(exit 1\)/);
    assert.match(out, /heap in-use growth │ heap in-use .* limit \+2 MB\) │ FAIL/);
  });
});
