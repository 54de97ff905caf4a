// The compose devnet (docker-compose.yml, docker-compose.nodes.json, scenarios/devnet/devnet-external.ts) against
// the real local dockerd and docker-compose 1.29: images built through the CLI, the devnet up under a
// project name of its own, every published port on 127.0.0.1 only, the external runtime's full report,
// and its one-line failures. Skips, with the reason, only when no Docker engine can run here.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerStatus } from '../../harness/runtimes/docker/index.ts';
import { cli, repoRoot } from '../helpers.ts';

const composeFile = path.join(repoRoot, 'docker-compose.yml');
const nodesFile = path.join(repoRoot, 'docker-compose.nodes.json');
const project = `chainsoak-test-${randomBytes(4).toString('hex')}`;

interface NodesFileEntry {
  name: string;
  flavor: string;
  endpoints: Record<string, string>;
}
const nodesFileEntries = (): NodesFileEntry[] => (JSON.parse(readFileSync(nodesFile, 'utf8')) as { nodes: NodesFileEntry[] }).nodes;
const endpointsOf = (name: string): Record<string, string> => nodesFileEntries().find((n) => n.name === name)!.endpoints;

function compose(args: string[], timeoutMs = 180_000): { status: number | null; output: string } {
  const r = spawnSync('docker-compose', ['-p', project, '-f', composeFile, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** The host ports the compose file publishes ("127.0.0.1:18545:8545" -> 18545), read from the file itself. */
function filePorts(): number[] {
  return [...readFileSync(composeFile, 'utf8').matchAll(/^\s*-\s*"?([\d.]+):(\d+):(\d+)"?\s*$/gm)].map((m) => Number(m[2]));
}

/** Free to bind on 127.0.0.1? (false when anything listens there, or on 0.0.0.0, with that port) */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function getJson<T>(url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(3000),
  });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function getText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

const gethHeight = async () =>
  Number((await getJson<{ result: string }>(endpointsOf('geth').http!, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })).result);
const cometHeight = async (name: string) =>
  Number((await getJson<{ result: { sync_info: { latest_block_height: string } } }>(`${endpointsOf(name).rpc}/status`)).result.sync_info.latest_block_height);
const metric = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.trim().split(/\s+/).pop());
};

/** Published bindings of the project's containers, by compose service. */
function publishedBindings(): Array<{ service: string; containerPort: string; hostIp: string; hostPort: number }> {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const containers = JSON.parse(execFileSync('docker', ['inspect', ...ids], { encoding: 'utf8' })) as Array<{
    Config: { Labels: Record<string, string> };
    NetworkSettings: { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> };
  }>;
  return containers.flatMap((c) =>
    Object.entries(c.NetworkSettings.Ports ?? {}).flatMap(([containerPort, bindings]) =>
      (bindings ?? []).map((b) => ({ service: c.Config.Labels['com.docker.compose.service']!, containerPort, hostIp: b.HostIp, hostPort: Number(b.HostPort) })),
    ),
  );
}

/** A file from the project's CometBFT volume, through a validator container (the images have no cat). */
async function volumeFile(service: string, file: string, dir: string): Promise<string> {
  const id = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`], { encoding: 'utf8' }).trim();
  const target = path.join(dir, `${service}-${path.basename(file)}-${Date.now()}`);
  execFileSync('docker', ['cp', `${id}:${file}`, target]);
  return readFile(target, 'utf8');
}

describe('compose devnet (docker-compose.yml on the external runtime)', function () {
  this.timeout(20 * 60_000);
  let dir: string | undefined;
  let upAttempted = false;

  before(async function () {
    // Start the engine where it can run (root; installs Debian's docker.io and docker-compose if missing).
    spawnSync('sh', [path.join(repoRoot, 'test/support/ensure-docker.sh')], { stdio: 'ignore', timeout: 15 * 60_000 });
    const status = await dockerStatus();
    if (!status.ok) {
      console.log(`      skipped: ${status.reason}`);
      this.skip();
    }
    const version = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
    assert.equal(version.status, 0, `Docker runs but docker-compose does not (${version.error?.message ?? version.stderr.trim()}): install it with 'sh test/support/ensure-docker.sh' as root`);
    console.log(`      Docker ${status.ok ? status.version : ''}, docker-compose ${version.stdout.trim()}, project ${project}`);
    dir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-compose-test-'));

    let t0 = performance.now();
    const build = await cli(['images', 'build', 'geth', 'cometbft'], { timeoutMs: 30 * 60_000 });
    assert.equal(build.code, 0, `chainsoak images build geth cometbft failed:\n${build.stdout}${build.stderr}`);
    assert.match(build.stdout, /chainsoak\/geth:v1\.17\.10/);
    assert.match(build.stdout, /chainsoak\/cometbft:v0\.38\.26/);
    console.log(`      images: ${Math.round(performance.now() - t0)} ms`);

    // The host ports are fixed in the file (the nodes file names them): a devnet already up clashes.
    const ports = filePorts();
    assert.equal(ports.length, 15, `docker-compose.yml publishes ${ports.length} ports, expected 15 (3 geth + 3 per validator)`);
    const taken: number[] = [];
    for (const port of ports) if (!(await portFree(port))) taken.push(port);
    if (taken.length > 0) {
      assert.fail(`host ports ${taken.join(', ')} of docker-compose.yml are in use on 127.0.0.1 (a devnet already up? see 'docker ps'; 'docker-compose down' it first): this test needs them`);
    }

    t0 = performance.now();
    upAttempted = true;
    const up = compose(['up', '-d']);
    assert.equal(up.status, 0, `docker-compose -p ${project} up -d failed:\n${up.output}`);
    console.log(`      up -d: ${Math.round(performance.now() - t0)} ms`);

    // Ready: geth mines, every validator commits blocks and sees its three peers, metrics and pprof answer.
    t0 = performance.now();
    const deadline = Date.now() + 120_000;
    let last = '';
    for (;;) {
      try {
        if ((await gethHeight()) < 1) throw new Error('geth at height 0');
        for (const name of ['val0', 'val1', 'val2', 'val3']) {
          const height = await cometHeight(name);
          if (height < 2) throw new Error(`${name} at height ${height}`);
          const peers = metric(await getText(endpointsOf(name).prometheus!), 'cometbft_p2p_peers');
          if (peers !== 3) throw new Error(`${name} has ${peers} peers`);
        }
        break;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) assert.fail(`the devnet was not ready within 120 s (${last}):\n${compose(['logs', '--tail', '15']).output}`);
      await sleep(500);
    }
    console.log(`      ready: ${Math.round(performance.now() - t0)} ms`);
  });

  after(async () => {
    if (upAttempted) {
      const down = compose(['down', '-v', '--remove-orphans']);
      if (down.status !== 0) console.log(`      docker-compose down -v failed: ${down.output}`);
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('publishes every port on 127.0.0.1 only, the ones the nodes file names', () => {
    const bindings = publishedBindings();
    assert.deepEqual([...new Set(bindings.map((b) => b.hostPort))].sort(), [...filePorts()].sort(), 'published = the ports in the file');
    for (const b of bindings) assert.equal(b.hostIp, '127.0.0.1', `${b.service} ${b.containerPort} is published on ${b.hostIp}:${b.hostPort}`);
    assert.ok(!bindings.some((b) => b.containerPort === '8551/tcp'), 'geth authrpc is not published');

    const listening = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[3])
      .filter((address): address is string => address !== undefined);
    for (const port of filePorts()) {
      const mine = listening.filter((address) => address.endsWith(`:${port}`));
      assert.deepEqual(mine, [`127.0.0.1:${port}`], `listeners on port ${port}: ${mine.join(' ') || 'none'}`);
    }

    // Each URL of the nodes file goes to the service of that node's name.
    for (const node of nodesFileEntries()) {
      for (const [key, url] of Object.entries(node.endpoints)) {
        const { hostname, port } = new URL(url);
        assert.equal(hostname, '127.0.0.1', `${node.name} ${key}`);
        const owner = bindings.find((b) => b.hostPort === Number(port));
        assert.equal(owner?.service, node.name, `${node.name} ${key} ${url} is published by ${owner?.service ?? 'nothing'}`);
      }
    }
  });

  it('serves pprof everywhere, Prometheus on the validators (set through CMT_ variables), a block about every 500 ms', async () => {
    for (const node of nodesFileEntries()) {
      const heap = await fetch(`${node.endpoints.pprof}/debug/pprof/heap`, { signal: AbortSignal.timeout(5000) });
      assert.equal(heap.status, 200, `${node.name} pprof`);
      await heap.arrayBuffer();
    }
    const timeoutCommit = /CMT_CONSENSUS_TIMEOUT_COMMIT:\s*"(\d+)ms"/.exec(readFileSync(composeFile, 'utf8'))?.[1];
    assert.ok(timeoutCommit, 'the file sets CMT_CONSENSUS_TIMEOUT_COMMIT in ms');
    for (const name of ['val0', 'val1', 'val2', 'val3']) {
      const text = await getText(endpointsOf(name).prometheus!);
      assert.ok((metric(text, 'cometbft_consensus_height') ?? 0) >= 2, `${name}: cometbft_consensus_height`);
      assert.ok((metric(text, 'go_memstats_heap_inuse_bytes') ?? 0) > 0, `${name}: go_memstats_heap_inuse_bytes`);
      // The next round starts timeout_commit after the commit: the variable reached the config.
      const state = await getJson<{ result: { round_state: { start_time: string; commit_time: string } } }>(`${endpointsOf(name).rpc}/dump_consensus_state`);
      const wait = Date.parse(state.result.round_state.start_time) - Date.parse(state.result.round_state.commit_time);
      assert.equal(wait, Number(timeoutCommit), `${name}: start_time - commit_time`);
    }
    const [h0, t0] = [await cometHeight('val0'), performance.now()];
    await sleep(8000);
    const interval = (performance.now() - t0) / ((await cometHeight('val0')) - h0);
    console.log(`      CometBFT block interval: ${Math.round(interval)} ms`);
    assert.ok(interval < 1000, `a block every ${Math.round(interval)} ms`);
  });

  it('a second up changes nothing: the init is a no-op, keys and genesis are kept, the chain goes on', async () => {
    const genesis = await volumeFile('val0', '/net/node0/config/genesis.json', dir!);
    const key = await volumeFile('val0', '/net/node0/config/priv_validator_key.json', dir!);
    const [gethBefore, cometBefore] = [await gethHeight(), await cometHeight('val0')];
    const up = compose(['up', '-d']);
    assert.equal(up.status, 0, `second up -d failed:\n${up.output}`);
    assert.doesNotMatch(up.output, /Recreating/, 'nothing is recreated');
    assert.match(compose(['logs', '--no-color', 'cometbft-init']).output, /nothing to do/);
    assert.equal(await volumeFile('val0', '/net/node0/config/genesis.json', dir!), genesis, 'genesis.json unchanged');
    assert.equal(await volumeFile('val0', '/net/node0/config/priv_validator_key.json', dir!), key, 'validator key unchanged');
    await sleep(3000);
    assert.ok((await gethHeight()) > gethBefore, 'geth goes on');
    assert.ok((await cometHeight('val0')) > cometBefore, 'CometBFT goes on');
  });

  it('runs scenarios/devnet/devnet-external.ts against it with the nodes file: exit 0 and a full report', async () => {
    const reports = path.join(dir!, 'reports');
    const t0 = performance.now();
    // 8 s of floods between the scenario's 15 s warmup and 10 s cooldown: blocks with txs, 5+ samples a node.
    const run = await cli(['run', 'scenarios/devnet/devnet-external.ts', '--nodes', 'docker-compose.nodes.json', '--duration', '8s', '--reports', reports], {
      timeoutMs: 5 * 60_000,
    });
    console.log(`      run: ${Math.round(performance.now() - t0)} ms`);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const reportDir = /^report: (.+)$/m.exec(run.stdout)?.[1]?.trim();
    assert.ok(reportDir && existsSync(reportDir), `report folder in: ${run.stdout}`);

    const summary = JSON.parse(readFileSync(path.join(reportDir, 'summary.json'), 'utf8'));
    assert.equal(summary.verdict, 'pass');
    assert.equal(summary.exitCode, 0);
    assert.deepEqual(summary.nodes.map((n: { name: string }) => n.name), ['geth', 'val0', 'val1', 'val2', 'val3']);
    for (const node of summary.nodes) {
      assert.equal(node.runtime, 'external', node.name);
      assert.equal(node.flavor, node.name === 'geth' ? 'geth' : 'cometbft');
      for (const side of ['before', 'after'] as const) {
        assert.ok(node.heap[side].inuseBytes > 0, `${node.name} heap.${side}.inuseBytes`);
        assert.ok(node.heap[side].memstats.HeapInuse > 0, `${node.name} heap.${side}.memstats`);
      }
      assert.ok(node.goroutines.before > 0 && node.goroutines.after > 0, `${node.name} goroutines`);
      assert.deepEqual(node.rss, { before: null, after: null }, `${node.name}: no RSS for an external node`);
      for (const [kind, file] of Object.entries(node.profiles as Record<string, string>)) {
        assert.ok(statSync(path.join(reportDir, file)).size > 0, `${node.name} ${kind}: ${file}`);
      }
      assert.ok(['heapBefore', 'heapAfter', 'goroutineBefore', 'goroutineAfter'].every((k) => k in node.profiles), `${node.name} profiles`);
    }

    for (const node of summary.nodes) {
      const mine = summary.budgets.filter((b: { node: string }) => b.node === node.name);
      const rss = mine.find((b: { name: string }) => b.name === 'rss growth');
      assert.equal(rss?.skipped, true, `${node.name} rss growth is skipped`);
      assert.match(rss.message, /RSS .*external runtime cannot be read/);
      for (const name of ['heap in-use growth', 'goroutine growth']) {
        const budget = mine.find((b: { name: string }) => b.name === name);
        assert.ok(budget && budget.pass && !budget.skipped, `${node.name} ${name}: ${budget?.message}`);
      }
    }

    const kinds = summary.workloads.map((w: { kind: string }) => w.kind).sort();
    assert.deepEqual(kinds, ['comet-tx-flood', 'geth-tx-flood']);
    for (const w of summary.workloads) assert.ok(w.sent > 0 && w.failed === 0, `${w.kind}: ${w.sent} sent, ${w.failed} failed`);
    assert.ok(summary.workloads.find((w: { kind: string }) => w.kind === 'geth-tx-flood').extra.included > 0, 'geth transactions in blocks');
    assert.ok(summary.workloads.find((w: { kind: string }) => w.kind === 'comet-tx-flood').extra.committed > 0, 'CometBFT transactions in blocks');

    const samples = readFileSync(path.join(reportDir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const name of ['geth', 'val0', 'val1', 'val2', 'val3']) {
      assert.ok(samples.filter((s) => s.node === name && s.heapInuse > 0).length >= 5, `samples of ${name}`);
    }
    assert.ok(statSync(path.join(reportDir, 'report.html')).size > 10_000, 'report.html');
  });

  it('an unreachable URL in the nodes file: exit 3 with one line, within about 30 s', async () => {
    const bad = JSON.parse(readFileSync(nodesFile, 'utf8'));
    const port = await closedPort();
    bad.nodes[0].endpoints = { http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}`, pprof: `http://127.0.0.1:${port}` };
    const file = path.join(dir!, 'unreachable.nodes.json');
    await writeFile(file, JSON.stringify(bad, null, 2));
    const t0 = performance.now();
    const run = await cli(['run', 'scenarios/devnet/devnet-external.ts', '--nodes', file, '--reports', path.join(dir!, 'reports-bad'), '--quiet'], { timeoutMs: 120_000 });
    const seconds = (performance.now() - t0) / 1000;
    console.log(`      unreachable: exit ${run.code} in ${seconds.toFixed(1)} s`);
    assert.equal(run.code, 3, `${run.stdout}\n${run.stderr}`);
    assert.ok(seconds < 40, `took ${seconds.toFixed(1)} s`);
    // The verdict line, then the error in one line naming the node and the URL (then the report folder).
    assert.match(run.stdout, /^devnet-external: ERROR \(exit 3\)$/m);
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, `one error line, got:\n${run.stdout}`);
    // The default readyTimeout (60 s) is capped at 20 s for a node chainsoak only attaches to.
    assert.match(errors[0]!, new RegExp(`^error: geth: .*did not answer within 20 s .*127\\.0\\.0\\.1:${port}`));
    assert.equal(run.stderr.trim(), '', 'nothing more on stderr');
  });

  it('a nodes file that does not exist: exit 2 with one line', async () => {
    const missing = path.join(dir!, 'no-such.nodes.json');
    const run = await cli(['run', 'scenarios/devnet/devnet-external.ts', '--nodes', missing, '--quiet'], { timeoutMs: 60_000 });
    assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
    assert.equal(run.stderr.trim(), `chainsoak: --nodes ${missing}: no such file`);
    assert.equal(run.stdout, '');
  });
});
