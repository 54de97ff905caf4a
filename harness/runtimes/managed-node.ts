/**
 * What every node chainsoak starts itself has in common, whatever runs it: endpoints resolved into one
 * object, the flavor's details, the log in the report folder, exit listeners, the flavor's beforeStart
 * hook and the wait for readiness. The process and container runtimes only say how to spawn, signal and
 * measure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from '../errors.ts';
import type { NodeDetails, NodeEndpoints } from '../nodes/flavor.ts';
import { resolveEndpoints } from './endpoints.ts';
import { scanLogFile, tailOfFile } from './logs.ts';
import type { ContainerMemory, ExitInfo, NodeFiles, NodeLaunch, RunningNode } from './runtime.ts';

export function describeExit(info: ExitInfo): string {
  if (info.oomKilled) return `OOM-killed${info.code !== null ? `, exit code ${info.code}` : ''}`;
  return info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
}

export abstract class ManagedNode implements RunningNode {
  readonly name: string;
  readonly endpoints = {} as NodeEndpoints;
  readonly details: NodeDetails;
  private readonly listeners: Array<(info: ExitInfo) => void> = [];
  /** The exit of the current run of the node, once it happened. */
  protected lastExit: ExitInfo | undefined;

  constructor(
    protected readonly launch: NodeLaunch,
    readonly files: NodeFiles | undefined,
    readonly logPath: string,
  ) {
    this.name = launch.name;
    this.details = launch.plan.details ?? {};
  }

  abstract peerAddress(port: string): string;
  abstract pid(): number | undefined;
  abstract isRunning(): boolean;
  abstract rssBytes(): Promise<number | undefined>;
  containerMemory?(): Promise<ContainerMemory | undefined>;
  abstract stop(): Promise<void>;
  abstract kill(): Promise<void>;
  abstract pause(): Promise<void>;
  abstract resume(): Promise<void>;
  abstract restart(): Promise<void>;

  /** The address the harness reaches a port at: fixed for the node's life (free ports chosen when placed). */
  protected abstract clientAddress(port: string): string;

  onExit(listener: (info: ExitInfo) => void): void {
    this.listeners.push(listener);
  }

  protected exited(info: ExitInfo): void {
    this.lastExit = info;
    for (const listener of this.listeners) listener(info);
  }

  scanLog(offset: number, onLine: (line: string) => void): Promise<number> {
    return scanLogFile(this.logPath, offset, onLine);
  }

  logTail(lines = 20): string {
    return tailOfFile(this.logPath, lines);
  }

  /** The flavor's beforeStart (settings only the running network can give), before every start. */
  protected async beforeStart(): Promise<void> {
    const { plan, readyTimeoutMs, network } = this.launch;
    if (!plan.beforeStart) return;
    try {
      await plan.beforeStart({ signal: AbortSignal.timeout(readyTimeoutMs), network });
    } catch (error) {
      throw new InfraError(`${this.name}: cannot prepare the start: ${(error as Error).message}`);
    }
  }

  /** Resolve the endpoints for this start, then ask the flavor until it says ready, the node exits, or time runs out. */
  /**
   * The endpoints, from the addresses the runtime chose when it placed the node: known before the first
   * start, so workloads can name a node a fault starts later (a late joiner). Called by the runtime once
   * the node exists, and again at every start (the same object is updated in place).
   */
  protected resolveEndpoints(): void {
    resolveEndpoints(this.launch.plan.endpoints, (port) => this.launch.clientRoute?.(port) ?? this.clientAddress(port), this.endpoints);
  }

  protected async waitReady(): Promise<void> {
    this.resolveEndpoints();
    const timeoutMs = this.launch.readyTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.lastExit) {
        throw new InfraError(`${this.name} exited during startup (${describeExit(this.lastExit)}); log: ${this.logPath}`, { detail: this.logTail() });
      }
      const ready = await this.launch.isReady(this.endpoints, AbortSignal.timeout(3000), this.details).catch(() => false);
      if (ready) return;
      await sleep(250);
    }
    await this.kill();
    throw new InfraError(`${this.name} was not ready within ${Math.round(timeoutMs / 1000)} s; log: ${this.logPath}`, { detail: this.logTail() });
  }
}
