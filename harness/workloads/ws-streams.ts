/**
 * ws-streams: websocket subscription streams opened and ended over and over, each end by one of several
 * ways a real client goes away, on geth and on the Tendermint family through one mechanism.
 *
 * One small protocol adapter per flavor says how to subscribe, unsubscribe and recognise a confirmation:
 *  - 'eth' (geth): `eth_subscribe` / `eth_unsubscribe` at endpoints.ws (`ws://127.0.0.1:port`);
 *  - 'comet' (CometBFT, Tendermint): `subscribe` / `unsubscribe` / `unsubscribe_all` with a query at
 *    endpoints.ws (`ws://127.0.0.1:port/websocket`).
 * The protocol is the `protocol` option, else detected from the node's endpoints (an `rpc` endpoint or a
 * ws URL ending in /websocket: comet; an `http` endpoint: eth). Everything else is shared.
 *
 * run(): `clients` slots run in parallel, each doing `cycles` cycles one after the other; a cycle opens a
 * connection (round robin over the nodes), subscribes, waits `holdMs`, then ends the stream by the cycle's
 * end mode, drawn from `end` (weighted) by a hash of (seed, slot, cycle): the same seed gives the same
 * modes whatever the timing. End modes:
 *  - 'unsubscribe' / 'unsubscribe_all' (comet only): the RPC, its answer, then a clean close;
 *  - 'close': a close frame, waiting (bounded) for the server's close and the TCP end;
 *  - 'abrupt': socket.destroy() without a close frame (FIN);
 *  - 'reset': socket.resetAndDestroy() (TCP RST);
 *  - 'zombie': the client stays connected and stops reading (socket paused); held until release();
 *  - 'no-pong': the client stays connected and keeps reading but never answers pings; held until release().
 * New connections are paced at `rate` per second over all slots when set. Held clients stay open after
 * run() returns, through the 'after' snapshot, until release() destroys them abruptly.
 *
 * longLived: N well-behaved subscribers, as indexers, relayers and explorers keep for days. The first
 * run() opens them (round robin over the nodes, paced by `rate` when set) and every later run() — a
 * phase with `cycles: K` calls run() K times on the same instance — keeps them: they are never re-opened,
 * so they stay subscribed across the cycles and through the 'after' snapshot, until release() ends them
 * the `longLivedEnd` way (default 'unsubscribe': the RPC, then a clean close). They read every event
 * (counted, payload dropped unparsed) and answer every ping. A stream the node closes is counted
 * (droppedByNode) and not re-opened. With longLived, run() lasts durationMs (holding is its work).
 * `clients` may then be left out: `clients`, `cycles`, `holdMs` and `end` are the cycling streams only.
 * CometBFT counts each connection against rpc.max_subscription_clients (100 by default).
 *
 * abandon: besides the streams, `abandonCount` slow requests are sent one after the other (over 'http' or
 * 'ws') and their connection destroyed `abandonAfterMs` later, before the answer: geth gets a
 * debug_traceCall of a loop that runs to geth's gas cap (a state override gives the called address that
 * code) under a JavaScript tracer, seconds of work (needs the debug API, which chainsoak's geth enables);
 * the Tendermint family a broadcast_tx_commit of a unique kvstore tx (the node waits for its block).
 *
 * Bounded: at most `clients` connections in their cycle at once (plus held ones, at most clients × cycles),
 * every connect, RPC and close has a timeout, no new cycle starts after durationMs or on abort; on abort a
 * stream in its cycle is destroyed and counted as `interrupted`.
 *
 * Stats: sent = subscriptions attempted, accepted = confirmed, failed = connect or subscribe failures,
 * latency = subscribe round trip (request sent → confirmation); long-lived ones included. `extra`:
 * opened, `ended.<mode>` per mode (held modes count when released), held, droppedByNode (held streams
 * the node closed first), interrupted, endErrors, events (notifications read), abandoned,
 * abandonAnswered, abandonFailed; with longLived: `longLived.subscribed`, `longLived.held` (held now),
 * `longLived.events` and `longLived.pings` (read and answered by them), `longLived.droppedByNode`,
 * `longLived.released` (ended by release(), so held through the 'after' snapshot), `longLived.end` (how),
 * `longLived.endErrors` (an unsubscribe or clean close on release that failed or timed out).
 * accepted = Σ ended.* + held + droppedByNode + interrupted + longLived.subscribed;
 * longLived.subscribed = longLived.held + longLived.droppedByNode + longLived.released.
 *
 * What a node does with held clients (seen on the pinned versions): CometBFT drops a client that sends
 * nothing (no pong) after its 30 s read deadline; geth pings only a connection idle for 30 s (a newHeads
 * stream is never idle) and drops a silent one 60-180 s later. A zombie reads nothing, so it cannot see
 * the node close its end: `held` counts what the client holds; droppedByNode only sees no-pong clients.
 */
import http from 'node:http';
import type net from 'node:net';
import WebSocket from 'ws';
import { z } from 'zod';
import type { NodeEndpoints } from '../nodes/flavor.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { parseDuration } from '../scenario/units.ts';
import { ErrorSample, LatencyHistogram, localAbort, sleep } from './stats.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';

// ---------------------------------------------------------------------------------------------------
// Options

export const END_MODES = ['unsubscribe', 'unsubscribe_all', 'close', 'abrupt', 'reset', 'zombie', 'no-pong'] as const;
export type EndMode = (typeof END_MODES)[number];
/** Modes that end a stream at once (not held): how cycles end and how release() ends long-lived streams. */
export const CLOSING_MODES = ['unsubscribe', 'unsubscribe_all', 'close', 'abrupt', 'reset'] as const;
export type ClosingMode = (typeof CLOSING_MODES)[number];
/** Modes whose client stays connected until release(). */
export const HELD_MODES: readonly EndMode[] = ['zombie', 'no-pong'];

export type StreamProtocolName = 'eth' | 'comet';
export const ETH_SUBSCRIPTIONS = ['newHeads', 'logs', 'newPendingTransactions'] as const;

const positiveInt = z.number().int().positive();
const boundedDuration = (max: number) =>
  z
    .union([z.number(), z.string()])
    .refine((v) => parseDuration(v) !== undefined, { message: "expected a duration such as '500ms', '2s' or milliseconds" })
    .transform((v) => parseDuration(v)!)
    .refine((v) => v <= max, { message: `at most ${max} ms` });

export const wsStreamsSchema = z
  .strictObject({
    kind: z.literal('ws-streams'),
    /** Wire protocol; default: detected from the nodes' endpoints. */
    protocol: z.enum(['eth', 'comet']).optional(),
    /** Concurrent client slots (connections in their cycle at once); may be left out with longLived. */
    clients: positiveInt.max(1_000).optional(),
    /** Subscribers opened by the first run() and held, reading and answering pings, until release(). */
    longLived: positiveInt.max(1_000).optional(),
    /** How release() ends the long-lived streams. */
    longLivedEnd: z.enum(CLOSING_MODES).default('unsubscribe'),
    /** eth: newHeads | logs | newPendingTransactions (default newHeads); comet: a query (default tm.event='NewBlock'). */
    subscription: z.string().min(1).max(1_000).optional(),
    /** End modes with weights; each cycle of each slot draws one from the seed. Default: all 'close'. */
    end: z
      .array(z.strictObject({ mode: z.enum(END_MODES), weight: z.number().positive().max(1_000_000).default(1) }))
      .min(1)
      .max(16)
      .default([{ mode: 'close', weight: 1 }]),
    /** Open/subscribe/hold/end cycles per slot. */
    cycles: positiveInt.max(100_000).default(1),
    /** How long a stream stays subscribed before it is ended. */
    holdMs: boundedDuration(3_600_000).default(500),
    /** New connections per second over all slots; unpaced when absent. */
    rate: z.number().positive().max(10_000).optional(),
    /** Slow requests abandoned mid-flight, over 'http' or 'ws'; none when absent. */
    abandon: z.enum(['http', 'ws']).optional(),
    abandonCount: positiveInt.max(10_000).default(10),
    /** How long after sending an abandoned request its connection is destroyed. */
    abandonAfterMs: boundedDuration(60_000).default(50),
    /** Bound on one connect, one RPC answer or one clean close. */
    timeoutMs: boundedDuration(120_000).default(10_000),
  })
  .superRefine((o, ctx) => {
    if (o.clients === undefined && o.longLived === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clients'], message: 'set clients (streams opened and ended in cycles), longLived (subscribers held until release) or both' });
    }
    if (o.protocol === 'eth') {
      if (o.longLivedEnd === 'unsubscribe_all') ctx.addIssue({ code: 'custom', path: ['longLivedEnd'], message: "'unsubscribe_all' is a comet end mode" });
      if (o.subscription !== undefined && !(ETH_SUBSCRIPTIONS as readonly string[]).includes(o.subscription)) {
        ctx.addIssue({ code: 'custom', path: ['subscription'], message: `eth subscriptions are ${ETH_SUBSCRIPTIONS.join(', ')}` });
      }
      o.end.forEach((e, i) => {
        if (e.mode === 'unsubscribe_all') ctx.addIssue({ code: 'custom', path: ['end', i, 'mode'], message: "'unsubscribe_all' is a comet end mode" });
      });
    }
  });

export type WsStreamsOptions = z.output<typeof wsStreamsSchema>;
export type EndWeight = { mode: EndMode; weight: number };

// ---------------------------------------------------------------------------------------------------
// Deterministic per-client end modes

/** 32-bit avalanche hash (murmur3 finaliser). */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1), a pure function of (seed, slot, cycle): independent of timing and of draw order. */
function unitDraw(seed: number, slot: number, cycle: number): number {
  let h = mix32((Math.floor(seed) ^ 0x5eed5eed) >>> 0);
  h = mix32((h ^ Math.imul(slot + 1, 0x9e3779b1)) >>> 0);
  h = mix32((h ^ Math.imul(cycle + 1, 0x7f4a7c15)) >>> 0);
  return h / 0x1_0000_0000;
}

/** The end mode of one cycle of one client slot. */
export function drawEndMode(seed: number, slot: number, cycle: number, end: readonly EndWeight[]): EndMode {
  const total = end.reduce((s, e) => s + e.weight, 0);
  let x = unitDraw(seed, slot, cycle) * total;
  for (const e of end) {
    if (x < e.weight) return e.mode;
    x -= e.weight;
  }
  return end[end.length - 1]!.mode;
}

/** End modes of every cycle of every slot: modes[slot][cycle]. */
export function drawEndModes(seed: number, clients: number, cycles: number, end: readonly EndWeight[]): EndMode[][] {
  return Array.from({ length: clients }, (_, s) => Array.from({ length: cycles }, (_, c) => drawEndMode(seed, s, c, end)));
}

// ---------------------------------------------------------------------------------------------------
// Protocol adapters

interface Call {
  method: string;
  params: unknown;
}

export interface StreamProtocol {
  readonly name: StreamProtocolName;
  readonly defaultSubscription: string;
  /** Throws for a subscription or end mode the protocol does not have. */
  validate(subscription: string, modes: readonly EndMode[]): void;
  subscribe(subscription: string): Call;
  /** The handle unsubscribe needs, from the subscribe result; throws when the result is not a confirmation. */
  confirmed(result: unknown, subscription: string): string;
  unsubscribe(handle: string): Call;
  unsubscribeAll(): Call;
  /** A request the node takes long to answer, unique per (seed, index). */
  slowCall(seed: number, index: number): Call;
}

/** An address with no code on a dev chain; eth_call's state override gives it an endless loop. */
const SPIN_ADDRESS = '0x00000000000000000000000000000000005b5b5b';
/** JUMPDEST PUSH1 0 JUMP: loops until the gas runs out. */
const SPIN_CODE = '0x5b600056';
/** A JavaScript tracer that does nothing per step: the per-step call into the JS VM is what makes it slow. */
const SPIN_TRACER = '{step: function() {}, fault: function() {}, result: function() { return 1; }}';

export const ethProtocol: StreamProtocol = {
  name: 'eth',
  defaultSubscription: 'newHeads',
  validate(subscription, modes) {
    if (!(ETH_SUBSCRIPTIONS as readonly string[]).includes(subscription)) {
      throw new Error(`ws-streams: eth subscription '${subscription}' is not one of ${ETH_SUBSCRIPTIONS.join(', ')}`);
    }
    if (modes.includes('unsubscribe_all')) throw new Error("ws-streams: end mode 'unsubscribe_all' is comet only (geth has no eth_unsubscribe_all)");
  },
  subscribe: (sub) => ({ method: 'eth_subscribe', params: sub === 'logs' ? ['logs', {}] : [sub] }),
  confirmed(result) {
    if (typeof result !== 'string' || !result) throw new Error(`eth_subscribe: no subscription id (${JSON.stringify(result)})`);
    return result;
  },
  unsubscribe: (id) => ({ method: 'eth_unsubscribe', params: [id] }),
  unsubscribeAll() {
    throw new Error('eth has no unsubscribe_all');
  },
  // A 50M-gas (geth's default RPC gas cap) endless loop traced step by step by a JavaScript tracer: about
  // 2.5 s of one core on the pinned geth, no chain state needed, and cancellable through the request context.
  slowCall: () => ({
    method: 'debug_traceCall',
    params: [
      { to: SPIN_ADDRESS, gas: '0x2faf080' },
      'latest',
      { tracer: SPIN_TRACER, timeout: '10s', stateOverrides: { [SPIN_ADDRESS]: { code: SPIN_CODE } } },
    ],
  }),
};

export const cometProtocol: StreamProtocol = {
  name: 'comet',
  defaultSubscription: "tm.event='NewBlock'",
  validate(subscription) {
    if (!subscription.trim()) throw new Error('ws-streams: empty comet query');
  },
  subscribe: (query) => ({ method: 'subscribe', params: { query } }),
  confirmed(result, query) {
    if (result === null || typeof result !== 'object') throw new Error(`subscribe: unexpected result ${JSON.stringify(result)}`);
    return query; // unsubscribe names the query
  },
  unsubscribe: (query) => ({ method: 'unsubscribe', params: { query } }),
  unsubscribeAll: () => ({ method: 'unsubscribe_all', params: {} }),
  slowCall(seed, index) {
    // kvstore accepts `key=value` with one '=' neither first nor last; the bytes are unique per run and index.
    const tx = `wss${seed}.${process.pid}.${Date.now().toString(36)}.${index}=abandoned`;
    return { method: 'broadcast_tx_commit', params: { tx: Buffer.from(tx).toString('base64') } };
  },
};

export function protocolByName(name: StreamProtocolName): StreamProtocol {
  return name === 'eth' ? ethProtocol : cometProtocol;
}

/** comet when the node has a Tendermint-style rpc endpoint or /websocket URL, eth when it has an http one. */
export function detectProtocol(endpoints: NodeEndpoints): StreamProtocolName | undefined {
  if (endpoints.rpc || endpoints.ws?.endsWith('/websocket')) return 'comet';
  if (endpoints.http || endpoints.ws) return 'eth';
  return undefined;
}

/** Where plain JSON-RPC over HTTP goes for a protocol (abandoned requests). */
function httpUrl(protocol: StreamProtocolName, endpoints: NodeEndpoints): string | undefined {
  return protocol === 'comet' ? endpoints.rpc : endpoints.http;
}

// ---------------------------------------------------------------------------------------------------
// One websocket JSON-RPC client

interface RpcAnswer {
  id?: unknown;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
}

function errorText(method: string, e: NonNullable<RpcAnswer['error']>): string {
  const data = e.data === undefined ? '' : typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  return `${method}: ${e.message ?? 'error'}${data ? ` (${data})` : ''}`;
}

/** A call that got no answer in time (the connection is still up). */
export class RpcTimeout extends Error {
  override name = 'RpcTimeout';
}

/** The node answered the call with a JSON-RPC error. */
export class RpcAnswerError extends Error {
  override name = 'RpcAnswerError';
}

/**
 * A websocket with JSON-RPC calls matched by numeric id; everything else (notifications, comet's
 * `<id>#event` answers) counts as an event. The raw TCP socket is kept for destroy/reset.
 */
export class StreamClient {
  private socket: net.Socket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { method: string; resolve(v: unknown): void; reject(e: Error): void }>();
  private closedError: Error | undefined;
  events = 0;
  /** Pings from the node (answered unless opened with `autoPong: false`). */
  pings = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('upgrade', (res) => {
      this.socket = res.socket as net.Socket;
    });
    ws.on('message', (data) => this.onMessage(data));
    ws.on('ping', () => this.pings++);
    ws.on('error', () => {}); // surfaced through close and the pending calls
    ws.on('close', (code) => {
      this.closedError = new Error(`connection closed (code ${code})`);
      for (const p of [...this.pending.values()]) {
        p.reject(new Error(`${p.method}: connection closed before the answer (code ${code})`));
      }
    });
  }

  /** Connect, bounded by timeoutMs and the signal. `autoPong: false` leaves pings unanswered. */
  static open(url: string, opts: { timeoutMs: number; autoPong?: boolean; signal: AbortSignal }): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        handshakeTimeout: opts.timeoutMs,
        perMessageDeflate: false,
        maxPayload: 64 * 1024 * 1024,
        autoPong: opts.autoPong ?? true,
      });
      const client = new StreamClient(ws);
      const done = (err?: Error) => {
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
        ws.removeListener('open', onOpen);
        ws.removeListener('close', onClose);
        ws.removeListener('error', onError);
        if (err) {
          ws.terminate();
          reject(err);
        } else resolve(client);
      };
      const onOpen = () => done();
      const onClose = (code: number) => done(new Error(`closed while connecting (code ${code})`));
      const onError = (err: Error) => done(err);
      const onAbort = () => done(new Error('aborted'));
      const timer = setTimeout(() => done(new Error(`connect timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
      ws.once('open', onOpen);
      ws.once('close', onClose);
      ws.once('error', onError);
      if (opts.signal.aborted) onAbort();
      else opts.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  private onMessage(data: WebSocket.RawData): void {
    // No call waiting: an event. Counted unparsed, so a held subscriber under an event flood costs no
    // JSON parsing and keeps no payload.
    if (this.pending.size === 0) {
      this.events++;
      return;
    }
    let msg: RpcAnswer;
    try {
      msg = JSON.parse(data.toString()) as RpcAnswer;
    } catch {
      return;
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) {
      this.events++;
      return;
    }
    if (msg.error) p.reject(new RpcAnswerError(errorText(p.method, msg.error)));
    else p.resolve(msg.result);
  }

  /** Send a request without waiting for the answer (abandoned requests). */
  send(call: Call): void {
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method: call.method, params: call.params }));
  }

  /** One request and its answer, bounded by timeoutMs (RpcTimeout) and the signal. */
  call(c: Call, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    if (this.closedError || !this.isOpen) return Promise.reject(new Error(`${c.method}: ${this.closedError?.message ?? 'not open'}`));
    if (signal?.aborted) return Promise.reject(new Error(`${c.method}: aborted`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const finish = (err: Error | undefined, value?: unknown) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value);
      };
      const onAbort = () => finish(new Error(`${c.method}: aborted`));
      const timer = setTimeout(() => finish(new RpcTimeout(`${c.method}: no answer within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, { method: c.method, resolve: (v) => finish(undefined, v), reject: (e) => finish(e) });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: c.method, params: c.params }), (err) => {
        if (err) finish(err);
      });
    });
  }

  /** Close frame, then wait (bounded) for the server's close frame and the TCP end; destroys on timeout. */
  closeClean(timeoutMs: number): Promise<boolean> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve(false);
      }, timeoutMs);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.ws.close(1000, 'done');
    });
  }

  /** socket.destroy(): FIN, no close frame. */
  destroy(): void {
    this.ws.terminate();
  }

  /** TCP RST (socket.resetAndDestroy), no close frame. */
  reset(): void {
    if (this.socket && !this.socket.destroyed) this.socket.resetAndDestroy();
    this.ws.terminate();
  }

  /** Stop reading: the kernel buffers fill and the server's writes back up. */
  stopReading(): void {
    this.ws.pause();
  }

  onClosed(listener: () => void): void {
    this.ws.once('close', listener);
  }
}

/**
 * Open a stream and subscribe on it: the client, the unsubscribe handle and the subscribe round trip (ms).
 * The client is destroyed when the subscription fails.
 */
export async function openSubscribed(
  url: string,
  protocol: StreamProtocol,
  subscription: string,
  opts: { timeoutMs: number; autoPong?: boolean; signal: AbortSignal },
): Promise<{ client: StreamClient; handle: string; latencyMs: number }> {
  const client = await StreamClient.open(url, opts);
  try {
    const t = performance.now();
    const result = await client.call(protocol.subscribe(subscription), opts.timeoutMs, opts.signal);
    const handle = protocol.confirmed(result, subscription);
    return { client, handle, latencyMs: performance.now() - t };
  } catch (e) {
    client.destroy();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------
// The workload

/** Paces starts at `rate` per second over all callers: the k-th take is due at t0 + k / rate. */
class StartGate {
  private k = 0;
  constructor(
    private readonly rate: number | undefined,
    private readonly t0: number,
  ) {}
  async take(signal: AbortSignal): Promise<void> {
    if (!this.rate) return;
    const dueAt = this.t0 + (this.k++ * 1000) / this.rate;
    await sleep(dueAt - performance.now(), signal);
  }
}

/** End a subscribed stream now, the given way; the errors met (a failed unsubscribe, a clean close that timed out). */
async function endStream(client: StreamClient, handle: string, mode: ClosingMode, p: StreamProtocol, timeoutMs: number): Promise<string[]> {
  const errs: string[] = [];
  const closeClean = async () => {
    if (!(await client.closeClean(timeoutMs))) errs.push('clean close timed out');
  };
  switch (mode) {
    case 'unsubscribe':
    case 'unsubscribe_all':
      try {
        await client.call(mode === 'unsubscribe' ? p.unsubscribe(handle) : p.unsubscribeAll(), timeoutMs);
      } catch (e) {
        errs.push(e instanceof Error ? e.message : String(e));
      }
      await closeClean();
      break;
    case 'close':
      await closeClean();
      break;
    case 'abrupt':
      client.destroy();
      break;
    case 'reset':
      client.reset();
      break;
  }
  return errs;
}

export function wsStreams(opts: WsStreamsOptions): Workload {
  const kind = 'ws-streams';
  const clients = opts.clients ?? 0;
  const cycles = opts.cycles;
  const endModes = [...new Set([...(clients ? opts.end.map((e) => e.mode) : []), ...(opts.longLived ? [opts.longLivedEnd] : [])])];

  let protocol: StreamProtocol | undefined;
  let subscription = '';
  let urls: string[] = [];
  let httpUrls: string[] = [];

  let sent = 0;
  let accepted = 0;
  let failed = 0;
  let opened = 0;
  let interrupted = 0;
  let droppedByNode = 0;
  let endErrors = 0;
  let events = 0;
  let abandoned = 0;
  let abandonAnswered = 0;
  let abandonFailed = 0;
  let runMs = 0;
  const ended: Record<EndMode, number> = Object.fromEntries(END_MODES.map((m) => [m, 0])) as Record<EndMode, number>;
  const held = new Map<StreamClient, EndMode>();
  const hist = new LatencyHistogram();
  const errors = new ErrorSample(10);
  const error = (e: unknown) => errors.add(e instanceof Error ? e.message : String(e));

  // Long-lived subscribers: client → unsubscribe handle while held; counters of the ones no longer held.
  const longLived = new Map<StreamClient, string>();
  let longLivedStarted = false;
  const ll = { subscribed: 0, droppedByNode: 0, released: 0, endErrors: 0, events: 0, pings: 0 };
  const llGone = (client: StreamClient) => {
    ll.events += client.events;
    ll.pings += client.pings;
  };

  function setup(ctx: WorkloadContext): void {
    const withWs = ctx.nodes.filter((n: RunningNode) => n.endpoints.ws);
    if (withWs.length === 0) throw new Error(`${kind}: no node with a ws endpoint`);
    const name = opts.protocol ?? detectProtocol(withWs[0]!.endpoints);
    if (!name) throw new Error(`${kind}: cannot tell the protocol of ${withWs[0]!.name}; set protocol`);
    const nodes = withWs.filter((n) => (opts.protocol ?? detectProtocol(n.endpoints)) === name);
    protocol = protocolByName(name);
    subscription = opts.subscription ?? protocol.defaultSubscription;
    protocol.validate(subscription, endModes);
    urls = nodes.map((n) => n.endpoints.ws!);
    httpUrls = nodes.map((n) => httpUrl(name, n.endpoints)).filter((u): u is string => !!u);
    if (opts.abandon === 'http' && httpUrls.length === 0) throw new Error(`${kind}: abandon 'http' needs a node with an HTTP JSON-RPC endpoint`);
  }

  /** Connect and subscribe, counting sent, opened, accepted, failed and the latency; undefined on failure. */
  async function subscribeOn(url: string, autoPong: boolean, signal: AbortSignal): Promise<{ client: StreamClient; handle: string } | undefined> {
    const p = protocol!;
    sent++;
    let client: StreamClient;
    try {
      client = await StreamClient.open(url, { timeoutMs: opts.timeoutMs, autoPong, signal });
    } catch (e) {
      failed++;
      error(e);
      return undefined;
    }
    opened++;
    try {
      const t = performance.now();
      const result = await client.call(p.subscribe(subscription), opts.timeoutMs, signal);
      const handle = p.confirmed(result, subscription);
      hist.record(performance.now() - t);
      accepted++;
      return { client, handle };
    } catch (e) {
      failed++;
      error(e);
      events += client.events;
      client.destroy();
      return undefined;
    }
  }

  /** One cycle of one slot: open, subscribe, hold, end. */
  async function cycle(url: string, mode: EndMode, deadline: number, signal: AbortSignal): Promise<void> {
    const stream = await subscribeOn(url, mode !== 'no-pong', signal);
    if (!stream) return;
    const { client, handle } = stream;

    await sleep(Math.min(opts.holdMs, deadline - performance.now()), signal);
    if (signal.aborted || !client.isOpen) {
      events += client.events;
      if (signal.aborted) interrupted++;
      else {
        droppedByNode++; // the node closed the stream while it was held by this cycle
        errors.add('node closed the stream during its hold');
      }
      client.destroy();
      return;
    }

    if (mode === 'zombie' || mode === 'no-pong') {
      if (mode === 'zombie') client.stopReading();
      held.set(client, mode);
      client.onClosed(() => {
        if (held.delete(client)) {
          droppedByNode++;
          events += client.events;
        }
      });
      return;
    }
    const errs = await endStream(client, handle, mode, protocol!, opts.timeoutMs);
    events += client.events;
    endErrors += errs.length;
    errs.forEach(error);
    ended[mode]++;
  }

  /** The long-lived subscribers, opened once (in parallel, paced by the gate); the node closing one is a drop. */
  async function openLongLived(n: number, gate: StartGate, signal: AbortSignal): Promise<void> {
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await gate.take(signal);
        if (signal.aborted) return;
        const stream = await subscribeOn(urls[i % urls.length]!, true, signal);
        if (!stream) return;
        ll.subscribed++;
        longLived.set(stream.client, stream.handle);
        stream.client.onClosed(() => {
          if (!longLived.delete(stream.client)) return; // release() took it first
          ll.droppedByNode++;
          llGone(stream.client);
          errors.add('node closed a long-lived stream');
        });
      }),
    );
  }

  /** Slow requests, one after the other, each connection destroyed abandonAfterMs after sending. */
  async function abandonLoop(seed: number, deadline: number, signal: AbortSignal): Promise<void> {
    const p = protocol!;
    for (let i = 0; i < opts.abandonCount && !signal.aborted && performance.now() < deadline; i++) {
      const call = p.slowCall(seed, i);
      try {
        const answered =
          opts.abandon === 'http'
            ? await abandonHttp(httpUrls[i % httpUrls.length]!, call, opts.abandonAfterMs, opts.timeoutMs)
            : await abandonWs(urls[i % urls.length]!, call, opts.abandonAfterMs, opts.timeoutMs, signal);
        if (answered) abandonAnswered++;
        else abandoned++;
      } catch (e) {
        abandonFailed++;
        error(e);
      }
    }
  }

  const sumHeld = (f: (c: StreamClient) => number) => [...longLived.keys()].reduce((s, c) => s + f(c), 0);

  return {
    kind,

    async prepare(ctx: WorkloadContext): Promise<void> {
      setup(ctx);
    },

    async run(ctx: WorkloadContext, durationMs: number): Promise<void> {
      if (!protocol) setup(ctx);
      const local = localAbort(ctx.signal, 0);
      const t0 = performance.now();
      const deadline = t0 + durationMs;
      const gate = new StartGate(opts.rate, t0);
      const modes = drawEndModes(ctx.seed, clients, cycles, opts.end);
      const slot = async (s: number) => {
        for (let c = 0; c < cycles; c++) {
          await gate.take(local.signal);
          if (local.signal.aborted || performance.now() >= deadline) return;
          await cycle(urls[(s + c * clients) % urls.length]!, modes[s]![c]!, deadline, local.signal);
        }
      };
      const work: Promise<void>[] = Array.from({ length: clients }, (_, s) => slot(s));
      if (opts.abandon) work.push(abandonLoop(ctx.seed, deadline, local.signal));
      if (opts.longLived) {
        // Opened by the first run() only: later cycles of the phase keep the same streams.
        if (!longLivedStarted) {
          longLivedStarted = true;
          work.push(openLongLived(opts.longLived, gate, local.signal));
        }
        work.push(sleep(deadline - performance.now(), local.signal));
      }
      try {
        await Promise.all(work);
      } finally {
        local.unlink();
        runMs += performance.now() - t0;
      }
      const longLivedLog = opts.longLived ? `, long-lived ${longLived.size}/${opts.longLived} (${ll.events + sumHeld((c) => c.events)} events)` : '';
      ctx.log(
        `${kind}: ${protocol!.name} ${subscription}: ${accepted}/${sent} subscribed, ${failed} failed, ended ${END_MODES.filter((m) => ended[m])
          .map((m) => `${m} ${ended[m]}`)
          .join(', ')}, held ${held.size}${longLivedLog}${opts.abandon ? `, abandoned ${abandoned}` : ''}`,
      );
    },

    async release(): Promise<void> {
      const all = [...held];
      held.clear();
      for (const [client, mode] of all) {
        events += client.events;
        client.destroy(); // abrupt: no close frame
        ended[mode]++;
      }
      // Long-lived streams end the configured way, all at once, each bounded by timeoutMs.
      const lived = [...longLived];
      longLived.clear();
      await Promise.all(
        lived.map(async ([client, handle]) => {
          const errs = await endStream(client, handle, opts.longLivedEnd, protocol!, opts.timeoutMs);
          llGone(client);
          ll.released++;
          ll.endErrors += errs.length;
          errs.forEach(error);
        }),
      );
    },

    progress(): WorkloadProgress {
      return { sent, accepted, failed, latency: hist };
    },

    stats(): WorkloadStats {
      const extra: Record<string, number | string> = {
        protocol: protocol?.name ?? opts.protocol ?? '',
        subscription,
        opened,
        held: held.size,
        droppedByNode,
        interrupted,
        endErrors,
        events,
      };
      for (const m of END_MODES) if (ended[m] || (clients && opts.end.some((e) => e.mode === m))) extra[`ended.${m}`] = ended[m];
      if (opts.abandon) Object.assign(extra, { abandoned, abandonAnswered, abandonFailed });
      if (opts.longLived) {
        Object.assign(extra, {
          'longLived.subscribed': ll.subscribed,
          'longLived.held': longLived.size,
          'longLived.events': ll.events + sumHeld((c) => c.events),
          'longLived.pings': ll.pings + sumHeld((c) => c.pings),
          'longLived.droppedByNode': ll.droppedByNode,
          'longLived.released': ll.released,
          'longLived.end': opts.longLivedEnd,
          'longLived.endErrors': ll.endErrors,
        });
      }
      return {
        kind,
        sent,
        accepted,
        failed,
        achievedRate: runMs > 0 ? Math.round((accepted / (runMs / 1000)) * 10) / 10 : 0,
        durationMs: Math.round(runMs),
        latency: hist.summary(),
        errors: errors.list(),
        extra,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Abandoned requests

/** POST the call, destroy the socket after `afterMs`; true when the answer came first. */
function abandonHttp(url: string, call: Call, afterMs: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: call.method, params: call.params });
    let settled = false;
    const settle = (answered: boolean, err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(answered);
    };
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs });
    req.on('response', (res) => {
      res.resume();
      settle(true);
    });
    req.on('error', (err) => settle(false, err));
    let timer: NodeJS.Timeout = setTimeout(() => settle(false, new Error(`${call.method}: not sent within ${timeoutMs} ms`)), timeoutMs);
    req.end(body, () => {
      clearTimeout(timer);
      timer = setTimeout(() => settle(false), afterMs);
    });
  });
}

/** Send the call on a new websocket, destroy it after `afterMs`; true when the answer came first. */
async function abandonWs(url: string, call: Call, afterMs: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const client = await StreamClient.open(url, { timeoutMs, signal });
  try {
    await client.call(call, afterMs);
    return true;
  } catch (e) {
    if (e instanceof RpcTimeout) return false; // still in flight: abandon it
    if (e instanceof RpcAnswerError) return true; // answered, with an error
    throw e;
  } finally {
    client.destroy();
  }
}
