/**
 * A runtime runs nodes somewhere: local child processes (the default), containers, or nodes someone else
 * started (attach by URL). Workloads, faults and probes only ever see RunningNode, never the runtime.
 */
import type { LaunchPlan, NodeEndpoints } from '../nodes/flavor.ts';

export interface NodeLaunch {
  /** Unique node name inside the run, e.g. "geth0". */
  name: string;
  binary: string;
  plan: LaunchPlan;
  /** Directory the node's log file goes to. */
  logDir: string;
  /** Readiness check, called repeatedly until true or readyTimeoutMs. */
  isReady(endpoints: NodeEndpoints, signal: AbortSignal): Promise<boolean>;
  readyTimeoutMs: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when chainsoak itself stopped or killed the node (teardown or an injected fault). */
  expected: boolean;
}

export interface RunningNode {
  readonly name: string;
  readonly endpoints: NodeEndpoints;
  readonly logPath: string;
  /** OS process id where the runtime knows it (process runtime). */
  pid(): number | undefined;
  isRunning(): boolean;
  /** Resident set size in bytes, where the runtime can read it. */
  rssBytes(): Promise<number | undefined>;
  /** Graceful stop (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  kill(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  restart(): Promise<void>;
  /** Resolves when the node exits for any reason; `expected` tells teardown/faults from crashes. */
  onExit(listener: (info: ExitInfo) => void): void;
  /** Last lines of the node's log, for error messages. */
  logTail(lines?: number): string;
}

export interface NodeRuntime {
  readonly kind: 'process' | 'container' | 'external';
  start(launch: NodeLaunch): Promise<RunningNode>;
  /** A node that exists but is not started: a `start` fault (restart()) brings it up later. */
  create(launch: NodeLaunch): RunningNode;
  /** Stop every node this runtime started. Idempotent; safe to call from signal handlers. */
  shutdown(): Promise<void>;
}
