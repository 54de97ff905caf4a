/**
 * toxiproxy-server run by the harness itself: on a free 127.0.0.1 port, in its own process group, and
 * killed with the harness process if nobody stopped it, so no server outlives the run that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from '../../errors.ts';
import { freePort } from '../../runtimes/ports.ts';
import { tailOfFile } from '../../runtimes/logs.ts';
import { checkProcessGroups, groupsToKillOnExit, signalGroup } from '../../runtimes/process-groups.ts';
import { ToxiproxyAdmin, type ToxiproxyProxy, type ToxiproxyProxyState } from './admin.ts';
import { ensureToxiproxy } from './build.ts';
import type { Toxic } from './toxics.ts';

export interface Toxiproxy {
  /** http://127.0.0.1:<port> */
  readonly adminUrl: string;
  readonly pid: number;
  readonly logFile: string;
  /** What GET /version answered, e.g. "2.5.0". */
  readonly version: string;
  isRunning(): boolean;
  /** A proxy in front of `upstream`; `listen` defaults to 127.0.0.1:0 (a free port) and must be a loopback address. */
  createProxy(spec: { name: string; listen?: string; upstream: string }): Promise<ToxiproxyProxy>;
  getProxy(proxy: string | { name: string }): Promise<ToxiproxyProxyState>;
  addToxic(proxy: string | { name: string }, toxic: Toxic): Promise<void>;
  removeToxic(proxy: string | { name: string }, name: string): Promise<void>;
  /** false = the 'down' fault: the listener closes and every open connection through the proxy is closed. */
  setEnabled(proxy: string | { name: string }, enabled: boolean): Promise<void>;
  /** Every proxy enabled again, every toxic removed. */
  resetAll(): Promise<void>;
  deleteProxy(name: string): Promise<void>;
  /** SIGTERM to the process group, SIGKILL after a grace period; idempotent. */
  stop(): Promise<void>;
}

export interface StartToxiproxyOptions {
  /** The server's output (one JSON line per event) is appended here. */
  logFile: string;
  /** Aborting while starting kills the server and rejects; aborting later stops it. */
  signal?: AbortSignal;
  /** The toxiproxy-server binary; default: ensureToxiproxy(). */
  binary?: string;
  /** Seed of toxiproxy's randomness (jitter, toxicity, slicer sizes); default: toxiproxy's (the clock). */
  seed?: number;
  readyTimeoutMs?: number;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;


/** The admin API of a server this process spawned, with its process's life: readiness, exit, stop. */
class ToxiproxyServer extends ToxiproxyAdmin implements Toxiproxy {
  readonly pid: number;
  version = '';
  private stopping: Promise<void> | undefined;
  private readonly exited: Promise<void>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly onAbort = () => void this.stop();

  constructor(
    child: ChildProcess,
    port: number,
    readonly logFile: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    super(`http://127.0.0.1:${port}`);
    this.pid = child.pid!;
    groupsToKillOnExit.add(this.pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, sig) => {
        this.exitInfo = { code, signal: sig };
        groupsToKillOnExit.delete(this.pid);
        signal?.removeEventListener('abort', this.onAbort);
        resolve();
      });
    });
  }

  override isRunning(): boolean {
    return this.exitInfo === undefined;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.signal?.aborted) throw this.signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
      if (this.exitInfo) {
        const how = this.exitInfo.signal ? `killed by ${this.exitInfo.signal}` : `exit code ${this.exitInfo.code}`;
        throw new InfraError(`toxiproxy exited during startup (${how}); log: ${this.logFile}`, { detail: tailOfFile(this.logFile, 20) });
      }
      try {
        const res = await fetch(`${this.adminUrl}/version`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) {
          this.version = (await res.text()).trim();
          this.signal?.addEventListener('abort', this.onAbort, { once: true });
          return;
        }
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    throw new InfraError(`toxiproxy did not answer GET ${this.adminUrl}/version within ${Math.round(timeoutMs / 1000)} s; log: ${this.logFile}`, {
      detail: tailOfFile(this.logFile, 20),
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.signal?.removeEventListener('abort', this.onAbort);
      if (this.isRunning()) {
        signalGroup(this.pid, 'SIGTERM'); // toxiproxy exits 0 on SIGTERM
        const timer = sleep(STOP_GRACE_MS, undefined, { ref: false }).then(() => 'timeout' as const);
        if ((await Promise.race([this.exited, timer])) === 'timeout') {
          signalGroup(this.pid, 'SIGKILL');
          await this.exited;
        }
      }
      signalGroup(this.pid, 'SIGKILL'); // anything left in the group
      groupsToKillOnExit.delete(this.pid);
    })();
    return this.stopping;
  }
}

/** Start toxiproxy-server on a free 127.0.0.1 port and wait until its admin API answers. */
export async function startToxiproxy(opts: StartToxiproxyOptions): Promise<Toxiproxy> {
  const { logFile, signal } = opts;
  if (signal?.aborted) throw signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
  checkProcessGroups();
  const binary = opts.binary ?? (await ensureToxiproxy({ signal }));
  const port = await freePort();
  const args = ['-host', '127.0.0.1', '-port', String(port)];
  if (opts.seed !== undefined) args.push('-seed', String(opts.seed));

  mkdirSync(path.dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  if (child.pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new InfraError(`cannot start toxiproxy (${binary}): ${error.message}`);
  }
  child.on('error', () => {}); // errors after spawn surface as the exit
  const server = new ToxiproxyServer(child, port, logFile, signal);
  try {
    await server.waitReady(opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
