// The CLI starts in a fraction of a second because --help, --version, validate and usage errors do not load
// the run machinery: checked on the modules each command really loads (never on wall-clock time).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, repoRoot } from '../helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-lazy-'));
const recorder = path.join(repoRoot, 'test', 'support', 'record-loads.mjs');

/** What `run` alone needs: the workload clients, Docker, the HTML report and live view, the run itself. */
const HEAVY = [
  /\/node_modules\/(ethers|testcontainers|@cosmjs\/[^/]+|log-update|junit-report-builder|uplot)\//,
  /\/harness\/(run\/run-scenario|run\/network|compare\/compare|report\/(html\/|write|console)|runtimes\/docker\/|workloads\/(geth-tx-flood|comet-tx-flood))/,
];

/** The URLs of the modules a CLI invocation loaded, and its exit code. */
function loadsOf(args: string[], name: string): { code: number | null; heavy: string[]; all: string[] } {
  const file = path.join(tmp, `${name}.txt`);
  const r = spawnSync(process.execPath, ['--import', recorder, bin, ...args], { cwd: repoRoot, env: { ...process.env, RECORD_LOADS_TO: file, CI: '1' }, encoding: 'utf8' });
  const all = readFileSync(file, 'utf8').trim().split('\n');
  return { code: r.status, all, heavy: [...new Set(all.filter((url) => HEAVY.some((re) => re.test(url))).map((url) => url.replace(/^.*\/(node_modules|harness)\//, '$1/').replace(/^(node_modules\/(@[^/]+\/)?[^/]+)\/.*/, '$1')))] };
}

describe('a light CLI start', function () {
  this.timeout(120_000);

  const light: Array<[string, string[], number]> = [
    ['--help', ['--help'], 0],
    ['--version', ['--version'], 0],
    ['a missing scenario file', ['run', 'no-such-scenario.ts'], 2],
    ['a bad --node', ['run', 'scenarios/geth-tx-flood.ts', '--node', 'geth@v9'], 2],
    ['a bad flag value', ['run', 'scenarios/geth-tx-flood.ts', '--seed', 'x'], 2],
    ['validate', ['validate', 'scenarios/geth-tx-flood.ts', 'scenarios/comet-single-flood.ts'], 0],
  ];
  for (const [label, args, code] of light) {
    it(`${label}: loads none of the run machinery`, () => {
      const r = loadsOf(args, label.replace(/\W+/g, '-'));
      assert.equal(r.code, code);
      assert.ok(r.all.some((url) => url.endsWith('/harness/cli.ts')), 'the recorder saw the CLI load');
      assert.deepEqual(r.heavy, []);
    });
  }

  it('--help, --version and a bad flag value load not even the scenario schema (zod)', () => {
    for (const args of [['--help'], ['--version'], ['run', 'x.ts', '--seed', 'x']]) {
      const r = loadsOf(args, `zod-${args[0]}`);
      assert.deepEqual(r.all.filter((url) => url.includes('/node_modules/zod/')), [], args.join(' '));
    }
  });

  it('the recorder sees the heavy modules where a command does load them (nodes install, after its checks)', () => {
    const r = loadsOf(['nodes', 'install', 'geth@/usr/bin/true'], 'control');
    assert.equal(r.code, 2);
    for (const module of ['node_modules/ethers', 'node_modules/@cosmjs/tendermint-rpc', 'harness/run/run-scenario.ts']) assert.ok(r.heavy.includes(module), `${module} in ${r.heavy.join(', ')}`);
  });
});
