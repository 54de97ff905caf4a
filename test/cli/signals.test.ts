// SIGTERM (a CI timeout) and SIGINT end the CLI within a bound whatever it is doing, non-zero, with no
// node process left: while a scenario file's top-level code never settles, and while a node is starting.
// A second signal ends it at once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, processesMatching, repoRoot } from '../helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-signals-'));
writeFileSync(path.join(tmp, 'package.json'), '{ "type": "module" }\n');
const hangs = path.join(tmp, 'hangs.ts');
writeFileSync(hangs, 'await new Promise(() => {});\nexport default {};\n');
const slow = path.join(tmp, 'slow.ts');
// The cached geth (see the project README), so the signal lands while it starts, not during a build.
writeFileSync(
  slow,
  `export default ${JSON.stringify({
    nodes: [{ name: 'geth', node: 'geth@v1.17.10' }],
    warmup: '60s',
    phases: [{ name: 'flood', duration: '60s', workloads: [{ kind: 'geth-tx-flood', rate: 5, maxTxs: 100 }] }],
    budgets: { goroutineGrowth: 10 },
  })};\n`,
);

interface Ended {
  code: number | null;
  stderr: string;
  /** From the first signal to the process's end. */
  ms: number;
}

/** Start the CLI, wait until `ready()` says so, send the signals (100 ms apart), and wait for the end. */
async function signalWhen(args: string[], ready: (stderr: string) => boolean, signals: NodeJS.Signals[]): Promise<Ended> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, CHAINSOAK_LOAD_TIMEOUT: '10m' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 120_000;
  while (!ready(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`never ready:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const t0 = Date.now();
  for (const signal of signals) {
    child.kill(signal);
    await new Promise((r) => setTimeout(r, 100));
  }
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await exited;
  clearTimeout(killer);
  return { code, stderr, ms: Date.now() - t0 };
}

/** The run's node processes: their command lines name the run's reports folder; the CLI's own is node. */
const nodesOf = (reports: string) => processesMatching(reports).filter((pid) => !processesMatching(bin).includes(pid));

describe('signals end the CLI within a bound', function () {
  this.timeout(300_000);
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('SIGTERM while a scenario file never settles: exit 130 within seconds (before: exit 0, having run nothing)', async () => {
    // Ready: the CLI is up and waiting on the file (its handlers are installed once cli.ts has loaded).
    const started = Date.now();
    const r = await signalWhen(['run', hangs, '--reports', path.join(tmp, 'r0')], () => Date.now() - started > 8_000, ['SIGTERM']);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGTERM: stopping/);
    assert.ok(r.ms < 5_000, `ended ${r.ms} ms after the signal`);
  });

  for (const signals of [['SIGTERM'], ['SIGINT', 'SIGINT']] as NodeJS.Signals[][]) {
    it(`${signals.join(' then ')} while the node is starting: non-zero within seconds, no node process left`, async () => {
      const reports = path.join(tmp, `r-${signals.length}`);
      const r = await signalWhen(['run', slow, '--reports', reports, '--quiet'], () => nodesOf(reports).length > 0, signals);
      assert.equal(r.code, 130, r.stderr);
      assert.ok(r.ms < (signals.length > 1 ? 3_000 : 30_000), `ended ${r.ms} ms after the first signal`);
      await new Promise((res) => setTimeout(res, 500)); // a killed process group may take a moment to be reaped
      assert.deepEqual(nodesOf(reports), [], 'no node process left');
    });
  }
});
