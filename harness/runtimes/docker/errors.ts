/**
 * The engine's failures as the harness reports them: one line with the engine's own words, and an
 * InfraError when the engine itself is the problem (it stopped answering, an image is missing, ...)
 * rather than the call.
 */
import { InfraError, UsageError } from '../../errors.ts';
import type { ContainerSpec } from './containers.ts';

interface DockerApiError {
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
  code?: string;
  message?: string;
}

/** The HTTP status of the engine's answer, if the failure was one. */
export function statusOf(err: unknown): number | undefined {
  return (err as DockerApiError | undefined)?.statusCode;
}

/** The engine's own message ("No such image: x") rather than dockerode's "(HTTP code 404) ..." wrapper. */
export function oneLine(err: unknown): string {
  const e = err as DockerApiError | undefined;
  const text = e?.json?.message ?? e?.message ?? String(err);
  return text.replace(/\s+/g, ' ').trim();
}

/** Lost contact with the engine (it stopped, or its socket went away): an infrastructure failure. */
function isConnectionError(err: unknown): boolean {
  const code = (err as DockerApiError | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EPIPE' || code === 'ECONNRESET' || code === 'EACCES';
}

export function engineError(what: string, err: unknown): Error {
  if (err instanceof InfraError || err instanceof UsageError) return err;
  if (isConnectionError(err)) return new InfraError(`${what}: the Docker engine stopped answering (${oneLine(err)})`, { cause: err });
  return new Error(`${what}: ${oneLine(err)}`, { cause: err });
}

/** Why the engine would not create a container (a node's, or a one-shot one of run-once.ts). */
export function createError(name: string, image: string, network: string | undefined, mounts: ContainerSpec['mounts'], err: unknown): Error {
  const message = oneLine(err);
  const status = statusOf(err);
  if (status === 404 && /image/i.test(message)) {
    return new InfraError(`container ${name}: image ${image} is not on this engine (build it with buildNodeImage; nothing can be pulled)`, { cause: err });
  }
  if (status === 404 && network !== undefined && /network/i.test(message)) {
    return new InfraError(`container ${name}: network ${network} does not exist`, { cause: err });
  }
  if (status === 409) return new InfraError(`container ${name}: a container of that name already exists (${message})`, { cause: err });
  if (status === 400 && /bind source path does not exist/i.test(message)) {
    const missing = (mounts ?? []).map((m) => m.host).join(', ');
    return new InfraError(`container ${name}: a mount's host path does not exist (${missing})`, { cause: err });
  }
  return engineError(`create container ${name}`, err);
}
