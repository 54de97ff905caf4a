/**
 * A node's container: what it is made of (ContainerSpec), the handle the runtime drives it by
 * (NodeContainer), and its creation. Its published ports bind 127.0.0.1 only; the handle itself is
 * node-container.ts, the copy of its output into a log file container-logs.ts.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.ts';
import { docker, LOOPBACK, type CreateOptions, type DockerContainer, type HostConfig } from './engine.ts';
import { createError } from './errors.ts';
import { withRunDefaults } from './labels.ts';
import { limitsConfig } from './limits.ts';
import { DockerNodeContainer } from './node-container.ts';

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
