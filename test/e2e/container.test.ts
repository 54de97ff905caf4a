// End to end on the container runtime: real geth and CometBFT in real Docker containers (images built
// FROM scratch from the cached binaries). Compared with the process runtime on the same scenarios: same
// summary fields (containers may only add some), the same pprof parity; every published port on
// 127.0.0.1; Ctrl-C and a SIGKILLed harness leave nothing behind. Skips, with dockerStatus()'s reason,
// only when no Docker engine can run here (start one with `sh test/support/ensure-docker.sh` as root).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runScenario, type RunResult, type ScenarioInput } from 'chainsoak';
import { dockerStatus, LABEL_PID, LABEL_RUN } from '../../harness/runtimes/docker/index.ts';
import { bin, cli, processesMatching, repoRoot } from '../helpers.ts';
import { defaultGethRun, DEFAULT_GETH_RUN } from '../support/default-geth-run.ts';
import { pprofTop } from '../support/pprof.ts';

const LABEL_NODE = 'chainsoak.node';
const explain = (r: RunResult) => JSON.stringify({ error: r.error, budgets: r.budgets.filter((b) => !b.pass), workloads: r.workloads });

// ---------------------------------------------------------------------------------------------------
// Docker, through its CLI: an independent view of what the harness did.

function docker(args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** Container ids (all states) with every one of these labels (`key` or `key=value`). */
function containersLabelled(...labels: string[]): string[] {
  return lines(docker(['ps', '-aq', '--no-trunc', ...labels.flatMap((l) => ['--filter', `label=${l}`])]));
}

/** Network names with every one of these labels. */
function networksLabelled(...labels: string[]): string[] {
  return lines(docker(['network', 'ls', '-q', '--no-trunc', ...labels.flatMap((l) => ['--filter', `label=${l}`]), '--format', '{{.Name}}']));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function inspectContainers(ids: string[]): any[] {
  return ids.length === 0 ? [] : JSON.parse(docker(['inspect', ...ids]));
}

/** Remove whatever a run (by id) left: the after-hooks' safety net, never part of what is asserted. */
function removeRun(runId: string): void {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL_RUN}=${runId}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  if (ids.length > 0) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore', timeout: 60_000 });
  const nets = spawnSync('docker', ['network', 'ls', '-q', '--filter', `label=${LABEL_RUN}=${runId}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  if (nets.length > 0) spawnSync('docker', ['network', 'rm', ...nets], { stdio: 'ignore', timeout: 60_000 });
}

/** host:port of every listening TCP socket (ss -ltn). */
function listening(): Array<{ address: string; port: number }> {
  const out = spawnSync('ss', ['-Hltn'], { encoding: 'utf8' }).stdout;
  return lines(out).map((line) => {
    const local = line.split(/\s+/)[3]!;
    const i = local.lastIndexOf(':');
    return { address: local.slice(0, i), port: Number(local.slice(i + 1)) };
  });
}

// ---------------------------------------------------------------------------------------------------
// Summary shapes: which keys a report has, recursively (array elements merged), compared between runtimes.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: unknown): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One value with every key any element of an array has (nested arrays concatenated): the array's shape. */
function mergeElements(values: Json[]): Json {
  if (values.length > 0 && values.every(isObject)) {
    const merged: { [key: string]: Json } = {};
    const keys = new Set(values.flatMap((v) => Object.keys(v as object)));
    for (const key of keys) merged[key] = mergeElements(values.flatMap((v) => (key in (v as object) ? [(v as { [key: string]: Json })[key]!] : [])));
    return merged;
  }
  if (values.length > 0 && values.every(Array.isArray)) return (values as Json[][]).flat();
  return values[0] ?? null;
}

interface ShapeDiff {
  /** Keys the process run's report has and the container run's lacks. */
  missing: string[];
  /** Keys only the container run's report has. */
  added: string[];
  /** Arrays empty on one side only: their elements' keys could not be compared (data, not schema). */
  unchecked: string[];
  /** Same key, different kind of value (object / array / scalar). */
  kind: string[];
}

function shapeDiff(base: Json | undefined, other: Json | undefined, at = '', diff: ShapeDiff = { missing: [], added: [], unchecked: [], kind: [] }): ShapeDiff {
  const kindOf = (v: Json | undefined) => (Array.isArray(v) ? 'array' : isObject(v) ? 'object' : 'scalar');
  if (kindOf(base) !== kindOf(other)) {
    diff.kind.push(`${at}: ${kindOf(base)} vs ${kindOf(other)}`);
    return diff;
  }
  if (isObject(base) && isObject(other)) {
    for (const key of Object.keys(base)) if (!(key in other)) diff.missing.push(`${at}.${key}`);
    for (const key of Object.keys(other)) if (!(key in base)) diff.added.push(`${at}.${key}`);
    for (const key of Object.keys(base)) if (key in other) shapeDiff(base[key], other[key], `${at}.${key}`, diff);
  } else if (Array.isArray(base) && Array.isArray(other)) {
    if (base.length === 0 || other.length === 0) {
      if (base.length !== other.length) diff.unchecked.push(`${at}[]`);
      return diff;
    }
    shapeDiff(mergeElements(base), mergeElements(other), `${at}[]`, diff);
  }
  return diff;
}

/** What only a container run may add: the image it ran, the cgroup's memory. */
const CONTAINER_ONLY = /(^|\.)(image|container)(\.|\[\]|$)/;

/**
 * The container run's summary has every key the process run's has, recursively, for the top level and
 * nodes[0]; it adds only container keys. Returns the arrays that could not be compared (for the log).
 */
function assertSameShape(processSummary: Json, containerSummary: Json, what: string): string[] {
  const p = processSummary as { [key: string]: Json };
  const c = containerSummary as { [key: string]: Json };
  const top = shapeDiff({ ...p, nodes: null }, { ...c, nodes: null });
  const node = shapeDiff((p.nodes as Json[])[0], (c.nodes as Json[])[0], '.nodes[0]');
  for (const d of [top, node]) {
    assert.deepEqual(d.missing, [], `${what}: keys of the process run's summary missing on the container run`);
    assert.deepEqual(d.kind, [], `${what}: keys of another kind on the container run`);
    assert.deepEqual(d.added.filter((k) => !CONTAINER_ONLY.test(k)), [], `${what}: keys only the container run has, other than image/container`);
  }
  return [...top.unchecked, ...node.unchecked, ...[...top.added, ...node.added].map((k) => `+${k}`)];
}

// ---------------------------------------------------------------------------------------------------
// Reports

function readSummary(dir: string): RunResult {
  return JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunResult;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readSamples(dir: string): any[] {
  const text = readFileSync(path.join(dir, 'samples.jsonl'), 'utf8').trim();
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l));
}

/** Samples of a run still going: none before the file exists; a line being written is left out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function liveSamples(dir: string): any[] {
  const file = path.join(dir, 'samples.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return l.trim() === '' ? [] : [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

/** The report's heap growth is what `go tool pprof -top -diff_base` prints for the run's own files. */
function assertPprofParity(dir: string, node: RunResult['nodes'][number]): void {
  for (const p of Object.values(node.profiles)) assert.ok(existsSync(path.join(dir, p)), p);
  const pprof = pprofTop(dir, { sampleIndex: 'inuse_space', bytes: true, cum: false, base: node.profiles.heapBefore, file: node.profiles.heapAfter });
  assert.equal(node.heap.after.inuseBytes - node.heap.before.inuseBytes, pprof.total, 'heap growth = pprof total');
  const base = pprofTop(dir, { sampleIndex: 'inuse_space', bytes: true, cum: false, file: node.profiles.heapBefore });
  assert.equal(node.heap.before.inuseBytes, base.total, 'heap before = pprof total of heap-before');
  const after = pprofTop(dir, { sampleIndex: 'inuse_space', bytes: true, cum: false, file: node.profiles.heapAfter });
  assert.equal(node.heap.after.inuseBytes, after.total, 'heap after = pprof total of heap-after');
  assert.ok(node.heap.topGrowth.length > 0, 'top growth rows');
  for (const growth of node.heap.topGrowth) {
    const row = pprof.rows.find((r) => r.function === growth.function);
    assert.ok(row, `${growth.function} in pprof's table`);
    assert.equal(growth.inuseBytes, row.flat, growth.function);
    assert.equal(growth.cumInuseBytes, row.cum, growth.function);
  }
}

interface RuntimePair {
  process: RunResult;
  container: RunResult;
}

const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** Everything tests 1 and 2 check of a container run against the process run of the same scenario. */
function assertContainerRun({ process: p, container: c }: RuntimePair, flavor: string): void {
  for (const r of [p, c]) {
    assert.equal(r.exitCode, 0, explain(r));
    assert.equal(r.verdict, 'pass');
    assert.equal(r.nodes.length, 1);
  }
  assert.equal(p.nodes[0]!.runtime, 'process');
  assert.equal(c.nodes[0]!.runtime, 'container');
  assert.equal(c.nodes[0]!.flavor, flavor);
  assert.equal(c.nodes[0]!.version, p.nodes[0]!.version, 'same version on both runtimes');
  if (c.nodes[0]!.image !== undefined) assert.match(c.nodes[0]!.image, new RegExp(`^chainsoak/${flavor}:`));
  assert.deepEqual(c.timeline, p.timeline, 'same planned timeline (scenario and seed)');

  const unchecked = assertSameShape(p as unknown as Json, c as unknown as Json, `${c.scenario} summary.json`);

  // samples.jsonl: every row of the container run carries the container's cgroup memory; rows have the
  // process run's keys and only add `container`.
  const ps = readSamples(p.reportDir);
  const cs = readSamples(c.reportDir);
  assert.ok(ps.length > 5 && cs.length > 5, `${ps.length} / ${cs.length} samples`);
  const rows = shapeDiff(mergeElements(ps), mergeElements(cs));
  assert.deepEqual(rows.missing, [], 'sample keys missing on the container run');
  assert.deepEqual(rows.added, ['.container'], 'sample keys only the container run has');
  assert.ok(ps.every((s) => s.container === undefined), 'process samples have no container figures');
  const bad = cs.filter((s) => !(Number.isFinite(s.container?.usageBytes) && s.container.usageBytes > 0));
  assert.deepEqual(bad, [], 'container samples without container.usageBytes > 0');
  assert.ok(cs.every((s) => s.rss > 0 && s.heapInuse > 0 && s.goroutines > 0));
  for (const phase of ['warmup', 'cooldown']) assert.ok(cs.some((s) => s.phase === phase), `container samples in ${phase}`);

  assertPprofParity(c.reportDir, c.nodes[0]!);

  const usage = cs.map((s) => s.container.usageBytes as number);
  const cn = c.nodes[0]!;
  const pn = p.nodes[0]!;
  console.log(
    [
      `      ${c.scenario}: process ${(p.durationMs / 1000).toFixed(1)} s, container ${(c.durationMs / 1000).toFixed(1)} s (declared ${(c.declaredMs / 1000).toFixed(0)} s)`,
      `        heap in use: process ${MB(pn.heap.before.inuseBytes)} → ${MB(pn.heap.after.inuseBytes)}, container ${MB(cn.heap.before.inuseBytes)} → ${MB(cn.heap.after.inuseBytes)}`,
      `        rss: process ${MB(pn.rss.before ?? 0)} → ${MB(pn.rss.after ?? 0)}, container (cgroup anon) ${MB(cn.rss.before ?? 0)} → ${MB(cn.rss.after ?? 0)}`,
      `        container.usageBytes over ${cs.length} samples: ${MB(Math.min(...usage))} .. ${MB(Math.max(...usage))}; last ${JSON.stringify(cs.at(-1).container)}`,
      `        goroutines: process ${pn.goroutines.before} → ${pn.goroutines.after}, container ${cn.goroutines.before} → ${cn.goroutines.after}; accepted ${p.workloads[0]?.accepted} / ${c.workloads[0]?.accepted}`,
      `        shape: ${unchecked.length === 0 ? 'identical' : unchecked.join(', ')}`,
    ].join('\n'),
  );
}

// ---------------------------------------------------------------------------------------------------
// CLI processes the tests start (and must stop, whatever happens)

interface Spawned {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done: boolean;
}

const spawned: Spawned[] = [];

function startCli(args: string[]): Spawned {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const s: Spawned = {
    child,
    output: () => output,
    exited: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal }))),
    done: false,
  };
  void s.exited.then(() => (s.done = true));
  spawned.push(s);
  return s;
}

/** Wait for something, failing after timeoutMs or when `alive` says the thing that should produce it is gone. */
async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, alive: () => string | undefined = () => undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const gone = alive();
    if (gone !== undefined) throw new Error(`${what}: ${gone}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** The running node container of the CLI process `pid` (labelled with its pid): id and run id. */
function nodeContainerOf(pid: number): { id: string; runId: string; node: string } | undefined {
  const [info] = inspectContainers(containersLabelled(`${LABEL_PID}=${pid}`, LABEL_NODE));
  if (!info?.State?.Running) return undefined;
  return { id: info.Id, runId: info.Config.Labels[LABEL_RUN], node: info.Config.Labels[LABEL_NODE] };
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

// ---------------------------------------------------------------------------------------------------
// Short scenarios (library runs)

/** A short geth flood, for the runs that only need a run (the reaping run: it reaps before its node starts). */
const shortGeth: ScenarioInput = {
  name: 'container-short-geth',
  nodes: [{ name: 'geth', node: 'geth', options: { datadir: true, devPeriod: 1 } }],
  warmup: '3s',
  phases: [{ name: 'flood', duration: '3s', workloads: [{ kind: 'geth-tx-flood', rate: 50, senders: 10, maxTxs: 2_000 }] }],
  cooldown: '2s',
  sampleInterval: '1s',
  budgets: { errorRate: 0.001 },
};

/** geth and two CometBFT validators (p2p over the run's network): 5 + 4 + 4 published ports. */
const portsScenario: ScenarioInput = {
  name: 'container-ports',
  runtime: 'container',
  nodes: [
    { name: 'geth', node: 'geth', options: { datadir: true, devPeriod: 1 } },
    { name: 'val', node: 'cometbft', count: 2, options: { blockTime: '300ms' } },
  ],
  warmup: '2s',
  // Long enough to read docker inspect and ss once every node has been sampled in this phase.
  phases: [{ name: 'ports', duration: '12s', workloads: [{ kind: 'comet-tx-flood', rate: 20, maxTxs: 1_000 }] }],
  cooldown: '1s',
  sampleInterval: '1s',
  budgets: { errorRate: 0.001 },
};

// ---------------------------------------------------------------------------------------------------

describe('container runtime end to end (real Docker, geth and CometBFT)', function () {
  this.timeout(20 * 60_000);
  const reportsDirs: string[] = [];
  const newReports = (tag: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `chainsoak-container-${tag}-`));
    reportsDirs.push(dir);
    return dir;
  };
  /** Library runs still going when a test ends (a failed assertion mid-run): aborted and awaited. */
  const pending: Array<{ abort: AbortController; run: Promise<unknown> }> = [];

  before(async function () {
    const status = await dockerStatus();
    if (!status.ok) {
      console.log(`      skipped: ${status.reason}`);
      this.skip();
    }
    console.log(`      Docker engine ${status.version}`);
  });

  let failed = false;

  afterEach(async function () {
    this.timeout(180_000);
    if (this.currentTest?.state === 'failed') failed = true;
    for (const p of pending.splice(0)) {
      p.abort.abort(new Error('test ended'));
      await p.run.catch(() => undefined);
    }
    for (const s of spawned.splice(0)) {
      if (!s.done) {
        s.child.kill('SIGKILL');
        await s.exited;
      }
      if (s.child.pid !== undefined) {
        for (const info of inspectContainers(containersLabelled(`${LABEL_PID}=${s.child.pid}`))) removeRun(info.Config.Labels[LABEL_RUN]);
      }
    }
    // Every run of these tests has its folder in one of our report dirs; its id is the folder's name.
    for (const dir of reportsDirs) {
      for (const runId of readdirSync(dir).filter((f) => statSync(path.join(dir, f)).isDirectory())) {
        removeRun(runId);
        for (const pid of processesMatching(path.join(dir, runId))) process.kill(pid, 'SIGKILL'); // a node of ours, on the process runtime
      }
    }
  });

  after(() => {
    // Report folders are kept when something failed (to look at), removed otherwise.
    if (failed) console.log(`      report folders kept: ${reportsDirs.join(' ')}`);
    else for (const dir of reportsDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('geth-tx-flood passes under --runtime container from the CLI, with the process run\'s fields and pprof parity', async () => {
    const reports = newReports('geth');
    const runs: Partial<Record<'process' | 'container', RunResult>> = {};
    for (const runtime of ['process', 'container'] as const) {
      // The process run (the default runtime) is the one the geth end-to-end test checks: made once.
      const t0 = Date.now();
      const r = runtime === 'process' ? await defaultGethRun() : { ...(await cli([...DEFAULT_GETH_RUN, '--reports', reports, '--runtime', runtime])), wallMs: Date.now() - t0 };
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const dir = /report: (.*)/.exec(r.stdout)?.[1]?.trim();
      assert.ok(dir, r.stdout);
      runs[runtime] = readSummary(dir);
      console.log(`      CLI --runtime ${runtime}: ${(r.wallMs / 1000).toFixed(1)} s wall`);
    }
    const pair = runs as RuntimePair;
    assertContainerRun(pair, 'geth');
    const flood = pair.container.workloads[0]!;
    assert.ok(flood.accepted > 1000, `accepted ${flood.accepted}`);
    assert.equal(flood.failed, 0);
    // The run removed its containers and network itself.
    const runId = path.basename(pair.container.reportDir);
    assert.deepEqual(containersLabelled(`${LABEL_RUN}=${runId}`), [], 'containers left by the run');
    assert.deepEqual(networksLabelled(`${LABEL_RUN}=${runId}`), [], 'networks left by the run');
  });

  it('comet-single-flood passes under the container runtime through runScenario, with the process run\'s fields and pprof parity', async () => {
    const reportsDir = newReports('comet');
    const file = path.join(repoRoot, 'scenarios/comet-single-flood.ts');
    const runs: Partial<Record<'process' | 'container', RunResult>> = {};
    for (const runtime of ['process', 'container'] as const) {
      runs[runtime] = await runScenario(file, { runtime, durationMs: 15_000, reportsDir });
    }
    const pair = runs as RuntimePair;
    assertContainerRun(pair, 'cometbft');
    assert.ok(Number(pair.container.workloads[0]!.accepted) > 1000, `accepted ${pair.container.workloads[0]!.accepted}`);
    const runId = path.basename(pair.container.reportDir);
    assert.deepEqual(containersLabelled(`${LABEL_RUN}=${runId}`), [], 'containers left by the run');
    assert.deepEqual(networksLabelled(`${LABEL_RUN}=${runId}`), [], 'networks left by the run');
  });

  it('publishes every port of every node container on 127.0.0.1 only (docker inspect, ss -ltn)', async () => {
    const reportsDir = newReports('ports');
    const abort = new AbortController();
    let result: RunResult | undefined;
    const run = runScenario(portsScenario, { reportsDir, signal: abort.signal }).then((r) => (result = r));
    pending.push({ abort, run });
    const ended = () => (result ? `the run ended early: ${explain(result)}` : undefined);

    const runId = await waitFor('the run folder', () => readdirSync(reportsDir)[0], 60_000, ended);
    const runDir = path.join(reportsDir, runId);
    await waitFor(
      'samples of every node in phase "ports"',
      () => {
        const seen = new Set(liveSamples(runDir).filter((s) => s.phase === 'ports').map((s) => s.node));
        return seen.size === 3 ? true : undefined;
      },
      180_000,
      ended,
    );

    const containers = inspectContainers(containersLabelled(`${LABEL_RUN}=${runId}`));
    assert.deepEqual(containers.map((c) => c.Config.Labels[LABEL_NODE]).sort(), ['geth', 'val0', 'val1'], 'one container per node, and no other');
    const expectedPorts: Record<string, number> = { geth: 5, val0: 4, val1: 4 };
    const listeners = listening();
    const published: string[] = [];
    for (const c of containers) {
      const node = c.Config.Labels[LABEL_NODE] as string;
      assert.equal(c.State.Running, true, `${node} runs`);
      // What was asked at create...
      const asked = Object.entries(c.HostConfig.PortBindings ?? {}) as Array<[string, Array<{ HostIp: string; HostPort: string }>]>;
      assert.equal(asked.length, expectedPorts[node], `${node}: published ports asked ${JSON.stringify(c.HostConfig.PortBindings)}`);
      for (const [port, bindings] of asked) {
        assert.ok(bindings.length > 0, `${node} ${port}: bindings asked`);
        for (const b of bindings) assert.equal(b.HostIp, '127.0.0.1', `${node} ${port} asked on ${b.HostIp || '(all addresses)'}`);
      }
      // ...and what the engine did.
      const actual = Object.entries(c.NetworkSettings.Ports ?? {}) as Array<[string, Array<{ HostIp: string; HostPort: string }> | null]>;
      assert.equal(actual.filter(([, b]) => b && b.length > 0).length, expectedPorts[node], `${node}: ports published ${JSON.stringify(c.NetworkSettings.Ports)}`);
      for (const [port, bindings] of actual) {
        for (const b of bindings ?? []) {
          assert.equal(b.HostIp, '127.0.0.1', `${node} ${port} published on ${b.HostIp}`);
          const hostPort = Number(b.HostPort);
          assert.ok(hostPort > 0, `${node} ${port}: host port ${b.HostPort}`);
          const onPort = listeners.filter((l) => l.port === hostPort);
          // The engine's proxy listens for each published port: on 127.0.0.1, never on every address.
          assert.ok(onPort.length > 0, `${node} ${port}: nothing listens on host port ${hostPort} (ss -ltn)`);
          assert.deepEqual(onPort.filter((l) => l.address !== '127.0.0.1'), [], `${node} ${port}: host port ${hostPort} bound beyond loopback`);
          published.push(`${node}/${port}→127.0.0.1:${hostPort}`);
        }
      }
    }
    assert.equal(published.length, 13);
    console.log(`      ${published.length} published ports, all on 127.0.0.1: ${published.join(' ')}`);

    await run;
    assert.ok(result);
    assert.equal(result.exitCode, 0, explain(result));
    assert.ok(result.nodes.every((n) => n.runtime === 'container'), 'the scenario\'s runtime field puts every node in a container');
    assert.deepEqual(containersLabelled(`${LABEL_RUN}=${runId}`), [], 'containers left by the run');
    assert.deepEqual(networksLabelled(`${LABEL_RUN}=${runId}`), [], 'networks left by the run');
    const stillListening = listening().filter((l) => published.some((p) => p.endsWith(`:${l.port}`)));
    assert.deepEqual(stillListening, [], 'published ports still listened on after the run');
  });

  it('Ctrl-C in the middle of a container run exits 130 and leaves no container or network of the run', async () => {
    const reports = newReports('sigint');
    const s = startCli(['run', 'scenarios/geth-tx-flood.ts', '--runtime', 'container', '--duration', '30s', '--reports', reports, '--quiet']);
    const pid = s.child.pid!;
    const exitedEarly = () => (s.done ? `the CLI exited before its node ran: ${s.output()}` : undefined);
    const node = await waitFor('the run\'s node container', () => nodeContainerOf(pid), 180_000, exitedEarly);
    assert.equal(node.runId, readdirSync(reports)[0], 'the run id is the report folder\'s name');
    await waitFor('a sample of the running node', () => (liveSamples(path.join(reports, node.runId)).length > 0 ? true : undefined), 60_000, exitedEarly);
    await sleep(2000);
    assert.equal(s.done, false, 'the run is still going when interrupted');

    const t0 = Date.now();
    s.child.kill('SIGINT');
    const exit = await Promise.race([s.exited, sleep(40_000).then(() => undefined)]);
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(exit, `no exit within 40 s of SIGINT: ${s.output()}`);
    assert.equal(exit.code, 130, s.output());
    console.log(`      SIGINT → exit 130 in ${seconds.toFixed(1)} s (run ${node.runId})`);
    assert.deepEqual(containersLabelled(`${LABEL_RUN}=${node.runId}`), [], 'containers of the interrupted run');
    assert.deepEqual(networksLabelled(`${LABEL_RUN}=${node.runId}`), [], 'networks of the interrupted run');
    const summary = readSummary(path.join(reports, node.runId));
    assert.equal(summary.exitCode, 130, 'the partial report says interrupted');
  });

  it('what a SIGKILLed harness left is reaped by the next container run, which says so in its events', async () => {
    const reports = newReports('sigkill');
    const s = startCli(['run', 'scenarios/geth-tx-flood.ts', '--runtime', 'container', '--duration', '20s', '--reports', reports, '--quiet']);
    const pid = s.child.pid!;
    const node = await waitFor('the run\'s node container', () => nodeContainerOf(pid), 180_000, () => (s.done ? `the CLI exited before its node ran: ${s.output()}` : undefined));
    await sleep(2000);
    s.child.kill('SIGKILL');
    const exit = await s.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(processGone(pid), `harness pid ${pid} is gone`);

    // Nothing ran the harness's cleanup: its container (still running) and network are there.
    const left = inspectContainers(containersLabelled(`${LABEL_RUN}=${node.runId}`));
    assert.deepEqual(left.map((c) => c.Id), [node.id], 'the killed run\'s node container is still there');
    assert.equal(left[0].Config.Labels[LABEL_PID], String(pid), 'labelled with the dead harness pid');
    assert.equal(left[0].State.Running, true, 'and still running');
    const containerName = (left[0].Name as string).replace(/^\//, '');
    const nets = networksLabelled(`${LABEL_RUN}=${node.runId}`);
    assert.equal(nets.length, 1, `the killed run's network: ${nets.join(', ')}`);

    const second = await runScenario(shortGeth, { runtime: 'container', reportsDir: newReports('reaper') });
    assert.equal(second.exitCode, 0, explain(second));
    assert.deepEqual(containersLabelled(`${LABEL_RUN}=${node.runId}`), [], 'the killed run\'s container after the next run');
    assert.deepEqual(networksLabelled(`${LABEL_RUN}=${node.runId}`), [], 'the killed run\'s network after the next run');
    const reaped = second.events.filter((e) => e.kind === 'runtime' && /reap/i.test(e.detail ?? '')).map((e) => e.detail!);
    console.log(`      second run's reaping events:\n${reaped.map((d) => `        ${d}`).join('\n')}`);
    assert.ok(reaped.some((d) => d.includes(containerName) && d.includes(node.runId) && d.includes(`pid ${pid}`)), `an event names the container ${containerName}: ${JSON.stringify(second.events)}`);
    assert.ok(reaped.some((d) => d.includes(nets[0]!) && /network/.test(d)), `an event names the network ${nets[0]}: ${JSON.stringify(second.events)}`);
  });
});
