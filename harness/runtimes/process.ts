/**
 * The default runtime: each node is a child process in its own process group, so a signal to the
 * group reaches anything the node forked. Every port is a free port on 127.0.0.1, bound and reached
 * there; the node's home is a folder of the run. Logs go straight from the child to a file (no pipe
 * through Node, which would cost CPU the node needs). Every running group is also killed synchronously
 * on process exit (process-groups.ts), the last line of defence against leaving a node behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { InfraError, UsageError } from '../errors.ts';
import { HostFiles } from './host-files.ts';
import { ManagedNode } from './managed-node.ts';
import { freePorts } from './ports.ts';
import { checkProcessGroups, groupsToKillOnExit, signalGroup } from './process-groups.ts';
import { readRss } from './rss.ts';
import { holdTeardown, releaseTeardown } from './teardown.ts';
import type { ExitInfo, NodeLaunch, NodeRuntime, NodeSite, PlaceRequest, RunningNode } from './runtime.ts';

const execFileP = promisify(execFile);

const STOP_GRACE_MS = 15_000;

/** A process node's place: a folder of the run and free loopback ports. */
class ProcessSite implements NodeSite {
  readonly files: HostFiles;
  readonly home: string;
  readonly logPath: string;

  constructor(
    readonly name: string,
    readonly binary: string,
    readonly dir: string,
    readonly ports: Readonly<Record<string, number>>,
  ) {
    this.files = new HostFiles(dir);
    this.home = this.path('home');
    this.logPath = path.join(dir, `${name}.log`);
  }

  path(rel: string): string {
    return this.files.hostPath(rel);
  }

  listen(port: string): string {
    return this.peer(port);
  }

  peer(port: string): string {
    const number = this.ports[port];
    if (number === undefined) throw new Error(`${this.name} has no port '${port}' (${Object.keys(this.ports).join(', ')})`);
    return `127.0.0.1:${number}`;
  }

  async exec(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
    try {
      return await execFileP(this.binary, args, { timeout: options.timeoutMs ?? 60_000, cwd: this.dir, maxBuffer: 16 << 20 });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new InfraError(`${this.name}: \`${path.basename(this.binary)} ${args[0] ?? ''}\` failed: ${e.message.split('\n')[0]}`, { detail: e.stderr?.split('\n').slice(-20).join('\n') });
    }
  }
}

class ProcessNode extends ManagedNode {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ExitInfo> | undefined;
  private expectingExit = false;
  private paused = false;

  constructor(
    private readonly site: ProcessSite,
    launch: NodeLaunch,
  ) {
    super(launch, site.files, site.logPath);
    mkdirSync(site.dir, { recursive: true });
    this.resolveEndpoints();
  }

  peerAddress(port: string): string {
    return this.site.peer(port);
  }

  protected clientAddress(port: string): string {
    return this.site.peer(port);
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async spawnAndWait(): Promise<void> {
    const { plan } = this.launch;
    const binary = plan.program?.binary ?? this.site.binary;
    await this.beforeStart();
    const logFd = openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(binary, plan.args, {
        detached: true, // own process group
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, ...plan.env },
      });
    } finally {
      closeSync(logFd);
    }
    this.child = child;
    this.expectingExit = false;
    this.lastExit = undefined;
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (child.pid) groupsToKillOnExit.delete(child.pid);
        const info = { code, signal, expected: this.expectingExit };
        this.exited(info);
        resolve(info);
      });
    });
    if (child.pid === undefined) {
      const error = await spawnError;
      throw new InfraError(`${this.name}: cannot start ${binary}: ${error.message}`);
    }
    groupsToKillOnExit.add(child.pid);
    await this.waitReady();
  }

  async rssBytes(): Promise<number | undefined> {
    const pid = this.child?.pid;
    if (!pid || !this.isRunning()) return undefined;
    return readRss(pid);
  }

  async stop(): Promise<void> {
    await this.terminate('SIGTERM', STOP_GRACE_MS);
  }

  async kill(): Promise<void> {
    await this.terminate('SIGKILL', STOP_GRACE_MS);
  }

  private async terminate(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const pid = this.child?.pid;
    if (!pid || !this.isRunning()) return;
    this.expectingExit = true;
    if (this.paused) this.resumeGroup(pid); // a stopped process cannot handle SIGTERM
    signalGroup(pid, signal);
    // Unref'd: once the node has exited, the grace timer must not hold the CLI open for its full length.
    const timer = sleep(graceMs, undefined, { ref: false }).then(() => 'timeout' as const);
    if ((await Promise.race([this.exitPromise!, timer])) === 'timeout') {
      signalGroup(pid, 'SIGKILL');
      await this.exitPromise;
    }
    signalGroup(pid, 'SIGKILL'); // anything the node forked that outlived it
  }

  async pause(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid || !this.isRunning()) return;
    signalGroup(pid, 'SIGSTOP');
    this.paused = true;
  }

  async resume(): Promise<void> {
    const pid = this.child?.pid;
    if (pid) this.resumeGroup(pid);
  }

  private resumeGroup(pid: number): void {
    signalGroup(pid, 'SIGCONT');
    this.paused = false;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.spawnAndWait();
  }

}

export class ProcessRuntime implements NodeRuntime {
  readonly kind = 'process' as const;
  private readonly nodes: ProcessNode[] = [];

  private readonly sites: ProcessSite[] = [];

  async place(request: PlaceRequest): Promise<NodeSite> {
    checkProcessGroups();
    if (!request.artifact.binary) {
      throw new UsageError(`${request.name}: the process runtime runs a binary, and ${request.flavor} ${request.version} names only an image (${request.artifact.image}); use --runtime container`);
    }
    await mkdir(request.dir, { recursive: true });
    const site = new ProcessSite(request.name, request.artifact.binary, request.dir, await freePorts(request.portNames));
    this.sites.push(site);
    return site;
  }

  async start(site: NodeSite, launch: NodeLaunch): Promise<RunningNode> {
    const node = this.create(site, launch);
    await node.restart();
    return node;
  }

  create(site: NodeSite, launch: NodeLaunch): RunningNode {
    if (!(site instanceof ProcessSite)) throw new Error(`${launch.name}: not a process runtime's site`);
    const node = new ProcessNode(site, launch);
    this.nodes.push(node);
    holdTeardown(this);
    return node;
  }

  async shutdown(options: { keepData?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop().catch(() => node.kill())));
    if (!options.keepData) await Promise.all(this.sites.map((site) => site.files.remove('home').catch(() => undefined)));
    releaseTeardown(this);
  }
}
