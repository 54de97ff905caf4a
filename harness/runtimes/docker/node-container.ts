/**
 * The NodeContainer handle over a Docker container: start, stop, kill, pause, state, memory, networks,
 * limits and removal, each failure said in one line naming the container. Its output goes to its log
 * file through a LogFollower (container-logs.ts) that lives as long as the handle.
 */
import { InfraError } from '../../errors.ts';
import { LogFollower } from './container-logs.ts';
import type { ContainerMemory, ContainerState, NodeContainer } from './containers.ts';
import { LOOPBACK, type DockerContainer, type Dockerode } from './engine.ts';
import { engineError, oneLine, statusOf } from './errors.ts';
import { limitsConfig } from './limits.ts';

export class DockerNodeContainer implements NodeContainer {
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
