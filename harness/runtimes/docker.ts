/**
 * Docker substrate for the container runtime: images built FROM scratch from static node binaries,
 * containers whose published ports bind 127.0.0.1 only, a bridge network per run, one-shot containers
 * for a node's own commands, and cleanup by label (per run, and of runs whose harness process died).
 *
 * testcontainers 11 finds the engine (DOCKER_HOST, ~/.testcontainers.properties, the default sockets) and
 * hands over its dockerode client; every call after that goes through dockerode, because testcontainers
 * cannot do what a node runtime needs:
 *  - `withExposedPorts` binds `{ HostPort: "0" }` with no HostIp, i.e. 0.0.0.0 (and [::]): here every
 *    binding is `{ HostIp: "127.0.0.1", HostPort: "" }`, set in HostConfig.PortBindings at create;
 *  - a started GenericContainer cannot be created without starting, stopped without being removed, or
 *    started again after a stop; its default wait strategy execs a shell, which a scratch image lacks;
 *  - its image build swallows build errors (a failed build "succeeds" when an older image has the tag).
 *
 * Labels: every container and network of a run carries `chainsoak.run` (the run id), `chainsoak.pid`
 * (the harness process) and `chainsoak.host` (os.hostname()); `runLabels()` makes them, and
 * createContainer / createRunNetwork / runOnce add pid and host when `chainsoak.run` is given without them.
 *
 * Nothing here pulls an image (no registry is reachable): images are FROM scratch. Ryuk (testcontainers'
 * reaper) is disabled for the same reason; `removeLabelled` and `reapStale` clean up instead.
 * Importing this module is cheap: testcontainers is loaded on the first call that needs Docker.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ContainerRuntimeClient } from 'testcontainers';
import { InfraError, UsageError } from '../errors.ts';

type Dockerode = ContainerRuntimeClient['container']['dockerode'];
type DockerContainer = ReturnType<Dockerode['getContainer']>;
type CreateOptions = Parameters<Dockerode['createContainer']>[0];
type HostConfig = NonNullable<CreateOptions['HostConfig']>;

export const LABEL_RUN = 'chainsoak.run';
export const LABEL_PID = 'chainsoak.pid';
export const LABEL_HOST = 'chainsoak.host';
export const LABEL_IMAGE = 'chainsoak.image';
export const LABEL_CONTENT = 'chainsoak.content-hash';

/** Bumped when the image layout below changes, so cached images of the old layout are rebuilt. */
const IMAGE_RECIPE = 1;
const LOOPBACK = '127.0.0.1';

/** The labels that tie a container or network to a run of this process on this host (for reapStale). */
export function runLabels(runId: string): Record<string, string> {
  return { [LABEL_RUN]: runId, [LABEL_PID]: String(process.pid), [LABEL_HOST]: os.hostname() };
}

function withRunDefaults(labels: Record<string, string>): Record<string, string> {
  if (labels[LABEL_RUN] === undefined) return { ...labels };
  return { [LABEL_PID]: String(process.pid), [LABEL_HOST]: os.hostname(), ...labels };
}

// ---------------------------------------------------------------------------------------------------
// The engine

let client: Promise<Dockerode> | undefined;

async function loadTestcontainers(): Promise<typeof import('testcontainers')> {
  // Before testcontainers is imported: no Ryuk (its image cannot be pulled here). And a fixed host: on a
  // machine with /.dockerenv, testcontainers otherwise looks for the gateway by running alpine:3.14,
  // which means a pull. Containers here publish on 127.0.0.1 and are reached there.
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= LOOPBACK;
  return import('testcontainers');
}

function docker(): Promise<Dockerode> {
  if (client === undefined) {
    const attempt = (async () => {
      const { getContainerRuntimeClient } = await loadTestcontainers();
      try {
        return (await getContainerRuntimeClient()).container.dockerode;
      } catch {
        throw new InfraError(`no Docker engine: ${await socketProblem()}`);
      }
    })();
    client = attempt;
    attempt.catch(() => {
      if (client === attempt) client = undefined; // the engine may come up later: try again then
    });
  }
  return client;
}

/** Why the engine's socket does not answer, in one line (testcontainers only says "no working strategy"). */
async function socketProblem(): Promise<string> {
  const host = process.env.DOCKER_HOST;
  const socket = host?.startsWith('unix://') ? host.slice('unix://'.length) : host ? undefined : '/var/run/docker.sock';
  const hint = "start one with 'sh test/support/ensure-docker.sh' as root";
  if (socket === undefined) return `${host} does not answer (DOCKER_HOST)`;
  const code = await new Promise<string | undefined>((resolve) => {
    const probe = net.connect(socket);
    probe.setTimeout(2000, () => {
      probe.destroy();
      resolve('ETIMEDOUT');
    });
    probe.once('connect', () => {
      probe.destroy();
      resolve(undefined);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  switch (code) {
    case 'ENOENT':
      return `${socket} does not exist (dockerd is not running): ${hint}`;
    case 'ECONNREFUSED':
      return `nothing listens on ${socket} (dockerd is not running): ${hint}`;
    case 'EACCES':
      return `no permission to use ${socket} (run as root or join the docker group)`;
    case undefined:
      return `${socket} accepts connections but the engine does not answer its API`;
    default:
      return `${socket}: ${code}`;
  }
}

/** Is the engine usable? `reason` is one line, fit for a test's skip message. */
export async function dockerStatus(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  try {
    const d = await docker();
    const version = await d.version();
    return { ok: true, version: version.Version };
  } catch (err) {
    return { ok: false, reason: oneLine(err) };
  }
}

interface DockerApiError {
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
  code?: string;
  message?: string;
}

function statusOf(err: unknown): number | undefined {
  return (err as DockerApiError | undefined)?.statusCode;
}

/** The engine's own message ("No such image: x") rather than dockerode's "(HTTP code 404) ..." wrapper. */
function oneLine(err: unknown): string {
  const e = err as DockerApiError | undefined;
  const text = e?.json?.message ?? e?.message ?? String(err);
  return text.replace(/\s+/g, ' ').trim();
}

/** Lost contact with the engine (it stopped, or its socket went away): an infrastructure failure. */
function isConnectionError(err: unknown): boolean {
  const code = (err as DockerApiError | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EPIPE' || code === 'ECONNRESET' || code === 'EACCES';
}

function engineError(what: string, err: unknown): Error {
  if (err instanceof InfraError || err instanceof UsageError) return err;
  if (isConnectionError(err)) return new InfraError(`${what}: the Docker engine stopped answering (${oneLine(err)})`, { cause: err });
  return new Error(`${what}: ${oneLine(err)}`, { cause: err });
}

// ---------------------------------------------------------------------------------------------------
// Images

export interface NodeImageSpec {
  /** geth, cometbft, ...: the repository is chainsoak/<flavor>. */
  flavor: string;
  /** The tag; characters a tag cannot have become '-'. */
  version: string;
  /** name in the image (/usr/local/bin/<name>) -> static binary on the host. */
  binaries: Record<string, string>;
  /** A name from `binaries`, or an absolute path in the image. */
  entrypoint: string;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function imageTag(flavor: string, version: string): string {
  const repo = flavor.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[._-]+$/g, '');
  const tag = version.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 128);
  if (repo === '' || tag === '') throw new UsageError(`cannot make an image tag of flavor '${flavor}' and version '${version}'`);
  return `chainsoak/${repo}:${tag}`;
}

/**
 * Build (or reuse) `chainsoak/<flavor>:<version>` FROM scratch (the engine's legacy builder; the context
 * is a temporary directory sent as a tar): each binary at /usr/local/bin/<name>,
 * an empty /tmp (mode 1777, for Go's os.TempDir), /etc/passwd and /etc/group with root and nobody
 * (65534), PATH=/usr/local/bin. Labelled chainsoak.image=1 and with the hash of the binaries' content:
 * an image of that tag with the same hash is reused without building. Returns the tag.
 */
export async function buildNodeImage(spec: NodeImageSpec): Promise<string> {
  const tag = imageTag(spec.flavor, spec.version);
  const names = Object.keys(spec.binaries).sort();
  if (names.length === 0) throw new UsageError(`image ${tag}: no binaries given`);
  for (const name of names) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new UsageError(`image ${tag}: '${name}' is not a file name`);
  }
  const entrypoint = spec.entrypoint.startsWith('/') ? spec.entrypoint : `/usr/local/bin/${spec.entrypoint}`;
  if (!spec.entrypoint.startsWith('/') && spec.binaries[spec.entrypoint] === undefined) {
    throw new UsageError(`image ${tag}: entrypoint '${spec.entrypoint}' is none of its binaries (${names.join(', ')})`);
  }

  const hash = createHash('sha256');
  hash.update(JSON.stringify({ recipe: IMAGE_RECIPE, entrypoint }));
  for (const name of names) {
    const file = spec.binaries[name]!;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new InfraError(`image ${tag}: binary '${name}' not found at ${file}`);
    hash.update(`\n${name}=${await sha256File(file)}`);
  }
  const contentHash = hash.digest('hex');

  const d = await docker();
  let previousId: string | undefined;
  try {
    const existing = await d.getImage(tag).inspect();
    if (existing.Config?.Labels?.[LABEL_CONTENT] === contentHash) return tag;
    previousId = existing.Id;
  } catch (err) {
    if (statusOf(err) !== 404) throw engineError(`inspect image ${tag}`, err);
  }

  const context = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-image-'));
  try {
    const root = path.join(context, 'rootfs');
    await mkdir(path.join(root, 'usr', 'local', 'bin'), { recursive: true });
    await mkdir(path.join(root, 'tmp'));
    await chmod(path.join(root, 'tmp'), 0o1777);
    await mkdir(path.join(root, 'etc'));
    await writeFile(
      path.join(root, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
    );
    await writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    for (const name of names) {
      const target = path.join(root, 'usr', 'local', 'bin', name);
      await copyFile(spec.binaries[name]!, target);
      await chmod(target, 0o755);
    }
    const labels: Record<string, string> = {
      [LABEL_IMAGE]: '1',
      'chainsoak.flavor': spec.flavor,
      'chainsoak.version': spec.version,
      [LABEL_CONTENT]: contentHash,
    };
    const dockerfile = [
      'FROM scratch',
      'COPY rootfs/ /',
      'ENV PATH=/usr/local/bin',
      `LABEL ${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`,
      `ENTRYPOINT ${JSON.stringify([entrypoint])}`,
      '',
    ].join('\n');
    await writeFile(path.join(context, 'Dockerfile'), dockerfile);

    // The context goes as a tar made by the system's tar: dockerode's and testcontainers' packer (tar-fs)
    // applies the umask, which turns /tmp's 1777 into 1755 (a non-root node could not use /tmp).
    const tar = spawn('tar', ['-c', '-f', '-', '-C', context, 'Dockerfile', 'rootfs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tarError = '';
    tar.stderr.on('data', (chunk: Buffer) => (tarError += chunk.toString()));
    const tarExit = new Promise<number | null>((resolve) => {
      tar.once('error', (err) => {
        tarError += err.message;
        resolve(-1);
      });
      tar.once('close', resolve);
    });
    let output: string;
    try {
      const stream = await d.buildImage(tar.stdout, { t: tag, rm: true, forcerm: true });
      output = await readAll(stream);
    } catch (err) {
      tar.kill();
      throw engineError(`build image ${tag}`, err);
    }
    const tarCode = await tarExit;
    if (tarCode !== 0) throw new InfraError(`build of image ${tag}: tar of the build context failed: ${tarError.trim() || `exit ${tarCode}`}`);
    const failure = buildFailure(output);
    if (failure !== undefined) throw new InfraError(`build of image ${tag} failed: ${failure}`);
    const built = await d.getImage(tag).inspect().catch((err: unknown) => {
      throw new InfraError(`build of image ${tag} left no image: ${oneLine(err)}`);
    });
    if (built.Config?.Labels?.[LABEL_CONTENT] !== contentHash) throw new InfraError(`build of image ${tag} did not produce the new image`);
    // The image this tag named before is now untagged: drop it unless a container still uses it.
    if (previousId !== undefined && previousId !== built.Id) await d.getImage(previousId).remove().catch(() => undefined);
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer | string) => chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    stream.once('error', reject);
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The first error a build's JSON message stream reports, if any. */
function buildFailure(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const message = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
      const error = message.errorDetail?.message ?? message.error;
      if (error !== undefined) return error.replace(/\s+/g, ' ').trim();
    } catch {
      // not JSON: ignore
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Containers

export interface ContainerSpec {
  /** The container's name (docker names are unique on the engine). */
  name: string;
  image: string;
  cmd: string[];
  /** Replaces the image's entrypoint. */
  entrypoint?: string[];
  env?: Record<string, string>;
  labels: Record<string, string>;
  /** Joins this network (e.g. the run's) with these DNS aliases; else Docker's default bridge. */
  network?: { name: string; aliases: string[] };
  /** Container TCP ports to publish, each on 127.0.0.1 at a port Docker picks (see mappedPort), or at `hostPorts[port]`. */
  exposedPorts: number[];
  /**
   * Fixed host ports (on 127.0.0.1) for some container ports: the same across restarts, so clients that
   * hold a node's URL reach it again after a stop/start (Docker picks anew at each start otherwise).
   */
  hostPorts?: Record<number, number>;
  /** Bind mounts; the host path must exist. */
  mounts?: Array<{ host: string; container: string }>;
  /** Memory limit, without swap. */
  memLimitBytes?: number;
  cpus?: number;
  /** stdout and stderr of every run of the container are appended here. */
  logFile: string;
  /** uid[:gid] (or root / nobody: the only names the node images know). */
  user?: string;
}

export interface ContainerState {
  /** As Docker says: a paused container is still running (and paused). */
  running: boolean;
  paused: boolean;
  /** Null while running, and before the first start. */
  exitCode: number | null;
  oomKilled: boolean;
  /** When the last run ended (RFC 3339), if it ever ended. */
  finishedAt?: string;
}

export interface ContainerMemory {
  /** What `docker stats` shows: the cgroup's usage less its inactive file cache. */
  usageBytes: number;
  /** Anonymous memory (cgroup v1 rss, v2 anon). */
  rssBytes?: number;
  /** Page cache (cgroup v1 cache, v2 file). */
  cacheBytes?: number;
  /** The limit Docker reports: the host's memory when the container has none. */
  limitBytes?: number;
}

export interface NodeContainer {
  readonly id: string;
  readonly name: string;
  /** The host port (on 127.0.0.1) of a published container port, read now: it may change on each start. */
  mappedPort(containerPort: number): Promise<number>;
  /** SIGTERM, then SIGKILL after timeoutSeconds. */
  stop(timeoutSeconds?: number): Promise<void>;
  /** Default SIGKILL. */
  kill(signal?: string): Promise<void>;
  /** Start (again, after stop/kill/exit). */
  start(): Promise<void>;
  restart(timeoutSeconds?: number): Promise<void>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
  state(): Promise<ContainerState>;
  /** Resolves when the current run exits (at once, with the last run's figures, when not running). */
  waitExit(): Promise<{ exitCode: number | null; oomKilled: boolean }>;
  /**
   * One stats sample (no stream, one-shot). Fails when the container is not running. Takes up to ~1 s:
   * the engine answers at its stats collector's next tick (every second); only the first call after
   * a quiet spell answers at once.
   */
  memory(): Promise<ContainerMemory>;
  disconnect(networkName: string): Promise<void>;
  connect(networkName: string, aliases: string[]): Promise<void>;
  /** Change limits of the live container; memory is set without swap. */
  update(limits: { memLimitBytes?: number; cpus?: number }): Promise<void>;
  /** Kill and remove the container (and its anonymous volumes); flush and close the log file. */
  remove(): Promise<void>;
}

function limitsConfig(limits: { memLimitBytes?: number; cpus?: number }): Partial<HostConfig> {
  const config: Partial<HostConfig> = {};
  if (limits.memLimitBytes !== undefined) {
    if (!Number.isInteger(limits.memLimitBytes) || limits.memLimitBytes < 6 * 1024 * 1024) {
      throw new UsageError(`memory limit ${limits.memLimitBytes} bytes: Docker needs an integer of at least 6 MiB`);
    }
    config.Memory = limits.memLimitBytes;
    config.MemorySwap = limits.memLimitBytes; // no swap: over the limit means the OOM killer
  }
  if (limits.cpus !== undefined) {
    if (!(limits.cpus > 0)) throw new UsageError(`cpus must be positive, not ${limits.cpus}`);
    config.NanoCpus = Math.round(limits.cpus * 1e9);
  }
  return config;
}

/** Create the container (not started). Its published ports bind 127.0.0.1 only. */
export async function createContainer(spec: ContainerSpec): Promise<NodeContainer> {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const port of spec.exposedPorts) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`container ${spec.name}: bad port ${port}`);
    exposed[`${port}/tcp`] = {};
    // HostPort "" = Docker picks a free port at each start; HostIp pins it to loopback (never 0.0.0.0/[::]).
    bindings[`${port}/tcp`] = [{ HostIp: LOOPBACK, HostPort: spec.hostPorts?.[port] !== undefined ? String(spec.hostPorts[port]) : '' }];
  }
  const hostConfig: HostConfig = {
    PortBindings: bindings,
    Mounts: (spec.mounts ?? []).map((m) => ({ Type: 'bind' as const, Source: path.resolve(m.host), Target: m.container, ReadOnly: false })),
    NetworkMode: spec.network?.name ?? 'bridge',
    RestartPolicy: { Name: 'no' },
    // json-file so the logs API can replay what was missed between two runs; rotated to bound the disk.
    LogConfig: { Type: 'json-file', Config: { 'max-size': '64m', 'max-file': '2' } },
    ...limitsConfig(spec),
  };
  const options: CreateOptions = {
    name: spec.name,
    Image: spec.image,
    Cmd: spec.cmd,
    Labels: withRunDefaults(spec.labels),
    ExposedPorts: exposed,
    HostConfig: hostConfig,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
  };
  if (spec.entrypoint !== undefined) options.Entrypoint = spec.entrypoint;
  if (spec.env !== undefined) options.Env = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
  if (spec.user !== undefined) options.User = spec.user;
  if (spec.network !== undefined) {
    options.NetworkingConfig = { EndpointsConfig: { [spec.network.name]: { Aliases: spec.network.aliases } } };
  }

  const d = await docker();
  let container: DockerContainer;
  try {
    container = await d.createContainer(options);
  } catch (err) {
    throw createError(spec.name, spec.image, spec.network?.name, spec.mounts, err);
  }
  await mkdir(path.dirname(spec.logFile), { recursive: true });
  return new DockerNodeContainer(d, container, spec.name, spec.logFile);
}

function createError(name: string, image: string, network: string | undefined, mounts: ContainerSpec['mounts'], err: unknown): Error {
  const message = oneLine(err);
  const status = statusOf(err);
  if (status === 404 && /image/i.test(message)) {
    return new InfraError(`container ${name}: image ${image} is not on this engine (build it with buildNodeImage; nothing can be pulled)`, { cause: err });
  }
  if (status === 404 && network !== undefined && /network/i.test(message)) {
    return new InfraError(`container ${name}: network ${network} does not exist`, { cause: err });
  }
  if (status === 409) return new InfraError(`container ${name}: a container of that name already exists (${message})`, { cause: err });
  if (status === 400 && /bind source path does not exist/i.test(message)) {
    const missing = (mounts ?? []).map((m) => m.host).join(', ');
    return new InfraError(`container ${name}: a mount's host path does not exist (${missing})`, { cause: err });
  }
  return engineError(`create container ${name}`, err);
}

/** Create and start; the container is removed again when it cannot start. */
export async function startContainer(spec: ContainerSpec): Promise<NodeContainer> {
  const container = await createContainer(spec);
  try {
    await container.start();
  } catch (err) {
    await container.remove().catch(() => undefined);
    throw err;
  }
  return container;
}

class DockerNodeContainer implements NodeContainer {
  readonly id: string;
  private readonly logs: LogFollower;

  constructor(
    private readonly d: Dockerode,
    private readonly c: DockerContainer,
    readonly name: string,
    logFile: string,
  ) {
    this.id = c.id;
    this.logs = new LogFollower(c, logFile);
  }

  private async call<T>(what: string, op: () => Promise<T>, ignore: number[] = []): Promise<T | undefined> {
    try {
      return await op();
    } catch (err) {
      const status = statusOf(err);
      if (status !== undefined && ignore.includes(status)) return undefined;
      if (status === 404) throw new InfraError(`container ${this.name} is gone (removed outside the harness?)`, { cause: err });
      throw engineError(`${what} container ${this.name}`, err);
    }
  }

  async mappedPort(containerPort: number): Promise<number> {
    const info = await this.call('inspect', () => this.c.inspect());
    const bindings = info!.NetworkSettings?.Ports?.[`${containerPort}/tcp`];
    const binding = bindings?.find((b) => b.HostIp === LOOPBACK) ?? undefined;
    if (binding === undefined) {
      if (!info!.State.Running) throw new InfraError(`container ${this.name} is not running: port ${containerPort} has no host port`);
      throw new Error(`container ${this.name}: port ${containerPort} is not published on ${LOOPBACK}`);
    }
    return Number(binding.HostPort);
  }

  async start(): Promise<void> {
    this.logs.begin();
    await this.call('start', () => this.c.start(), [304]);
    this.logs.wake();
  }

  async stop(timeoutSeconds = 10): Promise<void> {
    await this.call('stop', () => this.c.stop({ t: timeoutSeconds }), [304]);
  }

  async kill(signal = 'SIGKILL'): Promise<void> {
    try {
      await this.c.kill({ signal });
    } catch (err) {
      if (statusOf(err) === 409 && /not running/i.test(oneLine(err))) return; // already dead
      if (statusOf(err) === 404) throw new InfraError(`container ${this.name} is gone (removed outside the harness?)`, { cause: err });
      throw engineError(`kill container ${this.name}`, err);
    }
  }

  async restart(timeoutSeconds = 10): Promise<void> {
    this.logs.begin();
    await this.call('restart', () => this.c.restart({ t: timeoutSeconds }));
    this.logs.wake();
  }

  async pause(): Promise<void> {
    await this.call('pause', () => this.c.pause());
  }

  async unpause(): Promise<void> {
    await this.call('unpause', () => this.c.unpause());
  }

  async state(): Promise<ContainerState> {
    const s = (await this.call('inspect', () => this.c.inspect()))!.State;
    const neverRan = s.Status === 'created';
    const state: ContainerState = {
      running: s.Running,
      paused: s.Paused,
      exitCode: s.Running || neverRan ? null : s.ExitCode,
      oomKilled: s.OOMKilled,
    };
    if (!neverRan && s.FinishedAt && !s.FinishedAt.startsWith('0001-')) state.finishedAt = s.FinishedAt;
    return state;
  }

  async waitExit(): Promise<{ exitCode: number | null; oomKilled: boolean }> {
    const before = await this.state();
    if (before.running) await this.call('wait for', () => this.c.wait({ condition: 'not-running' }));
    const after = await this.state();
    return { exitCode: after.exitCode, oomKilled: after.oomKilled };
  }

  async memory(): Promise<ContainerMemory> {
    const stats = await this.call('stats of', () => this.c.stats({ stream: false, 'one-shot': true }));
    const m = stats?.memory_stats as { usage?: number; limit?: number; stats?: Record<string, number | undefined> } | undefined;
    if (m?.usage === undefined) throw new InfraError(`container ${this.name} is not running: no memory figures`);
    const s = m.stats ?? {};
    // cgroup v1 names first (rss, cache, total_inactive_file), then cgroup v2 (anon, file, inactive_file).
    const inactiveFile = s.total_inactive_file ?? s.inactive_file ?? 0;
    const memory: ContainerMemory = { usageBytes: inactiveFile < m.usage ? m.usage - inactiveFile : m.usage };
    const rss = s.rss ?? s.total_rss ?? s.anon;
    const cache = s.cache ?? s.total_cache ?? s.file;
    if (rss !== undefined) memory.rssBytes = rss;
    if (cache !== undefined) memory.cacheBytes = cache;
    if (m.limit !== undefined) memory.limitBytes = m.limit;
    return memory;
  }

  async disconnect(networkName: string): Promise<void> {
    try {
      await this.d.getNetwork(networkName).disconnect({ Container: this.id, Force: true });
    } catch (err) {
      throw networkError(`disconnect container ${this.name} from`, networkName, err);
    }
  }

  async connect(networkName: string, aliases: string[]): Promise<void> {
    try {
      await this.d.getNetwork(networkName).connect({ Container: this.id, EndpointConfig: { Aliases: aliases } });
    } catch (err) {
      throw networkError(`connect container ${this.name} to`, networkName, err);
    }
  }

  async update(limits: { memLimitBytes?: number; cpus?: number }): Promise<void> {
    const config = limitsConfig(limits);
    if (Object.keys(config).length === 0) return;
    await this.call('update', () => this.c.update(config));
  }

  async remove(): Promise<void> {
    try {
      // Kill first, so the log follower can copy the run's last words before the logs go with it.
      await this.c.kill({ signal: 'SIGKILL' }).catch(() => undefined);
      await this.logs.close();
    } finally {
      await this.call('remove', () => this.c.remove({ force: true, v: true }), [404]);
    }
  }
}

function networkError(what: string, networkName: string, err: unknown): Error {
  if (statusOf(err) === 404) return new InfraError(`${what} network ${networkName}: ${oneLine(err)}`, { cause: err });
  return engineError(`${what} network ${networkName}`, err);
}

/**
 * Copies a container's stdout and stderr into its log file, across stops and starts: it follows the
 * logs API (json-file driver) with timestamps, and after a stop resumes from the last entry it wrote,
 * so nothing printed between two follows is lost or written twice. Starts made outside this handle
 * (docker start) are noticed within a second.
 */
class LogFollower {
  private readonly out: WriteStream;
  private loop: Promise<void> | undefined;
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private current: NodeJS.ReadableStream | undefined;
  /** Fixed-width timestamp of the last entry written, and how many entries had exactly that time. */
  private lastKey = '';
  private atLastKey = 0;
  private seenStartedAt = '';
  /** At a re-follow: how many entries at lastKey the replay sends again (written already). */
  private skipAtKey = 0;
  private pending = Buffer.alloc(0);

  constructor(
    private readonly c: DockerContainer,
    logFile: string,
  ) {
    this.out = createWriteStream(logFile, { flags: 'a' });
    this.out.on('error', () => undefined); // a log file that cannot be written must not crash the run
  }

  begin(): void {
    if (this.loop === undefined && !this.closed) this.loop = this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Stop following: the current follow may end by itself within 2 s (the run ended), then a last replay. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    if (this.loop !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        this.loop.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 2000);
        }),
      ]);
      clearTimeout(timer);
      if (!ended) {
        (this.current as unknown as { destroy?: () => void } | undefined)?.destroy?.();
        await this.loop;
      }
    }
    await new Promise<void>((resolve) => this.out.end(resolve));
  }

  private async run(): Promise<void> {
    await this.followRuns();
    // Closing: whatever the engine holds that was not written yet (the container may be gone: fine).
    await this.follow(false).catch(() => undefined);
  }

  private async followRuns(): Promise<void> {
    while (!this.closed) {
      let state;
      try {
        state = (await this.c.inspect()).State;
      } catch (err) {
        if (statusOf(err) === 404) return;
        await this.idle(1000);
        continue;
      }
      if (state.Running || state.StartedAt !== this.seenStartedAt) {
        this.seenStartedAt = state.StartedAt;
        try {
          await this.follow(true); // until the run ends
          await this.follow(false); // whatever the engine wrote after the follow ended
        } catch {
          await this.idle(1000);
        }
        continue;
      }
      await this.idle(1000);
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  private since(): string | number {
    if (this.lastKey === '') return 0;
    const [seconds, fraction] = this.lastKey.split('.') as [string, string];
    return `${Math.floor(Date.parse(`${seconds}Z`) / 1000)}.${fraction}`;
  }

  private async follow(follow: boolean): Promise<void> {
    if (follow && this.closed) return;
    const options = { stdout: true, stderr: true, timestamps: true, since: this.since() };
    this.pending = Buffer.alloc(0);
    this.skipAtKey = this.atLastKey;
    if (!follow) {
      const buffer = await this.c.logs({ ...options, follow: false });
      this.frames(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer as unknown as string));
      return;
    }
    const stream = await this.c.logs({ ...options, follow: true });
    this.current = stream;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => this.frames(chunk));
      stream.once('error', reject);
      stream.once('end', resolve);
      stream.once('close', resolve);
    });
    this.current = undefined;
  }

  /** Docker's multiplexed frames: [stream, 0, 0, 0, size (u32 BE)] then "<RFC 3339 nano time> <text>". */
  private frames(chunk: Buffer): void {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buffer.length >= 8) {
      const size = buffer.readUInt32BE(4);
      if (buffer.length < 8 + size) break;
      this.entry(buffer.subarray(8, 8 + size));
      buffer = buffer.subarray(8 + size);
    }
    this.pending = Buffer.from(buffer);
  }

  private entry(payload: Buffer): void {
    const space = payload.indexOf(0x20);
    const stamp = space > 0 ? payload.subarray(0, space).toString('latin1') : '';
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
    if (match === null) {
      this.out.write(payload); // no timestamp (should not happen): keep the text
      return;
    }
    const key = `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}`;
    if (key < this.lastKey) return;
    if (key === this.lastKey) {
      // `since` includes entries at exactly that time: skip the ones already written.
      if (this.skipAtKey > 0) {
        this.skipAtKey--;
        return;
      }
      this.atLastKey++;
    } else {
      this.lastKey = key;
      this.atLastKey = 1;
    }
    this.out.write(payload.subarray(space + 1));
  }
}

/** Split a non-follow logs buffer (multiplexed frames, no timestamps) into stdout and stderr. */
function demux(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let rest = buffer;
  while (rest.length >= 8) {
    const size = rest.readUInt32BE(4);
    const payload = rest.subarray(8, 8 + size);
    (rest[0] === 2 ? err : out).push(payload);
    rest = rest.subarray(8 + size);
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

// ---------------------------------------------------------------------------------------------------
// Networks

/** A user-defined bridge network for one run: `chainsoak-<runId>`, labelled with the run's labels. */
export async function createRunNetwork(runId: string, labels: Record<string, string> = {}): Promise<{ name: string; remove(): Promise<void> }> {
  const name = `chainsoak-${runId}`.replace(/[^A-Za-z0-9_.-]+/g, '-');
  const d = await docker();
  try {
    await d.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { ...runLabels(runId), ...labels } });
  } catch (err) {
    if (statusOf(err) === 409) throw new InfraError(`network ${name} already exists (a run with the same id?)`, { cause: err });
    if (/address pools have been fully subnetted|could not find an available/i.test(oneLine(err))) {
      throw new InfraError(`network ${name}: Docker has no free subnet left (stale networks? docker network prune)`, { cause: err });
    }
    throw engineError(`create network ${name}`, err);
  }
  return { name, remove: () => removeNetwork(d, name) };
}

/** Remove a network, first disconnecting whatever is still attached. A missing network is fine. */
async function removeNetwork(d: Dockerode, name: string): Promise<void> {
  const network = d.getNetwork(name);
  try {
    const info = await network.inspect();
    for (const id of Object.keys(info.Containers ?? {})) {
      await network.disconnect({ Container: id, Force: true }).catch(() => undefined);
    }
    await network.remove();
  } catch (err) {
    if (statusOf(err) === 404) return;
    throw engineError(`remove network ${name}`, err);
  }
}

// ---------------------------------------------------------------------------------------------------
// One-shot containers

export interface RunOnceSpec {
  image: string;
  cmd: string[];
  entrypoint?: string[];
  mounts: Array<{ host: string; container: string }>;
  timeoutMs: number;
  labels: Record<string, string>;
  env?: Record<string, string>;
  /** uid[:gid]: files the command writes into mounts belong to this user (default: the image's, root). */
  user?: string;
}

/**
 * Run one of a node's own commands (geth init, cometbft testnet) in a throwaway container with no
 * network, and return its exit code and output. The container is removed afterwards, also on timeout
 * (an InfraError with the output so far).
 */
export async function runOnce(spec: RunOnceSpec): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const d = await docker();
  const options: CreateOptions = {
    Image: spec.image,
    Cmd: spec.cmd,
    Labels: withRunDefaults(spec.labels),
    Tty: false,
    HostConfig: {
      NetworkMode: 'none',
      Mounts: spec.mounts.map((m) => ({ Type: 'bind' as const, Source: path.resolve(m.host), Target: m.container, ReadOnly: false })),
      LogConfig: { Type: 'json-file', Config: {} },
    },
  };
  if (spec.entrypoint !== undefined) options.Entrypoint = spec.entrypoint;
  if (spec.env !== undefined) options.Env = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
  if (spec.user !== undefined) options.User = spec.user;
  const what = `${spec.image} ${spec.cmd.join(' ')}`.trim();

  let container: DockerContainer;
  try {
    container = await d.createContainer(options);
  } catch (err) {
    throw createError(`for '${what}'`, spec.image, undefined, spec.mounts, err);
  }
  const output = async () => demux((await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer);
  try {
    try {
      await container.start();
    } catch (err) {
      throw new InfraError(`'${what}' did not start: ${oneLine(err)}`, { cause: err });
    }
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), spec.timeoutMs);
    });
    let result: { StatusCode: number } | 'timeout';
    try {
      result = await Promise.race([container.wait({ condition: 'not-running', abortSignal: abort.signal }) as Promise<{ StatusCode: number }>, timedOut]);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    if (result === 'timeout') {
      await container.kill().catch(() => undefined);
      const { stdout, stderr } = await output().catch(() => ({ stdout: '', stderr: '' }));
      throw new InfraError(`'${what}' did not finish within ${spec.timeoutMs} ms`, { detail: `${stdout}${stderr}`.split('\n').slice(-20).join('\n') });
    }
    const { stdout, stderr } = await output();
    return { exitCode: result.StatusCode, stdout, stderr };
  } catch (err) {
    throw engineError(`run '${what}'`, err);
  } finally {
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------
// Cleanup

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the containers, then the networks, labelled `chainsoak.run` by a harness process on this host
 * (`chainsoak.host`) that no longer exists (`chainsoak.pid`). Returns one line per thing removed (or
 * that could not be). Other hosts' runs, and live runs, are left alone.
 */
export async function reapStale(): Promise<string[]> {
  const d = await docker();
  const host = os.hostname();
  const filters = { label: [LABEL_RUN, LABEL_PID, `${LABEL_HOST}=${host}`] };
  const dead = (labels: Record<string, string> | undefined): number | undefined => {
    const pid = Number(labels?.[LABEL_PID]);
    return Number.isInteger(pid) && pid > 0 && !processAlive(pid) ? pid : undefined;
  };
  const lines: string[] = [];
  try {
    for (const c of await d.listContainers({ all: true, filters })) {
      const pid = dead(c.Labels);
      if (pid === undefined) continue;
      const name = c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
      try {
        await d.getContainer(c.Id).remove({ force: true, v: true });
        lines.push(`removed container ${name} of run ${c.Labels[LABEL_RUN]} (pid ${pid} is gone)`);
      } catch (err) {
        if (statusOf(err) !== 404) lines.push(`could not remove container ${name} of run ${c.Labels[LABEL_RUN]}: ${oneLine(err)}`);
      }
    }
    for (const n of await d.listNetworks({ filters })) {
      const pid = dead(n.Labels);
      if (pid === undefined) continue;
      try {
        await removeNetwork(d, n.Name);
        lines.push(`removed network ${n.Name} of run ${n.Labels?.[LABEL_RUN]} (pid ${pid} is gone)`);
      } catch (err) {
        lines.push(`could not remove network ${n.Name} of run ${n.Labels?.[LABEL_RUN]}: ${oneLine(err)}`);
      }
    }
  } catch (err) {
    throw engineError('reap stale containers', err);
  }
  return lines;
}

/** Remove every container and network of one run (teardown, on every path). Returns one line per thing. */
export async function removeLabelled(runId: string): Promise<string[]> {
  const d = await docker();
  const filters = { label: [`${LABEL_RUN}=${runId}`] };
  const lines: string[] = [];
  try {
    for (const c of await d.listContainers({ all: true, filters })) {
      const name = c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
      try {
        await d.getContainer(c.Id).remove({ force: true, v: true });
        lines.push(`removed container ${name}`);
      } catch (err) {
        if (statusOf(err) !== 404) lines.push(`could not remove container ${name}: ${oneLine(err)}`);
      }
    }
    for (const n of await d.listNetworks({ filters })) {
      try {
        await removeNetwork(d, n.Name);
        lines.push(`removed network ${n.Name}`);
      } catch (err) {
        lines.push(`could not remove network ${n.Name}: ${oneLine(err)}`);
      }
    }
  } catch (err) {
    throw engineError(`remove run ${runId}`, err);
  }
  return lines;
}
