/**
 * A runtime owns where a node runs: local child processes (the default), containers, or nodes someone
 * else started (attach by URL). It gives each node a place (a `NodeSite`: its directory, the addresses it
 * binds and is reached at, how its own commands run) that the flavor fills in, then runs it and hands out
 * a `RunningNode`. Flavors never name a host or open a file themselves; workloads, faults and probes only
 * ever see RunningNode. A new runtime is one file plus its line in registry.ts.
 */
import type { LaunchPlan, NodeDetails, NodeEndpoints } from '../nodes/flavor.ts';
import type { ContainerMemory, RuntimeKind } from '../result/types.ts';
export type { ContainerMemory, RuntimeKind } from '../result/types.ts';



/** The files of one node: paths are relative to the node's directory (`home/config/config.toml`). */
export interface NodeFiles {
  read(rel: string): Promise<string>;
  write(rel: string, text: string | Buffer): Promise<void>;
  exists(rel: string): Promise<boolean>;
  /** Entry names in a directory; [] when it does not exist. */
  list(rel: string): Promise<string[]>;
  /** Remove a file or a whole tree; no error when it is not there. */
  remove(rel: string): Promise<void>;
  /** Every file under a directory, keyed by its path relative to it (small trees: keys, genesis). */
  exportTree(rel: string): Promise<Map<string, Buffer>>;
  importTree(rel: string, tree: ReadonlyMap<string, Buffer>): Promise<void>;
}

/** What a node program may be: a host binary (process runtime) that a container runtime can also put in an image. */
export interface NodeArtifact {
  /** Host path of the binary, when there is one (a cached build or a developer's build). */
  binary?: string;
  /** A container image (`chainsoak/geth:v1.17.10`, or one the user names). */
  image?: string;
}

/** What the launcher asks of a runtime for one node, before the flavor prepares it. */
export interface PlaceRequest {
  name: string;
  flavor: string;
  version: string;
  artifact: NodeArtifact;
  /** Ports the node opens (the flavor's portNames). */
  portNames: readonly string[];
  /** The node's folder in the run's report folder (its log goes here; its home on local runtimes). */
  dir: string;
  /** Resource limits (container runtime): memory without swap, CPUs. */
  limits?: { memBytes?: number; cpus?: number };
}

/**
 * One node's place, as its flavor sees it while preparing. Paths are the ones the node itself sees
 * (inside a container they differ from the host's); files are reached through `files` only.
 */
export interface NodeSite {
  readonly name: string;
  /** The image the node runs, on a container runtime. */
  readonly image?: string;
  /** The node's own directory as the node sees it; `home` is `path('home')`. */
  path(rel: string): string;
  readonly home: string;
  /** host:port the node binds for a port ('127.0.0.1:38211' as a process, '0.0.0.0:26657' in a container). */
  listen(port: string): string;
  /** host:port other nodes of the run reach this port at ('127.0.0.1:38211', 'val0:26656'). */
  peer(port: string): string;
  readonly files: NodeFiles;
  /** Run one of the node's own commands (`init`, `testnet`) to completion with the node's program. */
  exec(args: readonly string[], options?: { timeoutMs?: number }): Promise<{ stdout: string; stderr: string }>;
}

/** The running network as a node's beforeStart sees it: its other nodes, by name. */
export interface NetworkView {
  node(name: string): RunningNode | undefined;
}

export interface NodeLaunch {
  /** Unique node name inside the run, e.g. "geth0". */
  name: string;
  plan: LaunchPlan;
  /** Readiness check, called repeatedly until true or readyTimeoutMs. */
  isReady(endpoints: NodeEndpoints, signal: AbortSignal, details: NodeDetails): Promise<boolean>;
  readyTimeoutMs: number;
  network: NetworkView;
  /** Where the harness reaches a port through a link proxy (network faults), when it is routed; else undefined. */
  clientRoute?(port: string): string | undefined;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when chainsoak itself stopped or killed the node (teardown or an injected fault). */
  expected: boolean;
  /** The kernel's OOM killer ended it (a container over its memory limit). */
  oomKilled?: boolean;
  /** How long this run of the node lasted, where the runtime knows. */
  uptimeMs?: number;
  /** Its memory limit and the last memory use seen before the exit, where the runtime has them (containers). */
  memLimitBytes?: number;
  lastMemoryBytes?: number;
}

export interface RunningNode {
  readonly name: string;
  /**
   * URLs the harness reaches the node at. The same object for the node's whole life; a runtime that
   * maps ports anew at each start (containers) updates it in place after every start.
   */
  readonly endpoints: NodeEndpoints;
  /** What the flavor said about the node (role, app, state-sync joiner ...). */
  readonly details: NodeDetails;
  /** The node's files (absent on the external runtime: chainsoak does not own them). */
  readonly files: NodeFiles | undefined;
  /** Where the node's log is written in the report folder. */
  readonly logPath: string;
  /** host:port other nodes of the run reach one of this node's ports at (p2p dials). */
  peerAddress(port: string): string;
  /** OS process id where the runtime knows it (process runtime). */
  pid(): number | undefined;
  isRunning(): boolean;
  /** Resident set size in bytes, where the runtime can read it. */
  rssBytes(): Promise<number | undefined>;
  /** The container's cgroup memory, where the node is a container. */
  containerMemory?(): Promise<ContainerMemory | undefined>;
  /** Feed the log's lines from byte `offset` on to onLine; resolves with the offset of the end read. */
  scanLog(offset: number, onLine: (line: string) => void): Promise<number>;
  /** Graceful stop (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  kill(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  restart(): Promise<void>;
  /** Called when the node exits for any reason; `expected` tells teardown/faults from crashes. */
  onExit(listener: (info: ExitInfo) => void): void;
  /** Last lines of the node's log, for error messages. */
  logTail(lines?: number): string;
}

/** What the launcher asks of a runtime that attaches to nodes it does not run (external). */
export interface AttachRequest {
  name: string;
  flavor: string;
  readyTimeoutMs: number;
  isReady: NodeLaunch['isReady'];
  /** Where a log would go (there is none for a node chainsoak did not start). */
  logPath: string;
}

export interface NodeRuntime {
  readonly kind: RuntimeKind;
  /** Runtimes of nodes that run elsewhere attach to them instead of placing, preparing and starting them. */
  attach?(request: AttachRequest): Promise<RunningNode>;
  /** Cut these nodes off from the rest of the run's network (they still reach each other); resolves with the heal. */
  partition?(nodes: RunningNode[]): Promise<() => Promise<void>>;
  /** Give a node its place (directory, ports, how its commands run); the flavor then prepares it there. */
  place(request: PlaceRequest): Promise<NodeSite>;
  /** Start a placed node and wait until it is ready. */
  start(site: NodeSite, launch: NodeLaunch): Promise<RunningNode>;
  /** A node that exists but is not started: a `start` fault (restart()) brings it up later. */
  create(site: NodeSite, launch: NodeLaunch): RunningNode;
  /** Stop every node this runtime started and release what it made. Idempotent; safe on every path. */
  shutdown(options?: { keepData?: boolean }): Promise<void>;
}
