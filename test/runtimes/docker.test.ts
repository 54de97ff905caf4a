// The Docker substrate against the real local dockerd, with a tiny static Go server
// (test/fixtures/docker-echo) in a FROM scratch image. Skips, with dockerStatus()'s reason, only when no
// Docker engine can run here (start one with `sh test/support/ensure-docker.sh` as root).
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InfraError } from '../../harness/errors.ts';
import {
  buildNodeImage,
  createContainer,
  createRunNetwork,
  dockerStatus,
  LABEL_CONTENT,
  LABEL_HOST,
  LABEL_IMAGE,
  LABEL_PID,
  LABEL_RUN,
  reapStale,
  removeLabelled,
  runLabels,
  runOnce,
  startContainer,
  type ContainerSpec,
  type NodeContainer,
} from '../../harness/runtimes/docker/index.ts';
import { repoRoot } from '../helpers.ts';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** docker inspect through the CLI: an independent view of what the engine did. */
function inspect(kind: 'container' | 'image' | 'network', id: string): any {
  return JSON.parse(execFileSync('docker', [kind, 'inspect', id], { encoding: 'utf8' }))[0];
}

function exists(kind: 'container' | 'image' | 'network', id: string): boolean {
  return spawnSync('docker', [kind, 'inspect', id], { stdio: 'ignore' }).status === 0;
}

async function get(port: number, pathAndQuery: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${pathAndQuery}`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

/** GET / until it answers; the time it took. */
async function reachable(port: number, timeoutMs = 15_000): Promise<number> {
  const start = performance.now();
  for (;;) {
    try {
      if ((await get(port, '/', 1000)).status === 200) return performance.now() - start;
    } catch (err) {
      if (performance.now() - start > timeoutMs) throw new Error(`127.0.0.1:${port} did not answer within ${timeoutMs} ms: ${err}`);
    }
    await sleep(25);
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const countOf = (text: string, needle: string) => text.split(needle).length - 1;

describe('docker runtime (real dockerd)', function () {
  this.timeout(300_000);
  const runId = `t${process.pid}-${Date.now().toString(36)}`;
  let dir: string;
  let binary: string;
  let image: string;
  let network: { name: string; remove(): Promise<void> };
  const images: string[] = [];
  let containers: NodeContainer[] = [];

  const spec = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name: `${runId}-${name}`,
    image,
    cmd: [],
    labels: runLabels(runId),
    network: { name: network.name, aliases: [name] },
    exposedPorts: [8080],
    logFile: path.join(dir, 'logs', `${name}.log`),
    ...extra,
  });
  const start = async (name: string, extra: Partial<ContainerSpec> = {}) => {
    const container = await startContainer(spec(name, extra));
    containers.push(container);
    return container;
  };

  before(async function () {
    const status = await dockerStatus();
    if (!status.ok) {
      console.log(`      skipped: ${status.reason}`);
      this.skip();
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-docker-test-'));
    binary = path.join(dir, 'docker-echo');
    const build = spawnSync('go', ['build', '-trimpath', '-o', binary, '.'], {
      cwd: path.join(repoRoot, 'test', 'fixtures', 'docker-echo'),
      env: { ...process.env, CGO_ENABLED: '0' },
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, `go build of the docker-echo fixture failed: ${build.stderr}`);
    const t0 = performance.now();
    image = await buildNodeImage({ flavor: 'docker-echo', version: `test-${runId}`, binaries: { 'docker-echo': binary }, entrypoint: 'docker-echo' });
    console.log(`      image built in ${Math.round(performance.now() - t0)} ms`);
    images.push(image);
    network = await createRunNetwork(runId, { 'chainsoak.test': 'docker' });
  });

  afterEach(async () => {
    for (const container of containers) await container.remove();
    containers = [];
  });

  after(async () => {
    if (dir === undefined) return;
    await removeLabelled(runId);
    await network?.remove();
    for (const tag of images) spawnSync('docker', ['image', 'rm', '-f', tag], { stdio: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  });

  it('dockerStatus names the running engine', async () => {
    const status = await dockerStatus();
    assert.ok(status.ok);
    assert.equal(status.version, execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim());
  });

  it('builds a labelled FROM scratch image, reuses it for the same binaries, rebuilds for new ones', async () => {
    const built = inspect('image', image);
    assert.equal(built.Config.Labels[LABEL_IMAGE], '1');
    assert.match(built.Config.Labels[LABEL_CONTENT], /^[0-9a-f]{64}$/);
    assert.deepEqual(built.Config.Entrypoint, ['/usr/local/bin/docker-echo']);
    assert.deepEqual(built.RootFS.Layers.length, 1, 'one layer: nothing FROM a base image');

    const again = await buildNodeImage({ flavor: 'docker-echo', version: `test-${runId}`, binaries: { 'docker-echo': binary }, entrypoint: 'docker-echo' });
    assert.equal(again, image);
    assert.equal(inspect('image', image).Id, built.Id, 'same binaries: no new build');

    const changed = path.join(dir, 'docker-echo-changed');
    await copyFile(binary, changed);
    await appendFile(changed, 'different content');
    await buildNodeImage({ flavor: 'docker-echo', version: `test-${runId}`, binaries: { 'docker-echo': changed }, entrypoint: 'docker-echo' });
    const rebuilt = inspect('image', image);
    assert.notEqual(rebuilt.Id, built.Id);
    assert.notEqual(rebuilt.Config.Labels[LABEL_CONTENT], built.Config.Labels[LABEL_CONTENT]);
    assert.ok(!exists('image', built.Id), 'the image the tag named before is removed');
  });

  it('publishes ports on 127.0.0.1 only; they answer there; stdout and stderr reach the log file', async () => {
    const t0 = performance.now();
    const c = await start('ports', { user: '65534:65534', exposedPorts: [8080, 9090] });
    const port = await c.mappedPort(8080);
    const ms = await reachable(port);
    console.log(`      start to reachable: ${Math.round(performance.now() - t0)} ms (${Math.round(ms)} ms of it polling)`);
    assert.match((await get(port, '/')).body, /^ok /);
    assert.equal((await get(port, '/tmp')).status, 200, 'a non-root user can write /tmp');

    const info = inspect('container', c.id);
    for (const key of ['8080/tcp', '9090/tcp']) {
      assert.deepEqual(
        info.HostConfig.PortBindings[key].map((b: { HostIp: string }) => b.HostIp),
        ['127.0.0.1'],
      );
      const live = info.NetworkSettings.Ports[key] as Array<{ HostIp: string; HostPort: string }>;
      assert.ok(live.length >= 1);
      for (const binding of live) assert.equal(binding.HostIp, '127.0.0.1');
    }
    const listening = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[3])
      .filter((address): address is string => address !== undefined);
    for (const published of [port, await c.mappedPort(9090)]) {
      const mine = listening.filter((address) => address.endsWith(`:${published}`));
      assert.deepEqual(mine, [`127.0.0.1:${published}`], `listeners on port ${published}: ${mine.join(' ')}`);
    }

    const log = spec('ports').logFile;
    await waitFor('the request line in the log', async () => (await readFile(log, 'utf8').catch(() => '')).includes('echo: GET /tmp'));
    const text = await readFile(log, 'utf8');
    assert.match(text, /echo: listening on 0\.0\.0\.0:8080 as uid 65534/, 'stderr is in the log');
    assert.match(text, /^echo: GET \/$/m, 'stdout is in the log, without docker timestamps');
  });

  it('pause stops it answering; unpause brings it back', async () => {
    const c = await start('pause');
    const port = await c.mappedPort(8080);
    await reachable(port);
    await c.pause();
    assert.deepEqual(await c.state(), { running: true, paused: true, exitCode: null, oomKilled: false });
    await assert.rejects(get(port, '/', 1500), 'a paused container does not answer');
    await c.unpause();
    assert.equal((await c.state()).paused, false);
    assert.equal((await get(port, '/')).status, 200);
  });

  it('stop, kill, exit and start again: exit figures, port re-read, one log file across runs', async () => {
    const c = await start('lifecycle');
    await reachable(await c.mappedPort(8080));
    await get(await c.mappedPort(8080), '/first');

    await c.stop(5);
    const stopped = await c.state();
    assert.equal(stopped.running, false);
    assert.equal(stopped.exitCode, 0, 'SIGTERM: the program exits 0');
    assert.ok(stopped.finishedAt !== undefined && Date.parse(stopped.finishedAt) > Date.now() - 60_000);
    assert.deepEqual(await c.waitExit(), { exitCode: 0, oomKilled: false }, 'waitExit on a stopped container returns at once');
    await assert.rejects(c.mappedPort(8080), InfraError);

    await c.start();
    let port = await c.mappedPort(8080);
    await reachable(port);
    await get(port, '/second');

    const exit = c.waitExit();
    await get(port, '/exit?code=7');
    assert.deepEqual(await exit, { exitCode: 7, oomKilled: false });

    await c.start();
    port = await c.mappedPort(8080);
    await reachable(port);
    await c.kill();
    assert.deepEqual(await c.waitExit(), { exitCode: 137, oomKilled: false });

    await c.start();
    await reachable(await c.mappedPort(8080));
    await c.restart(2);
    port = await c.mappedPort(8080);
    await reachable(port);
    await get(port, '/fourth');

    const log = spec('lifecycle').logFile;
    await waitFor('the fourth run in the log', async () => (await readFile(log, 'utf8')).includes('GET /fourth'));
    const text = await readFile(log, 'utf8');
    assert.equal(countOf(text, 'echo: listening on'), 5, text);
    assert.equal(countOf(text, 'GET /first'), 1, 'nothing is written twice');
    assert.ok(text.indexOf('GET /first') < text.indexOf('terminated, exiting'));
    assert.ok(text.indexOf('terminated, exiting') < text.indexOf('GET /second'));
    assert.equal(countOf(text, 'echo: exit 7'), 1, 'the last words of a run that exited by itself, once');
    assert.equal(countOf(text, 'terminated, exiting'), 2, 'stop and restart each sent SIGTERM; each line once');

    await get(port, '/last-words');
    await c.remove();
    assert.match(await readFile(log, 'utf8'), /GET \/last-words\n$/, 'remove() flushes what the run printed before it');
    assert.ok(!exists('container', c.id));
  });

  it('memory() gives the stats API figures; update() changes the limit', async () => {
    const c = await start('memory', { memLimitBytes: 512 * MiB });
    const port = await c.mappedPort(8080);
    await reachable(port);
    const t0 = performance.now();
    const idle = await c.memory();
    console.log(`      stats call: ${Math.round(performance.now() - t0)} ms`);
    assert.ok(idle.usageBytes > 0);
    assert.ok(idle.rssBytes! > 0);
    assert.equal(idle.limitBytes, 512 * MiB);

    assert.equal((await get(port, '/alloc?mb=96', 30_000)).body.trim(), '96');
    const busy = await c.memory();
    assert.ok(busy.rssBytes! >= 96 * MiB, `rss ${busy.rssBytes} after allocating 96 MiB`);
    assert.ok(busy.usageBytes >= busy.rssBytes!);

    await c.update({ memLimitBytes: 256 * MiB, cpus: 0.5 });
    assert.equal((await c.memory()).limitBytes, 256 * MiB);
    const host = inspect('container', c.id).HostConfig;
    assert.equal(host.Memory, 256 * MiB);
    assert.equal(host.NanoCpus, 500_000_000);
  });

  it('a memory limit under what the program allocates gets it OOM-killed', async () => {
    const c = await start('oom', { memLimitBytes: 48 * MiB });
    const port = await c.mappedPort(8080);
    await reachable(port);
    const exit = c.waitExit();
    await assert.rejects(get(port, '/alloc?mb=128', 30_000), 'the request dies with the process');
    assert.deepEqual(await exit, { exitCode: 137, oomKilled: true });
    const state = await c.state();
    assert.equal(state.running, false);
    assert.equal(state.oomKilled, true);
  });

  it('disconnect cuts a container off the run network; connect brings it back under new aliases', async () => {
    const a = await start('net-a');
    const b = await start('net-b');
    const port = await b.mappedPort(8080);
    await reachable(await a.mappedPort(8080));
    await reachable(port);
    const fetchFromB = (host: string) => get(port, `/fetch?url=${encodeURIComponent(`http://${host}:8080/`)}`, 10_000);

    assert.equal((await fetchFromB('net-a')).status, 200);
    await a.disconnect(network.name);
    assert.ok(!(network.name in inspect('container', a.id).NetworkSettings.Networks));
    assert.equal((await fetchFromB('net-a')).status, 502, 'unreachable once disconnected');
    await a.connect(network.name, ['net-a-again']);
    const again = await fetchFromB('net-a-again');
    assert.equal(again.status, 200, again.body);
    assert.match(again.body, /^ok /);
  });

  it('runOnce returns the exit code and output, writes through mounts, and leaves no container', async () => {
    const labels = runLabels(`${runId}-once`);
    const said = await runOnce({ image, cmd: ['say', 'to stdout', 'to stderr', '3'], mounts: [], timeoutMs: 30_000, labels });
    assert.deepEqual(said, { exitCode: 3, stdout: 'to stdout\n', stderr: 'to stderr\n' });

    const data = path.join(dir, 'data');
    await mkdir(data);
    const wrote = await runOnce({ image, cmd: ['write', '/data/genesis.txt', 'hello'], mounts: [{ host: data, container: '/data' }], timeoutMs: 30_000, labels, user: '65534:65534' });
    assert.equal(wrote.exitCode, 1, 'nobody cannot write into a root-owned directory');
    const asRoot = await runOnce({ image, cmd: ['write', '/data/genesis.txt', 'hello'], mounts: [{ host: data, container: '/data' }], timeoutMs: 30_000, labels });
    assert.equal(asRoot.exitCode, 0, asRoot.stderr);
    assert.equal(await readFile(path.join(data, 'genesis.txt'), 'utf8'), 'hello');

    const t0 = Date.now();
    await assert.rejects(runOnce({ image, cmd: [], mounts: [], timeoutMs: 1500, labels }), (err: Error) => err instanceof InfraError && /did not finish within 1500 ms/.test(err.message));
    assert.ok(Date.now() - t0 < 15_000);

    const left = execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABEL_RUN}=${runId}-once`], { encoding: 'utf8' }).trim();
    assert.equal(left, '', 'no one-shot container left');
  });

  it('errors of the environment are InfraErrors with one clear line', async () => {
    await assert.rejects(
      createContainer({ ...spec('noimage'), image: 'chainsoak/nothing-here:v0' }),
      (err: Error) => err instanceof InfraError && /image chainsoak\/nothing-here:v0 is not on this engine/.test(err.message) && !err.message.includes('\n'),
    );
    await assert.rejects(
      buildNodeImage({ flavor: 'docker-echo', version: 'missing', binaries: { x: path.join(dir, 'no-such-binary') }, entrypoint: 'x' }),
      (err: Error) => err instanceof InfraError && /binary 'x' not found/.test(err.message),
    );
    const first = await start('twice');
    assert.ok(first.id);
    await assert.rejects(createContainer(spec('twice')), (err: Error) => err instanceof InfraError && /already exists/.test(err.message));
  });

  it("reapStale removes a dead harness's containers and network, not a live one's, nor another host's", async () => {
    const dead = spawn('true');
    const deadPid = dead.pid!;
    await new Promise((resolve) => dead.on('exit', resolve));
    assert.throws(() => process.kill(deadPid, 0), 'the pid is gone');

    const host = os.hostname();
    const deadRun = `${runId}-dead`;
    const liveRun = `${runId}-live`;
    const otherRun = `${runId}-other`;
    const deadLabels = { [LABEL_RUN]: deadRun, [LABEL_PID]: String(deadPid), [LABEL_HOST]: host };
    const deadNetwork = await createRunNetwork(deadRun, deadLabels);
    const make = (name: string, labels: Record<string, string>, net?: string) =>
      createContainer({ ...spec(name), labels, network: net ? { name: net, aliases: [name] } : undefined });
    const deadOne = await make('reap-dead', deadLabels, deadNetwork.name);
    const liveOne = await make('reap-live', runLabels(liveRun));
    const otherHost = await make('reap-other', { [LABEL_RUN]: otherRun, [LABEL_PID]: String(deadPid), [LABEL_HOST]: `not-${host}` });
    containers.push(liveOne, otherHost, deadOne);
    try {
      await deadOne.start();
      const lines = await reapStale();
      assert.ok(lines.some((l) => l.includes(`container ${runId}-reap-dead`) && l.includes(`pid ${deadPid}`)), lines.join('\n'));
      assert.ok(lines.some((l) => l.includes(`network ${deadNetwork.name}`)), lines.join('\n'));
      assert.ok(!exists('container', deadOne.id), 'the dead run container is removed');
      assert.ok(!exists('network', deadNetwork.name), 'the dead run network is removed');
      assert.ok(exists('container', liveOne.id), 'a live run is left alone');
      assert.ok(exists('container', otherHost.id), "another host's run is left alone");
      assert.ok(!lines.some((l) => l.includes('reap-live') || l.includes('reap-other')));
    } finally {
      await deadNetwork.remove();
    }
  });

  it('removeLabelled removes every container and network of one run', async () => {
    const run = `${runId}-teardown`;
    const net = await createRunNetwork(run, {});
    const one = await createContainer({ ...spec('td-1'), labels: runLabels(run), network: { name: net.name, aliases: ['one'] } });
    const two = await createContainer({ ...spec('td-2'), labels: runLabels(run), network: { name: net.name, aliases: ['two'] } });
    containers.push(one, two);
    await one.start();
    const lines = await removeLabelled(run);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.ok(!exists('container', one.id) && !exists('container', two.id));
    assert.ok(!exists('network', net.name));
    assert.ok(exists('network', network.name), "other runs' networks stay");
  });
});
