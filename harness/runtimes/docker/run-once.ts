/** One-shot containers: a node's own commands (geth init, cometbft testnet) run to completion in its image. */
import path from 'node:path';
import { InfraError } from '../../errors.ts';
import { demux } from './container-logs.ts';
import { docker, type CreateOptions, type DockerContainer } from './engine.ts';
import { createError, engineError, oneLine } from './errors.ts';
import { withRunDefaults } from './labels.ts';

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
