/**
 * The connection to the Docker engine, shared by every other file of this folder.
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
 * Ryuk (testcontainers' reaper) is disabled: its image cannot be pulled (no registry is reachable);
 * `removeLabelled` and `reapStale` (reap.ts) clean up instead. testcontainers is imported here only as
 * types, and loaded on the first call that needs Docker, so importing this folder stays cheap.
 */
import net from 'node:net';
import type { ContainerRuntimeClient } from 'testcontainers';
import { InfraError } from '../../errors.ts';
import { oneLine } from './errors.ts';

export type Dockerode = ContainerRuntimeClient['container']['dockerode'];
export type DockerContainer = ReturnType<Dockerode['getContainer']>;
export type CreateOptions = Parameters<Dockerode['createContainer']>[0];
export type HostConfig = NonNullable<CreateOptions['HostConfig']>;

/** Where containers publish their ports, and where the harness reaches them. */
export const LOOPBACK = '127.0.0.1';

let client: Promise<Dockerode> | undefined;

async function loadTestcontainers(): Promise<typeof import('testcontainers')> {
  // Before testcontainers is imported: no Ryuk (its image cannot be pulled here). And a fixed host: on a
  // machine with /.dockerenv, testcontainers otherwise looks for the gateway by running alpine:3.14,
  // which means a pull. Containers here publish on 127.0.0.1 and are reached there.
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= LOOPBACK;
  return import('testcontainers');
}

/** The engine's dockerode client, connected once per process (and tried again after a failed attempt). */
export function docker(): Promise<Dockerode> {
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
