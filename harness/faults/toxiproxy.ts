/**
 * Network faults through Toxiproxy (github.com/Shopify/toxiproxy/v2, MIT): a TCP proxy put in front of a
 * node's port, whose links get "toxics" (latency, bandwidth, timeout, reset, ...) or are taken down, over
 * toxiproxy's HTTP admin API. The server is built like a node, `go install` into chainsoak's cache, runs
 * in its own process group on 127.0.0.1, and is killed with the process if nobody stopped it.
 *
 * Direction, in toxiproxy's words: `upstream` is the data a client sends through the proxy to the node,
 * `downstream` the data the node sends back.
 *
 * Admin API used (toxiproxy v2.5.0, api.go): GET /version, POST /proxies, GET /proxies/{proxy},
 * POST /proxies/{proxy} (enabled), DELETE /proxies/{proxy}, POST /proxies/{proxy}/toxics,
 * DELETE /proxies/{proxy}/toxics/{toxic}, POST /reset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { InfraError } from '../errors.ts';
import type { GoBuildRecipe } from '../nodes/flavor.ts';
import { ensureBinary, type EnsureBinaryOptions } from '../nodes/install.ts';
import { freePort } from '../runtimes/ports.ts';
import { duration, durationMs, size } from '../scenario/fields.ts';

// ---------------------------------------------------------------------------------------------------
// The binary

export const TOXIPROXY_VERSION = 'v2.5.0';
/** Name of toxiproxy in chainsoak's binary cache: <cache>/nodes/toxiproxy/<version>/server. */
export const TOXIPROXY_CACHE_NAME = 'toxiproxy';

export const toxiproxyBuild: GoBuildRecipe = {
  module: 'github.com/Shopify/toxiproxy/v2',
  cmdPath: 'cmd/server',
  // `go install .../cmd/server` names the binary after the package directory.
  binary: 'server',
  // Release builds stamp the version (goreleaser: -X ...Version={{.Version}}); without it GET /version says "git".
  ldflags: (version) => `-X github.com/Shopify/toxiproxy/v2.Version=${version.replace(/^v/, '')}`,
};

/** The toxiproxy-server binary, built once into chainsoak's binary cache (about 40 s cold on 2 cores). */
export function ensureToxiproxy(opts: EnsureBinaryOptions = {}): Promise<string> {
  return ensureBinary(TOXIPROXY_CACHE_NAME, toxiproxyBuild, TOXIPROXY_VERSION, opts);
}

// ---------------------------------------------------------------------------------------------------
// Toxics, as the admin API takes them

export type ToxicStream = 'upstream' | 'downstream';

interface ToxicBase {
  /** Unique per proxy. */
  name: string;
  stream: ToxicStream;
  /** Probability (0..1) that a connection gets the toxic, drawn per connection; default 1. */
  toxicity?: number;
}

/** A toxic; attribute names and units are toxiproxy's own. */
export type Toxic = ToxicBase &
  (
    | { type: 'latency'; attributes: { /** ms */ latency: number; /** ms, +/- */ jitter?: number } }
    | { type: 'bandwidth'; attributes: { /** KB/s (1 KB = 1000 bytes), at least 1 */ rate: number } }
    /**
     * Drops the data; closes the connection after `timeout` ms, or never with 0. Removing the toxic closes
     * the connections it held (its cleanup closes the link); new connections work normally.
     */
    | { type: 'timeout'; attributes: { timeout: number } }
    /** On the first data, after `timeout` ms, resets (RST) the connection. Only connections opened while the toxic is present get an RST; older ones get a FIN. */
    | { type: 'reset_peer'; attributes: { timeout: number } }
    /** Cuts data into pieces of average_size +/- size_variation bytes, `delay` MICROSECONDS apart. */
    | { type: 'slicer'; attributes: { average_size: number; size_variation?: number; delay?: number } }
    /** Delays the close of the socket by `delay` ms. */
    | { type: 'slow_close'; attributes: { delay: number } }
    /** Closes the connection once `bytes` bytes went through. */
    | { type: 'limit_data'; attributes: { bytes: number } }
  );

export type ToxicType = Toxic['type'];
const toxicTypes: readonly ToxicType[] = ['latency', 'bandwidth', 'timeout', 'reset_peer', 'slicer', 'slow_close', 'limit_data'];

/** Attributes each type needs (required) or may have (optional), each a non-negative integer. */
const toxicAttributes: Record<ToxicType, { required: string[]; optional: string[]; min?: Record<string, number> }> = {
  latency: { required: ['latency'], optional: ['jitter'] },
  bandwidth: { required: ['rate'], optional: [], min: { rate: 1 } }, // rate 0 stalls the link for good in v2.5.0
  timeout: { required: ['timeout'], optional: [] },
  reset_peer: { required: ['timeout'], optional: [] },
  slicer: { required: ['average_size'], optional: ['size_variation', 'delay'], min: { average_size: 1 } }, // 0 recurses forever
  slow_close: { required: ['delay'], optional: [] },
  limit_data: { required: ['bytes'], optional: [] },
};

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * Why toxiproxy would reject or misbehave on this toxic, or undefined if it is fine. toxiproxy itself
 * ignores unknown attributes and takes negative numbers; this is stricter.
 */
export function toxicProblem(toxic: Toxic): string | undefined {
  const t = toxic as { name?: unknown; type?: unknown; stream?: unknown; toxicity?: unknown; attributes?: unknown };
  if (typeof t.name !== 'string' || !NAME_RE.test(t.name)) return `bad toxic name ${JSON.stringify(t.name)} (letters, digits, _ . -)`;
  if (typeof t.type !== 'string' || !toxicTypes.includes(t.type as ToxicType)) {
    return `unknown toxic type ${JSON.stringify(t.type)} (one of ${toxicTypes.join(', ')})`;
  }
  if (t.stream !== 'upstream' && t.stream !== 'downstream') return `bad stream ${JSON.stringify(t.stream)} (upstream or downstream)`;
  if (t.toxicity !== undefined && !(typeof t.toxicity === 'number' && t.toxicity >= 0 && t.toxicity <= 1)) {
    return `bad toxicity ${JSON.stringify(t.toxicity)} (a number from 0 to 1)`;
  }
  if (typeof t.attributes !== 'object' || t.attributes === null) return `${t.type} needs attributes`;
  const spec = toxicAttributes[t.type as ToxicType];
  const attrs = t.attributes as Record<string, unknown>;
  for (const key of Object.keys(attrs)) {
    if (!spec.required.includes(key) && !spec.optional.includes(key)) return `${t.type} has no attribute '${key}' (it takes ${[...spec.required, ...spec.optional].join(', ')})`;
  }
  for (const key of [...spec.required, ...spec.optional]) {
    const v = attrs[key];
    if (v === undefined) {
      if (spec.required.includes(key)) return `${t.type} needs attribute '${key}'`;
      continue;
    }
    const min = spec.min?.[key] ?? 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) return `${t.type}.${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`;
  }
  if (t.type === 'slicer' && (attrs.size_variation as number | undefined) !== undefined && (attrs.size_variation as number) > (attrs.average_size as number)) {
    return `slicer.size_variation (${String(attrs.size_variation)}) must not exceed average_size (${String(attrs.average_size)})`; // toxiproxy would slice out of range
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// The server

export interface ToxiproxyProxy {
  name: string;
  /** host:port the proxy really listens on (the port chosen when created with port 0). */
  listen: string;
  /** host:port it forwards to. */
  upstream: string;
}

export interface ToxiproxyProxyState extends ToxiproxyProxy {
  enabled: boolean;
  toxics: Toxic[];
}

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
const REQUEST_TIMEOUT_MS = 10_000; // toxiproxy's own handler timeout is 25 s; its calls take milliseconds
const STOP_GRACE_MS = 5_000;

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function isLoopbackListen(listen: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[3]) > 65535) return false;
  const host = m[1] ?? m[2]!;
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function proxyName(proxy: string | { name: string }): string {
  const name = typeof proxy === 'string' ? proxy : proxy.name;
  if (!NAME_RE.test(name)) throw new InfraError(`toxiproxy: bad proxy name ${JSON.stringify(name)} (letters, digits, _ . -)`);
  return name;
}

/**
 * Toxiproxy's admin API at `adminUrl`, wherever the server runs (a process of startToxiproxy, or a node
 * of a runtime: see faults/links.ts). `listen` addresses are what the server binds: loopback, or
 * `0.0.0.0` where the server has a network namespace of its own (a container; `allowUnspecified`).
 */
export class ToxiproxyAdmin {
  constructor(
    readonly adminUrl: string,
    private readonly allowUnspecified = false,
  ) {}

  protected isRunning(): boolean {
    return true;
  }

  /** One admin call; any failure is a one-line InfraError naming the call and toxiproxy's answer. */
  private async call(method: 'GET' | 'POST' | 'DELETE', urlPath: string, what: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.adminUrl}${urlPath}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new InfraError(oneLine(`toxiproxy: ${what}: ${method} ${urlPath} failed: ${cause}${this.isRunning() ? '' : ' (toxiproxy is not running)'}`));
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        /* not JSON */
      }
      throw new InfraError(oneLine(`toxiproxy: ${what}: ${method} ${urlPath}: HTTP ${res.status} ${message}`));
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  async createProxy(spec: { name: string; listen?: string; upstream: string }): Promise<ToxiproxyProxy> {
    const name = proxyName(spec.name);
    const listen = spec.listen ?? '127.0.0.1:0';
    if (!isLoopbackListen(listen) && !(this.allowUnspecified && /^0\.0\.0\.0:\d{1,5}$/.test(listen))) throw new InfraError(`toxiproxy: proxy ${name}: listen address '${listen}' is not a loopback host:port (e.g. 127.0.0.1:0)`);
    if (!/^[^\s:]+:\d{1,5}$|^\[[^\]]+\]:\d{1,5}$/.test(spec.upstream)) throw new InfraError(`toxiproxy: proxy ${name}: upstream '${spec.upstream}' is not host:port`);
    const p = (await this.call('POST', '/proxies', `create proxy ${name}`, { name, listen, upstream: spec.upstream, enabled: true })) as ToxiproxyProxyState;
    return { name: p.name, listen: p.listen, upstream: p.upstream };
  }

  async getProxy(proxy: string | { name: string }): Promise<ToxiproxyProxyState> {
    const name = proxyName(proxy);
    const p = (await this.call('GET', `/proxies/${name}`, `show proxy ${name}`)) as ToxiproxyProxyState;
    return { name: p.name, listen: p.listen, upstream: p.upstream, enabled: p.enabled, toxics: p.toxics ?? [] };
  }

  async addToxic(proxy: string | { name: string }, toxic: Toxic): Promise<void> {
    const name = proxyName(proxy);
    const problem = toxicProblem(toxic);
    if (problem) throw new InfraError(oneLine(`toxiproxy: add toxic to proxy ${name}: ${problem}`));
    const body = { name: toxic.name, type: toxic.type, stream: toxic.stream, toxicity: toxic.toxicity ?? 1, attributes: toxic.attributes };
    await this.call('POST', `/proxies/${name}/toxics`, `add ${toxic.type} toxic ${toxic.name} to proxy ${name}`, body);
  }

  async removeToxic(proxy: string | { name: string }, toxicName: string): Promise<void> {
    const name = proxyName(proxy);
    if (!NAME_RE.test(toxicName)) throw new InfraError(`toxiproxy: bad toxic name ${JSON.stringify(toxicName)}`);
    await this.call('DELETE', `/proxies/${name}/toxics/${toxicName}`, `remove toxic ${toxicName} from proxy ${name}`);
  }

  async setEnabled(proxy: string | { name: string }, enabled: boolean): Promise<void> {
    const name = proxyName(proxy);
    await this.call('POST', `/proxies/${name}`, `${enabled ? 'enable' : 'disable'} proxy ${name}`, { enabled });
  }

  async resetAll(): Promise<void> {
    await this.call('POST', '/reset', 'reset');
  }

  async deleteProxy(proxy: string): Promise<void> {
    const name = proxyName(proxy);
    await this.call('DELETE', `/proxies/${name}`, `delete proxy ${name}`);
  }

}

class ToxiproxyServer extends ToxiproxyAdmin implements Toxiproxy {
  readonly pid: number;
  version = '';
  private stopping: Promise<void> | undefined;
  private readonly exited: Promise<void>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly killOnExit = () => signalGroup(this.pid, 'SIGKILL');
  private readonly onAbort = () => void this.stop();

  constructor(
    child: ChildProcess,
    port: number,
    readonly logFile: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    super(`http://127.0.0.1:${port}`);
    this.pid = child.pid!;
    process.on('exit', this.killOnExit);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, sig) => {
        this.exitInfo = { code, signal: sig };
        process.removeListener('exit', this.killOnExit);
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
        throw new InfraError(`toxiproxy exited during startup (${how}); log: ${this.logFile}`, { detail: logTail(this.logFile) });
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
      detail: logTail(this.logFile),
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
      process.removeListener('exit', this.killOnExit);
    })();
    return this.stopping;
  }
}

/** Start toxiproxy-server on a free 127.0.0.1 port and wait until its admin API answers. */
export async function startToxiproxy(opts: StartToxiproxyOptions): Promise<Toxiproxy> {
  const { logFile, signal } = opts;
  if (signal?.aborted) throw signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
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

// ---------------------------------------------------------------------------------------------------
// Scenario entries

/** Sizes in whole bytes. */
const bytes = size.transform((v) => Math.round(v));

/** A duration toxiproxy takes in whole milliseconds; at most a day. */
const ms = durationMs(86_400_000);

export const networkFaultActions = ['latency', 'bandwidth', 'timeout', 'reset_peer', 'slicer', 'slow_close', 'down'] as const;
export type NetworkFaultAction = (typeof networkFaultActions)[number];

const common = {
  /** When, from the start of the phase: '20s', or `{ between: ['10s', '40s'] }`, drawn from the seed (as node faults). */
  at: z.union([duration, z.strictObject({ between: z.tuple([duration, duration]) })]),
  /** How long the fault lasts; without it, until the end of the phase. */
  for: duration.refine((v) => v > 0, { message: 'expected a duration above 0' }).optional(),
  /**
   * The node whose links are affected: `of` 'peers' (default: its p2p links to and from every other node),
   * 'clients' (the harness's RPC and websocket connections to it), or 'all'.
   */
  link: z.strictObject({ node: z.string().min(1), of: z.enum(['peers', 'clients', 'all']).default('peers') }),
};

const toxicCommon = {
  ...common,
  /** upstream: data sent to the node; downstream: data the node sends back; both (default). */
  direction: z.enum(['upstream', 'downstream', 'both']).default('both'),
  /** Share of connections affected, 0..1 (toxiproxy draws per connection); default 1. */
  toxicity: z.number().min(0).max(1).default(1),
};

export const networkFaultSchema = z.discriminatedUnion('action', [
  /** Each affected direction is delayed by latency +/- jitter: with 'both', a round trip gains twice the latency. */
  z.strictObject({ ...toxicCommon, action: z.literal('latency'), latency: ms, jitter: ms.default(0) }),
  /** At most rateKBps kilobytes (1000 bytes) per second in each affected direction. */
  z.strictObject({ ...toxicCommon, action: z.literal('bandwidth'), rateKBps: z.number().int().min(1) }),
  /** Data is dropped; the connection is closed after `timeout` (default 0: held open until the fault ends, and closed then). */
  z.strictObject({ ...toxicCommon, action: z.literal('timeout'), timeout: ms.default(0) }),
  /** Connections are reset (TCP RST) on their first data, after `timeout` (default 0: at once). */
  z.strictObject({ ...toxicCommon, action: z.literal('reset_peer'), timeout: ms.default(0) }),
  /** Data is cut into pieces of averageSize +/- sizeVariation bytes, `delay` apart ('0.5ms' works: toxiproxy counts microseconds). */
  z
    .strictObject({
      ...toxicCommon,
      action: z.literal('slicer'),
      averageSize: bytes.refine((v) => v >= 1, { message: 'expected at least 1 byte' }),
      sizeVariation: bytes.default(0),
      delay: duration.refine((v) => v <= 60_000, { message: 'expected at most 60s' }).default(0),
    })
    .refine((f) => f.sizeVariation <= f.averageSize, { message: 'sizeVariation must not exceed averageSize', path: ['sizeVariation'] }),
  /** Closing a connection is delayed by `delay`. */
  z.strictObject({ ...toxicCommon, action: z.literal('slow_close'), delay: ms }),
  /** The proxy is disabled: new connections are refused and open ones closed (no toxic; see toxicFor). */
  z.strictObject({ ...common, action: z.literal('down') }),
]);

export type NetworkFaultDecl = z.output<typeof networkFaultSchema>;
export type NetworkFaultInput = z.input<typeof networkFaultSchema>;

/**
 * The toxics a network fault adds to the proxies of its node: one per affected direction, named
 * `<prefix>-<stream>` (prefix default `<action>`; give a distinct prefix, e.g. with the fault's index,
 * when the same action may overlap on one proxy). A 'down' fault adds no toxic: the caller disables the
 * proxy (setEnabled(proxy, false)) and enables it again when the fault ends.
 */
export function toxicFor(fault: NetworkFaultDecl, prefix: string = fault.action): Toxic[] {
  if (fault.action === 'down') return [];
  const streams: ToxicStream[] = fault.direction === 'both' ? ['upstream', 'downstream'] : [fault.direction];
  const base = (stream: ToxicStream) => ({ name: `${prefix}-${stream}`, stream, toxicity: fault.toxicity });
  return streams.map((stream): Toxic => {
    switch (fault.action) {
      case 'latency':
        return { ...base(stream), type: 'latency', attributes: { latency: fault.latency, jitter: fault.jitter } };
      case 'bandwidth':
        return { ...base(stream), type: 'bandwidth', attributes: { rate: fault.rateKBps } };
      case 'timeout':
        return { ...base(stream), type: 'timeout', attributes: { timeout: fault.timeout } };
      case 'reset_peer':
        return { ...base(stream), type: 'reset_peer', attributes: { timeout: fault.timeout } };
      case 'slicer':
        return {
          ...base(stream),
          type: 'slicer',
          attributes: { average_size: fault.averageSize, size_variation: fault.sizeVariation, delay: Math.round(fault.delay * 1000) },
        };
      case 'slow_close':
        return { ...base(stream), type: 'slow_close', attributes: { delay: fault.delay } };
    }
  });
}
