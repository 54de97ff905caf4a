// Library use interrupted: a user's mocha spec calls runScenario (test/fixtures/interrupt/run.spec.ts)
// and is stopped mid-run by Ctrl-C (SIGINT to its process group, as a terminal sends it) or SIGTERM (as a
// CI timeout sends it). Nothing may be left behind: no node process, no container, no run network.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dockerStatus } from '../../harness/runtimes/docker/index.ts';
import { processAlive, repoRoot } from '../helpers.ts';
import { leakyNodeBinary } from '../support/leaky-node.ts';

const mocha = path.join(repoRoot, 'node_modules', '.bin', 'mocha');
const spec = path.join(repoRoot, 'test', 'fixtures', 'interrupt', 'run.spec.ts');

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The node's pid (process runtime) and the run's id (its report folder's name). */
  pid?: number;
  runId?: string;
  ms: number;
}

/** Run the spec, wait until its node has started, send `signal` to its process group, wait for it to end. */
async function interruptSpec(runtime: 'process' | 'container', signal: NodeJS.Signals, reports: string): Promise<Interrupted> {
  const child = spawn(mocha, [spec], {
    cwd: repoRoot,
    env: { ...process.env, INTERRUPT_RUNTIME: runtime, INTERRUPT_REPORTS: reports },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, like a job in a terminal
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stdout += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  const deadline = Date.now() + 180_000;
  while (!/event phase: ops/.test(stdout)) {
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`the spec never reached its phase:\n${stdout}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const t0 = Date.now();
  process.kill(-child.pid!, signal);
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  const end = await exited;
  // mocha's parent may end before its child (the one running the spec) has finished tearing down: wait
  // for the whole group to be gone, as a terminal or a CI job would before calling the job done.
  while (processAlive(-child.pid!) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
  clearTimeout(timer);
  const pid = /node-started: leaky .* pid (\d+)/.exec(stdout)?.[1];
  const runDir = spawnSync('ls', [reports], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  return { ...end, stdout, ...(pid ? { pid: Number(pid) } : {}), ...(runDir ? { runId: runDir } : {}), ms: Date.now() - t0 };
}

function dockerList(kind: 'ps' | 'network', runId: string): string[] {
  const args = kind === 'ps' ? ['ps', '-a', '-q', '--filter', `label=chainsoak.run=${runId}`] : ['network', 'ls', '-q', '--filter', `label=chainsoak.run=${runId}`];
  return spawnSync('docker', args, { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
}

describe('library use interrupted (a mocha spec calling runScenario)', function () {
  this.timeout(400_000);
  let reports = '';

  before(async () => {
    await leakyNodeBinary(); // built before the clock starts
  });
  beforeEach(async () => {
    reports = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-interrupt-'));
  });
  afterEach(async () => {
    await rm(reports, { recursive: true, force: true });
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`process runtime, ${signal}: the node process is gone when mocha has exited`, async () => {
      const r = await interruptSpec('process', signal, reports);
      console.log(`      ${signal}: mocha ended in ${r.ms} ms (code ${r.code}, signal ${r.signal})`);
      assert.ok(r.pid, `the spec printed the node's pid:\n${r.stdout}`);
      assert.equal(processAlive(r.pid!), false, `node process ${r.pid} outlived the interrupted spec`);
      // Cut short: the signal ended the process before runScenario returned (mocha's own exit code on
      // SIGINT is its business: its parent may turn the child's death into 0).
      assert.doesNotMatch(r.stdout, /^result /m, 'the run did not go on to its end');
    });
  }

  it('container runtime, SIGINT: no container and no network of the run is left', async function () {
    const status = await dockerStatus();
    if (!status.ok) this.skip();
    const r = await interruptSpec('container', 'SIGINT', reports);
    console.log(`      container SIGINT: mocha ended in ${r.ms} ms (code ${r.code}, signal ${r.signal})`);
    assert.ok(r.runId, `a run folder was made:\n${r.stdout}`);
    assert.match(r.stdout, /event node-started: leaky/);
    assert.deepEqual(dockerList('ps', r.runId!), [], 'containers left');
    assert.deepEqual(dockerList('network', r.runId!), [], 'networks left');
  });
});
