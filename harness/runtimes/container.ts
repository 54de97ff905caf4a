/**
 * The container runtime: each node is a Docker container on one bridge network per run (p2p between
 * nodes goes over it, by node name), every port it opens published on 127.0.0.1 only, at a free port
 * chosen once per node so its URLs outlive restarts (the endpoints are still resolved after every start). The node's folder in the
 * run's report folder is mounted at /chainsoak, so config, data and keys stay where a process node has
 * them; the container runs as the harness's own user so those files stay the user's. Logs stream into
 * the same log file a process writes. Images are built locally FROM scratch from the binaries chainsoak
 * provisions (`chainsoak/<flavor>:<version>`), or are the user's (`nodes[].image`).
 *
 * Teardown: shutdown() removes every container and the network; a synchronous `docker rm -f` on process
 * exit is the last line of defence; what a SIGKILLed harness left is reaped by the next container run
 * (labels name the run, host and harness pid).
 */
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InfraError, UsageError } from '../errors.ts';
import { buildNodeImage, createContainer, createRunNetwork, dockerStatus, reapStale, removeLabelled, runLabels, runOnce, type NodeContainer } from './docker/index.ts';
import { linkage } from './elf.ts';
import { ExitCleanup } from './exit-cleanup.ts';
import { HostFiles } from './host-files.ts';
import { ManagedNode } from './managed-node.ts';
import { freePorts } from './ports.ts';
import { holdTeardown, releaseTeardown } from './teardown.ts';
import type { ContainerMemory, NodeLaunch, NodeRuntime, NodeSite, PlaceRequest, RunningNode } from './runtime.ts';

/** Where the node's folder is mounted inside its container. */
const MOUNT = '/chainsoak';
/** Container ports are numbered from here in the order of the flavor's portNames (each container has its own). */
const FIRST_PORT = 20_000;
const STOP_GRACE_S = 15;

// The docker CLI talks to the same engine, synchronously (nothing async runs in an exit handler).
const liveContainers = new ExitCleanup<string>((ids) => {
  if (ids.length > 0) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore', timeout: 20_000 });
});

function currentUser(): string | undefined {
  return typeof process.getuid === 'function' ? `${process.getuid()}:${process.getgid!()}` : undefined;
}

class ContainerSite implements NodeSite {
  readonly files: HostFiles;
  readonly home = path.posix.join(MOUNT, 'home');
  readonly logPath: string;
  readonly ports: Readonly<Record<string, number>>;

  constructor(
    readonly runtime: ContainerRuntime,
    readonly request: PlaceRequest,
    readonly image: string,
    /** Host port on 127.0.0.1 per container port, fixed for the node's life (workloads keep their clients across restarts). */
    readonly hostPorts: Readonly<Record<number, number>>,
  ) {
    this.files = new HostFiles(request.dir);
    this.logPath = path.join(request.dir, `${request.name}.log`);
    this.ports = Object.fromEntries(request.portNames.map((name, i) => [name, FIRST_PORT + i]));
  }

  get name(): string {
    return this.request.name;
  }

  path(rel: string): string {
    return path.posix.join(MOUNT, rel);
  }

  port(name: string): number {
    const port = this.ports[name];
    if (port === undefined) throw new Error(`${this.name} has no port '${name}' (${Object.keys(this.ports).join(', ')})`);
    return port;
  }

  listen(port: string): string {
    return `0.0.0.0:${this.port(port)}`;
  }

  /** Other containers of the run reach it by its name on the run's network. */
  peer(port: string): string {
    return `${this.name}:${this.port(port)}`;
  }

  get mounts(): Array<{ host: string; container: string }> {
    return [{ host: this.request.dir, container: MOUNT }];
  }

  async exec(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
    const user = currentUser();
    const result = await runOnce({
      image: this.image,
      cmd: [...args],
      mounts: this.mounts,
      timeoutMs: options.timeoutMs ?? 60_000,
      labels: runLabels(this.runtime.runId),
      ...(user ? { user } : {}),
    });
    if (result.exitCode !== 0) {
      throw new InfraError(`${this.name}: \`${args[0] ?? ''}\` in ${this.image} exited with code ${result.exitCode}`, { detail: (result.stderr || result.stdout).split('\n').slice(-20).join('\n') });
    }
    return { stdout: result.stdout, stderr: result.stderr };
  }
}

class ContainerNode extends ManagedNode {
  private container: NodeContainer | undefined;
  private running = false;
  private expectingExit = false;
  private startedAt = 0;
  /** The last cgroup usage read (the sampler reads it every interval): what an OOM report says it reached. */
  private lastMemory: number | undefined;

  constructor(
    private readonly site: ContainerSite,
    launch: NodeLaunch,
  ) {
    super(launch, site.files, site.logPath);
    this.resolveEndpoints();
  }

  peerAddress(port: string): string {
    return this.site.peer(port);
  }

  /** Its host port on 127.0.0.1, chosen when placed and bound at every start (docker inspect shows the same). */
  protected clientAddress(port: string): string {
    return `127.0.0.1:${this.site.hostPorts[this.site.port(port)]}`;
  }

  pid(): number | undefined {
    return undefined;
  }

  /** Move the container from the run's network to `to` (a partition), or back (`to` = the run's network). */
  async moveNetwork(from: string, to: string): Promise<void> {
    if (!this.container) throw new InfraError(`${this.name}: not created yet, nothing to cut off`);
    await this.container.disconnect(from);
    await this.container.connect(to, [this.name]);
  }

  isRunning(): boolean {
    return this.running;
  }

  override async containerMemory(): Promise<ContainerMemory | undefined> {
    if (!this.running || !this.container) return undefined;
    const memory = await this.container.memory().catch(() => undefined);
    if (memory) this.lastMemory = Math.max(memory.usageBytes, memory.rssBytes ?? 0);
    return memory;
  }

  /** The cgroup's anonymous memory: the container's counterpart of a process's RSS. */
  async rssBytes(): Promise<number | undefined> {
    const memory = await this.containerMemory();
    return memory ? (memory.rssBytes ?? memory.usageBytes) : undefined;
  }

  async startAndWait(): Promise<void> {
    await this.beforeStart();
    if (!this.container) {
      const { plan } = this.launch;
      const image = plan.program ? await this.site.runtime.programImage(this.site, plan.program) : this.site.image;
      const user = currentUser();
      this.container = await createContainer({
        name: `chainsoak-${this.site.runtime.runId}-${this.name}`.toLowerCase().replace(/[^a-z0-9_.-]/g, '-'),
        image,
        cmd: plan.args,
        ...(plan.env ? { env: plan.env } : {}),
        labels: { ...runLabels(this.site.runtime.runId), 'chainsoak.node': this.name },
        network: { name: await this.site.runtime.network(), aliases: [this.name] },
        exposedPorts: Object.values(this.site.ports),
        hostPorts: this.site.hostPorts,
        mounts: this.site.mounts,
        logFile: this.logPath,
        ...(user ? { user } : {}),
        ...(this.site.request.limits?.memBytes !== undefined ? { memLimitBytes: this.site.request.limits.memBytes } : {}),
        ...(this.site.request.limits?.cpus !== undefined ? { cpus: this.site.request.limits.cpus } : {}),
      });
      liveContainers.add(this.container.id);
    }
    this.expectingExit = false;
    this.lastExit = undefined;
    await this.container.start();
    this.running = true;
    this.startedAt = Date.now();
    this.lastMemory = undefined;
    const container = this.container;
    const memLimitBytes = this.site.request.limits?.memBytes;
    void container.waitExit().then(
      (info) => {
        this.running = false;
        this.exited({
          code: info.exitCode,
          signal: null,
          expected: this.expectingExit,
          oomKilled: info.oomKilled,
          uptimeMs: Date.now() - this.startedAt,
          ...(memLimitBytes !== undefined ? { memLimitBytes } : {}),
          ...(this.lastMemory !== undefined ? { lastMemoryBytes: this.lastMemory } : {}),
        });
      },
      () => {
        this.running = false;
      },
    );
    await this.waitReady();
  }

  async stop(): Promise<void> {
    if (!this.container || !this.running) return;
    this.expectingExit = true;
    await this.container.unpause().catch(() => undefined); // a paused container cannot take SIGTERM
    await this.container.stop(STOP_GRACE_S);
    await this.exitSeen();
  }

  async kill(): Promise<void> {
    if (!this.container || !this.running) return;
    this.expectingExit = true;
    await this.container.kill('SIGKILL').catch(() => undefined);
    await this.exitSeen();
  }

  /** Wait until the exit watcher has seen the exit, so isRunning() and the listeners agree with Docker. */
  private async exitSeen(): Promise<void> {
    for (let i = 0; i < 200 && this.running; i++) await new Promise((r) => setTimeout(r, 25));
  }

  async pause(): Promise<void> {
    if (this.container && this.running) await this.container.pause();
  }

  async resume(): Promise<void> {
    if (this.container && this.running) await this.container.unpause().catch(() => undefined);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.startAndWait();
  }

  async remove(): Promise<void> {
    if (!this.container) return;
    this.expectingExit = true;
    await this.container.remove().catch(() => undefined);
    liveContainers.delete(this.container.id);
    this.running = false;
  }
}

export class ContainerRuntime implements NodeRuntime {
  readonly kind = 'container' as const;
  private readonly nodes: ContainerNode[] = [];
  private readonly sites: ContainerSite[] = [];
  private networkName: Promise<string> | undefined;
  private removeNetwork: (() => Promise<void>) | undefined;
  private readonly images = new Map<string, Promise<string>>();
  private shutdownOnce: Promise<void> | undefined;

  private constructor(
    readonly runId: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Check the engine answers and reap what runs of dead harness processes left behind. */
  static async create(runId: string, log: (line: string) => void = () => undefined): Promise<ContainerRuntime> {
    const status = await dockerStatus();
    if (!status.ok) throw new InfraError(`--runtime container: Docker is not available: ${status.reason}`);
    for (const line of await reapStale()) log(`reaped: ${line}`);
    return new ContainerRuntime(runId, log);
  }

  /** The run's bridge network, made on first use. */
  network(): Promise<string> {
    this.networkName ??= createRunNetwork(this.runId, runLabels(this.runId)).then((net) => {
      this.removeNetwork = net.remove;
      return net.name;
    });
    return this.networkName;
  }

  /** `chainsoak/<flavor>:<version>` from the node's binary, built once per run (and cached by Docker across runs). */
  private image(flavor: string, version: string, binary: string, name: string): Promise<string> {
    const key = `${flavor}@${version}@${binary}`;
    let built = this.images.get(key);
    if (!built) {
      this.log(`image chainsoak/${flavor}:${version} from ${binary}`);
      built = linkage(binary).then((kind) => {
        // A FROM scratch image has no loader and no libc: say so now, not as an obscure start failure.
        if (kind !== 'static') throw new UsageError(`${binary}: a ${kind === 'dynamic' ? 'dynamically linked' : 'non-ELF'} binary cannot run in chainsoak's FROM scratch image; build it static (CGO_ENABLED=0) or name an image (nodes[].image)`);
        return buildNodeImage({ flavor, version, binaries: { [name]: binary }, entrypoint: name });
      });
      this.images.set(key, built);
    }
    return built;
  }

  private partitions = 0;

  /**
   * A partition: the nodes leave the run's network for a side network of their own (so a group still
   * reaches itself), and come back at the heal. Their published ports stay: the harness keeps profiling them.
   */
  async partition(nodes: RunningNode[]): Promise<() => Promise<void>> {
    const members = nodes.map((n) => {
      if (!(n instanceof ContainerNode)) throw new InfraError(`${n.name}: not a container of this run`);
      return n;
    });
    const main = await this.network();
    const side = await createRunNetwork(`${this.runId}-part${++this.partitions}`, runLabels(this.runId));
    for (const n of members) await n.moveNetwork(main, side.name);
    return async () => {
      for (const n of members) await n.moveNetwork(side.name, main);
      await side.remove().catch(() => undefined);
    };
  }

  /** The image of a plan's own program (CometBFT's e2e node for snapshotInterval). */
  programImage(site: ContainerSite, program: { name: string; binary: string }): Promise<string> {
    return this.image(program.name, site.request.version, program.binary, program.name);
  }

  async place(request: PlaceRequest): Promise<NodeSite> {
    const { artifact } = request;
    let image = artifact.image;
    if (!image) {
      if (!artifact.binary) throw new UsageError(`${request.name}: neither a binary nor an image to run`);
      image = await this.image(request.flavor, request.version, artifact.binary, path.basename(artifact.binary));
    }
    await mkdir(request.dir, { recursive: true });
    const host = await freePorts(request.portNames);
    const site = new ContainerSite(this, request, image, Object.fromEntries(request.portNames.map((name, i) => [FIRST_PORT + i, host[name]!])));
    this.sites.push(site);
    return site;
  }

  async start(site: NodeSite, launch: NodeLaunch): Promise<RunningNode> {
    const node = this.create(site, launch) as ContainerNode;
    await node.startAndWait();
    return node;
  }

  create(site: NodeSite, launch: NodeLaunch): RunningNode {
    if (!(site instanceof ContainerSite)) throw new Error(`${launch.name}: not a container runtime's site`);
    const node = new ContainerNode(site, launch);
    this.nodes.push(node);
    holdTeardown(this);
    return node;
  }

  shutdown(options: { keepData?: boolean } = {}): Promise<void> {
    this.shutdownOnce ??= (async () => {
      await Promise.all(this.nodes.map((node) => node.stop().catch(() => undefined)));
      await Promise.all(this.nodes.map((node) => node.remove()));
      await this.removeNetwork?.().catch(() => undefined);
      // Anything of this run the steps above missed (a container whose create raced an abort).
      await removeLabelled(this.runId).catch(() => undefined);
      if (!options.keepData) await Promise.all(this.sites.map((site) => site.files.remove('home').catch(() => undefined)));
      releaseTeardown(this);
    })();
    return this.shutdownOnce;
  }
}
