// The harness must not leak itself: 20 runs in one process (a nightly of many scenarios, a long compare)
// must leave its process listeners, the listeners on the caller's abort signal, active handles, child
// processes and heap where the first run left them. Run 1 starts from an empty node cache whose build
// another builder holds locked for a while (the lock wait and the build both happen); one run is a geth
// --dev chain with websocket clients.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import lockfile from 'proper-lockfile';
import { runScenario } from 'chainsoak';
import { leakyNode } from '../../harness/nodes/leaky-node.ts';
import { cli, repoRoot } from '../helpers.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const RUNS = 20;
const GETH_RUN = 10;
const fixture = path.join(repoRoot, 'test/scenarios/fixture-quick.ts');
const geth = path.join(repoRoot, 'test/scenarios/geth-quick.ts');
const EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection', 'warning'];
/** Requests that finish within moments of the run's end (a socket's close, a file read): not held. */
const TRANSIENT = new Set(['CloseReq', 'FSReqCallback', 'FSReqPromise', 'GetAddrInfoReqWrap', 'ShutdownWrap', 'WriteWrap', 'FileHandleCloseReq']);

/** One signal for every run, as the CLI passes its Ctrl-C signal to each scenario of a folder. */
const callerSignal = new AbortController().signal;

interface Footprint {
  listeners: Record<string, number>;
  /** Listeners on the caller's signal. */
  abortListeners: number;
  resources: Record<string, number>;
  children: string[];
}

function footprint(): Footprint {
  const listeners = Object.fromEntries([...new Set([...EVENTS, ...process.eventNames().map(String)])].sort().map((e) => [e, process.listenerCount(e)]));
  const resources: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (!TRANSIENT.has(r)) resources[r] = (resources[r] ?? 0) + 1;
  return { listeners, abortListeners: getEventListeners(callerSignal, 'abort').length, resources, children: childProcesses() };
}

/**
 * This process's children (pid and command), leaving out the ps that lists them and tsx's esbuild service,
 * which tsx starts when it has a TypeScript file to transform (a scenario file loaded for the first time).
 */
function childProcesses(): string[] {
  const out = spawnSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, comm]) => Number(ppid) === process.pid && comm !== 'ps' && comm !== 'esbuild')
    .map(([pid, , comm]) => `${pid} ${comm}`);
}

/** The footprint once what the run was closing has closed: the same twice in a row, or as it is after 10 s. */
async function settledFootprint(): Promise<Footprint> {
  let last = footprint();
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    const now = footprint();
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  return last;
}

function heapMB(): number {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('the harness does not leak itself', function () {
  this.timeout(600_000);
  const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-self-leak-'));

  it(`${RUNS} runs in one process leave listeners, handles, child processes and heap where run 1 left them`, async () => {
    const before = footprint();
    const after: Footprint[] = [];
    const heap: number[] = [];
    const savedCache = process.env.CHAINSOAK_CACHE;
    const freshCache = path.join(reportsDir, 'cache');
    const versionDir = path.join(freshCache, 'nodes', leakyNode.name, leakyNode.defaultVersion);
    const started = Date.now();
    for (let run = 1; run <= RUNS; run++) {
      let build: Promise<void> | undefined;
      if (run === 1) {
        // Another builder holds the version's lock for 2 s: the run waits for it, then builds into the fresh cache.
        process.env.CHAINSOAK_CACHE = freshCache;
        mkdirSync(path.dirname(versionDir), { recursive: true });
        const release = await lockfile.lock(versionDir, { realpath: false });
        build = sleep(2_000).then(() => release());
      }
      try {
        const result = await runScenario(run === GETH_RUN ? geth : fixture, { reportsDir, seed: run, signal: callerSignal });
        assert.equal(result.exitCode, 0, `run ${run}: ${result.verdict} ${JSON.stringify(result.error)}`);
      } finally {
        await build;
        if (run === 1) {
          if (savedCache === undefined) delete process.env.CHAINSOAK_CACHE;
          else process.env.CHAINSOAK_CACHE = savedCache;
        }
      }
      if (run === 1) assert.ok(existsSync(path.join(versionDir, 'build.json')), 'run 1 built the fixture into the fresh cache');
      after.push(await settledFootprint());
      heap.push(heapMB());
    }
    const first = after[0]!;
    const last = after[RUNS - 1]!;
    const report = `before: ${JSON.stringify(before)}\nafter run 1: ${JSON.stringify(first)}\nafter run ${RUNS}: ${JSON.stringify(last)}\nheap after each run (MB): ${heap.map((h) => h.toFixed(1)).join(' ')}\n${RUNS} runs in ${Math.round((Date.now() - started) / 1000)} s`;
    console.log(report);

    after.forEach((f, i) => {
      assert.deepEqual(f.children, [], `after run ${i + 1}: no child process left`);
      assert.deepEqual(f.listeners, before.listeners, `after run ${i + 1}: process listeners as before the first run`);
      assert.equal(f.abortListeners, 0, `after run ${i + 1}: nothing listens on the caller's signal`);
    });
    // Not against `before`: mocha arms the test's own timeout timer once the test has started.
    assert.deepEqual(last.resources, first.resources, `active handles after run ${RUNS} as after run 1\n${report}`);
    // A scenario load that evaluates the harness again (tsImport without the shared API did: ~11 MB a run) shows here.
    const growth = heap[RUNS - 1]! - heap[0]!;
    assert.ok(growth < 20, `heap grew ${growth.toFixed(1)} MB from run 1 to run ${RUNS}\n${report}`);
  });

  it('the CLI loads a folder of scenarios without a warning about listeners (it printed one for 11 exit listeners)', async () => {
    // Every scenario is loaded before any runs; then the first is refused for the external runtime (exit 2).
    const { code, stderr } = await cli(['run', 'scenarios/', '--runtime', 'external', '--nodes', path.join(reportsDir, 'missing.json')]);
    assert.equal(code, 2, stderr);
    assert.doesNotMatch(stderr, /MaxListenersExceededWarning/);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  });
});
