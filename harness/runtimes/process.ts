/**
 * The default runtime: each node is a child process in its own process group, so a signal to the
 * group reaches anything the node forked. Logs go straight from the child to a file (no pipe through
 * Node, which would cost CPU the node needs). Every started group is also killed synchronously on
 * process exit, the last line of defence against leaving a node behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from '../errors.ts';
import type { ExitInfo, NodeLaunch, NodeRuntime, RunningNode } from './runtime.ts';

const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
});

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

const STOP_GRACE_MS = 15_000;

class ProcessNode implements RunningNode {
  readonly name: string;
  readonly endpoints;
  readonly logPath: string;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ExitInfo> | undefined;
  private expectingExit = false;
  private paused = false;
  private readonly listeners: Array<(info: ExitInfo) => void> = [];

  constructor(private readonly launch: NodeLaunch) {
    this.name = launch.name;
    this.endpoints = launch.plan.endpoints;
    mkdirSync(launch.logDir, { recursive: true });
    this.logPath = path.join(launch.logDir, `${launch.name}.log`);
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async spawnAndWait(): Promise<void> {
    const { plan, readyTimeoutMs } = this.launch;
    const binary = plan.binary ?? this.launch.binary;
    if (plan.beforeStart) {
      try {
        await plan.beforeStart(AbortSignal.timeout(readyTimeoutMs));
      } catch (error) {
        throw new InfraError(`${this.name}: cannot prepare the start: ${(error as Error).message}`);
      }
    }
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
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (child.pid) liveGroups.delete(child.pid);
        const info = { code, signal, expected: this.expectingExit };
        for (const listener of this.listeners) listener(info);
        resolve(info);
      });
    });
    if (child.pid === undefined) {
      const error = await spawnError;
      throw new InfraError(`${this.name}: cannot start ${binary}: ${error.message}`);
    }
    liveGroups.add(child.pid);
    await this.waitReady(readyTimeoutMs);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const exited = this.exitPromise!.then((info) => info);
    let exitInfo: ExitInfo | undefined;
    void exited.then((info) => (exitInfo = info));
    while (Date.now() < deadline) {
      if (exitInfo) {
        throw new InfraError(`${this.name} exited during startup (${describeExit(exitInfo)}); log: ${this.logPath}`, { detail: this.logTail() });
      }
      const ready = await this.launch.isReady(this.endpoints, AbortSignal.timeout(3000)).catch(() => false);
      if (ready) return;
      await sleep(250);
    }
    await this.kill();
    throw new InfraError(`${this.name} was not ready within ${Math.round(timeoutMs / 1000)} s; log: ${this.logPath}`, { detail: this.logTail() });
  }

  onExit(listener: (info: ExitInfo) => void): void {
    this.listeners.push(listener);
  }

  async rssBytes(): Promise<number | undefined> {
    const pid = this.child?.pid;
    if (!pid || !this.isRunning()) return undefined;
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
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

  logTail(lines = 20): string {
    try {
      const text = readFileSync(this.logPath, 'utf8');
      return text.trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
}

export class ProcessRuntime implements NodeRuntime {
  readonly kind = 'process' as const;
  private readonly nodes: ProcessNode[] = [];

  async start(launch: NodeLaunch): Promise<RunningNode> {
    const node = this.create(launch);
    await node.restart();
    return node;
  }

  create(launch: NodeLaunch): RunningNode {
    const node = new ProcessNode(launch);
    this.nodes.push(node);
    return node;
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop().catch(() => node.kill())));
  }
}
