/**
 * comet-tx-flood: kvstore transactions (`key=value` bytes) broadcast to CometBFT/Tendermint nodes at a
 * target rate, with broadcast_tx_async, broadcast_tx_sync or broadcast_tx_commit.
 *
 * The built-in kvstore / persistent_kvstore apps (v0.38) accept a tx in CheckTx only when it holds exactly
 * one `=` (or one `:`) that is neither first nor last, and treat `val=...` as a validator update. Txs here
 * are `<tag><index base 36>=<value>` (unique keys: the app's state grows by one key per tx) or
 * `<tag>k<index % reusedKeys>=<value>` (reused keys: the key set stays fixed), where the tag is
 * `cs<seed>.<salt>.` padded with dots to a multiple of 3 bytes. Every tx's bytes are unique either way (the
 * value starts with `<salt>.<index base 36>.`, then `v` up to valueBytes): the mempool drops a tx it has
 * already seen ("tx already exists in cache"), committed ones included. The salt is the chain height at
 * prepare() plus a per-process counter, so a replay on the same chain, or two floods in one run, never
 * resend old bytes, and the tag tells this run's txs from any other's.

 * run(): every tick (20-100 ms) sends what the pacer says is due, round robin over the nodes with an rpc
 * endpoint (tx i to node i % nodes), as JSON-RPC batches of `batch` txs (commit mode: one tx per request,
 * because CometBFT serves a batch's entries one after the other and each broadcast_tx_commit holds a
 * subscription until its block). Never more than maxTxs, never past durationMs, stops on ctx.signal, at
 * most maxInFlight requests open. Latency of a tx is its request's round trip.
 *
 * Transports (all JSON-RPC over HTTP to the node's rpc endpoint):
 *  - 'cosmjs' (default): @cosmjs/tendermint-rpc's Comet38Client encodes every request and decodes every
 *    answer; chainsoak's RpcClient underneath batches one tick's requests per node into one POST over
 *    keep-alive node:http (jsonrpc.ts), flushed explicitly after each tick.
 *  - 'cosmjs-http': Comet38Client over cosmjs's own HttpBatchClient (fetch, timer-driven dispatch).
 *  - 'raw': prebuilt request text, no cosmjs on the hot path (the cheapest; for comparison).
 *
 * After the window, `extra.committed` counts this run's txs in the blocks after the window's start height,
 * once, waiting up to commitWaitMs for it to reach `accepted`: /blockchain headers (20 heights a call)
 * give the heights that hold txs, and only those blocks are fetched (10 per JSON-RPC batch) and searched
 * for the run's tag, so txs of other runs or clients are not counted. In commit mode `committed` is the
 * number of answers with a DeliverTx (ExecTxResult) code 0 and a height; the block count goes to
 * `extra.inBlocks`.
 */
import { Comet38Client, HttpBatchClient } from '@cosmjs/tendermint-rpc';
import type { RpcClient } from '@cosmjs/tendermint-rpc';
import type { RunningNode } from '../runtimes/runtime.ts';
import { JsonRpcHttpClient } from './jsonrpc.ts';
import { PacedTotals, defaultTickMs, pacedLoop } from './paced-loop.ts';
import { localAbort, sleep } from './stats.ts';
import { OpCounters, type OpenRequest } from './executor/counters.ts';
import type { OptionsOf } from './schemas.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';

export type CometBroadcastMode = 'async' | 'sync' | 'commit';
export type CometKeyMode = 'unique' | 'reused';
export type CometTransport = 'cosmjs' | 'cosmjs-http' | 'raw';

/** Every option, as the scenario sets it (schemas.ts has each field's bound; the defaults are below). */
export type CometTxFloodOptions = OptionsOf<'comet-tx-flood'>;

/**
 * Prefix of every tx (and key) of one run: `cs<seed>.<salt>.`, padded with dots to a multiple of 3 bytes
 * so its base64 is a prefix of every tx's base64. The salt is reported as `extra.salt`.
 */
export function cometTxTag(seed: number, salt: string): string {
  const tag = `cs${seed}.${salt}.`;
  return tag + '.'.repeat((3 - (tag.length % 3)) % 3);
}

/** Per-process counter, part of the salt: two floods in one process never build the same tx bytes. */
let instances = 0;

interface TxData {
  code?: number;
  codespace?: string;
  log?: string;
}

/** The answer of one broadcast, reduced to what the counters need. */
interface Outcome {
  ok: boolean;
  /** commit mode: DeliverTx code 0 and a height. */
  committed?: boolean;
  error?: string;
}

/** One node: the Comet38Client the transport needs, and how to flush a tick's requests. */
interface NodeClient {
  url: string;
  comet?: Comet38Client;
  batcher?: TickBatchRpcClient;
  raw?: JsonRpcHttpClient;
  close(): void;
}

/**
 * cosmjs RpcClient that queues requests until flush(), then sends them as one JSON-RPC batch over
 * keep-alive HTTP (one POST per flush, never more than maxBatch entries per POST).
 */
class TickBatchRpcClient implements RpcClient {
  private queue: Array<{ id: string | number; body: string; resolve(v: never): void; reject(e: unknown): void }> = [];
  constructor(
    private readonly http: JsonRpcHttpClient,
    private readonly signal: () => AbortSignal | undefined,
  ) {}

  readonly execute = (request: Parameters<RpcClient['execute']>[0]): ReturnType<RpcClient['execute']> =>
    new Promise((resolve, reject) => {
      this.queue.push({ id: request.id, body: JSON.stringify(request), resolve: resolve as (v: never) => void, reject });
    });

  get pending(): number {
    return this.queue.length;
  }

  /** Send what is queued as one POST; resolves when every entry is settled. */
  flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return Promise.resolve();
    const body = batch.length === 1 ? batch[0].body : '[' + batch.map((e) => e.body).join(',') + ']';
    return this.http.postRaw(body, this.signal()).then(
      (text) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          const err = new Error(`invalid JSON answer: ${text.slice(0, 120)}`);
          for (const e of batch) e.reject(err);
          return;
        }
        type Answer = { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };
        if (!Array.isArray(parsed) && batch.length > 1 && (parsed as Answer | null)?.error) {
          // The node rejected the batch as a whole (e.g. more entries than rpc.max_request_batch_size).
          const err = new Error(`batch rejected: ${rpcErrorText((parsed as Answer).error!)}`);
          for (const e of batch) e.reject(err);
          return;
        }
        const items = (Array.isArray(parsed) ? parsed : [parsed]) as Answer[];
        const byId = new Map<unknown, (typeof items)[number]>();
        for (const item of items) if (item && typeof item === 'object') byId.set(item.id, item);
        for (const e of batch) {
          const item = byId.get(e.id) ?? (batch.length === 1 && items.length === 1 ? items[0] : undefined);
          if (!item) e.reject(new Error('no answer for this batch entry'));
          else if (item.error) e.reject(new Error(rpcErrorText(item.error)));
          else e.resolve({ jsonrpc: '2.0', id: e.id, result: item.result } as never);
        }
      },
      (err: unknown) => {
        for (const e of batch) e.reject(err);
      },
    );
  }

  disconnect(): void {
    for (const e of this.queue) e.reject(new Error('client closed'));
    this.queue = [];
  }
}

function rpcErrorText(error: { code?: number; message?: string; data?: unknown }): string {
  const data = typeof error.data === 'string' ? error.data : error.data === undefined ? '' : JSON.stringify(error.data);
  return data && data !== error.message ? `${error.message}: ${data}` : String(error.message);
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // cosmjs rejects JSON-RPC errors with the error object as JSON text.
  if (err.message.startsWith('{')) {
    try {
      const e = JSON.parse(err.message) as { code?: number; message?: string; data?: unknown };
      if (e && typeof e.message === 'string') return rpcErrorText(e);
    } catch {
      /* not JSON */
    }
  }
  return err.message;
}

function checkTxError(what: string, d: TxData | undefined): string {
  return `${what} code ${d?.code ?? '?'}${d?.codespace ? ` (${d.codespace})` : ''}${d?.log ? `: ${d.log}` : ''}`;
}

export function cometTxFlood(opts: CometTxFloodOptions): Workload {
  const rate = opts.rate;
  const maxTxs = Math.floor(opts.maxTxs);
  const mode: CometBroadcastMode = opts.mode ?? 'sync';
  const keyMode: CometKeyMode = opts.keys ?? 'unique';
  const reusedKeys = Math.floor(opts.reusedKeys ?? 100);
  const valueBytes = Math.floor(opts.valueBytes ?? 32);
  const transport: CometTransport = opts.transport ?? 'cosmjs';
  const batchSize = mode === 'commit' ? 1 : Math.max(1, Math.floor(opts.batch ?? 10));
  const tickMs = Math.max(1, opts.tickMs ?? defaultTickMs(opts.rate, batchSize));
  const maxInFlight = Math.max(1, Math.floor(opts.maxInFlight ?? (mode === 'commit' ? 64 : 32)));
  const requestTimeoutMs = opts.requestTimeoutMs ?? (mode === 'commit' ? 15_000 : 10_000);
  const commitWaitMs = opts.commitWaitMs ?? 10_000;
  const method = `broadcast_tx_${mode}`;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`comet-tx-flood: rate must be a positive number, got ${opts.rate}`);
  if (!(maxTxs >= 1)) throw new Error(`comet-tx-flood: maxTxs must be >= 1, got ${opts.maxTxs}`);
  if (!['async', 'sync', 'commit'].includes(mode)) throw new Error(`comet-tx-flood: unknown mode ${String(mode)}`);
  if (!['unique', 'reused'].includes(keyMode)) throw new Error(`comet-tx-flood: unknown keys ${String(keyMode)}`);
  if (!['cosmjs', 'cosmjs-http', 'raw'].includes(transport)) throw new Error(`comet-tx-flood: unknown transport ${String(transport)}`);
  if (!(reusedKeys >= 1)) throw new Error(`comet-tx-flood: reusedKeys must be >= 1, got ${opts.reusedKeys}`);
  if (!(valueBytes >= 1 && valueBytes <= 1_000_000)) throw new Error(`comet-tx-flood: valueBytes must be 1..1000000, got ${opts.valueBytes}`);

  // Prepared state.
  let clients: NodeClient[] = [];
  /** The node behind each client, to skip nodes a fault has taken down. */
  let targets: RunningNode[] = [];
  let keyTag = '';
  let valueTag = '';
  let salt = '';
  let padding = '';
  let prepared = false;
  let localSignal: AbortSignal | undefined;

  // Run state.
  const counters = new OpCounters();
  let committedByAnswer = 0;
  let startHeight: number | undefined;
  let countedTo: number | undefined;
  let inBlocks: number | undefined;
  /** Base64 of this run's tx prefix (a multiple of 3 bytes long, so it is a prefix of every tx's base64). */
  let tagB64 = '';
  let controlRaw: JsonRpcHttpClient | undefined;
  let txBytes = 0;
  const totals = new PacedTotals();

  /** The tx of index i as text (ASCII only, so its length is its byte length). */
  function txText(i: number): string {
    const key = keyMode === 'unique' ? keyTag + i.toString(36) : keyTag + 'k' + (i % reusedKeys).toString(36);
    const v = valueTag + i.toString(36) + '.';
    return key + '=' + (v.length >= valueBytes ? v : v + padding.slice(0, valueBytes - v.length));
  }

  /** One tx of `request` answered: counted, with the request's round trip so far as its latency. */
  function record(request: OpenRequest, o: Outcome): void {
    if (o.committed) committedByAnswer++;
    request.settle({ accepted: o.ok ? 1 : 0, failed: o.ok ? 0 : 1, errors: o.error ? [o.error] : undefined });
  }

  function outcomeOf(res: unknown): Outcome {
    if (mode === 'async') return { ok: true };
    if (mode === 'sync') {
      const d = res as TxData;
      return d.code === 0 || d.code === undefined ? { ok: true } : { ok: false, error: checkTxError('CheckTx', d) };
    }
    // commit: raw answers use check_tx / tx_result, cosmjs's checkTx / txResult.
    const r = res as { check_tx?: TxData; checkTx?: TxData; tx_result?: TxData; txResult?: TxData; height?: string | number };
    const check = r.check_tx ?? r.checkTx;
    if (!check || (check.code ?? 0) !== 0) return { ok: false, error: checkTxError('CheckTx', check) };
    const deliver = r.tx_result ?? r.txResult;
    const height = Number(r.height ?? 0);
    if (deliver && (deliver.code ?? 0) === 0 && height > 0) return { ok: true, committed: true };
    return { ok: true, committed: false, error: checkTxError('DeliverTx', deliver) };
  }

  /** Sends the txs of these indexes to one node as one request (JSON-RPC batch, or a plain call for one tx). */
  function sendChunk(lane: number, indexes: number[]): Promise<void> {
    const client = clients[lane]!;
    const n = indexes.length;
    const request = counters.begin(targets[lane]!.name, n);
    if (transport === 'raw') {
      const parts = new Array<string>(n);
      for (let k = 0; k < n; k++) {
        const i = indexes[k];
        const b64 = Buffer.from(txText(i), 'latin1').toString('base64');
        parts[k] = `{"jsonrpc":"2.0","id":${i},"method":"${method}","params":{"tx":"${b64}"}}`;
      }
      const body = n === 1 ? parts[0] : '[' + parts.join(',') + ']';
      return client.raw!.postRaw(body, localSignal).then(
        (text) => {
          request.close();
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            for (let k = 0; k < n; k++) record(request, { ok: false, error: `invalid JSON answer: ${text.slice(0, 120)}` });
            return;
          }
          const items = (Array.isArray(parsed) ? parsed : [parsed]) as Array<{ id?: number; result?: unknown; error?: { message: string; data?: unknown } }>;
          if (!Array.isArray(parsed) && n > 1) {
            const e = (parsed as { error?: { message: string; data?: unknown } } | null)?.error;
            for (let k = 0; k < n; k++) record(request, { ok: false, error: `batch rejected: ${e ? rpcErrorText(e) : text.slice(0, 120)}` });
            return;
          }
          let answered = 0;
          for (const item of items) {
            if (!item || typeof item !== 'object' || answered >= n) continue;
            answered++;
            if (item.error) record(request, { ok: false, error: rpcErrorText(item.error) });
            else record(request, outcomeOf(item.result));
          }
          for (; answered < n; answered++) record(request, { ok: false, error: 'no answer for this batch entry' });
        },
        (err: unknown) => {
          request.close();
          for (let k = 0; k < n; k++) record(request, { ok: false, error: errorText(err) });
        },
      );
    }
    // cosmjs transports: one Comet38Client call per tx; the RpcClient underneath batches them.
    // cosmjs's HttpBatchClient leaves a call unsettled when the node answers a batch with one error object
    // (batch over max_request_batch_size): a timer settles whatever is left as failed, so the drain stays bounded.
    const comet = client.comet!;
    const settled = new Uint8Array(n);
    let left = n;
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (k: number, o: Outcome) => {
        if (settled[k]) return;
        settled[k] = 1;
        record(request, o);
        if (--left === 0) {
          clearTimeout(timer);
          request.close();
          resolve();
        }
      };
      for (let k = 0; k < n; k++) {
        const tx = Buffer.from(txText(indexes[k]), 'latin1');
        const call: Promise<unknown> =
          mode === 'sync' ? comet.broadcastTxSync({ tx }) : mode === 'async' ? comet.broadcastTxAsync({ tx }) : comet.broadcastTxCommit({ tx });
        call.then(
          (res) => settle(k, outcomeOf(res)),
          (err: unknown) => settle(k, { ok: false, error: errorText(err) }),
        );
      }
      if (client.batcher) {
        void client.batcher.flush();
      } else {
        const limit = requestTimeoutMs + 1_000;
        timer = setTimeout(() => {
          const error = `no answer within ${limit} ms (cosmjs HttpBatchClient drops calls whose batch the node rejected)`;
          for (let k = 0; k < n; k++) settle(k, { ok: false, error });
        }, limit);
      }
    });
  }

  // status and blockchain go through raw JSON-RPC: their shapes differ across versions (cosmjs's
  // Comet38 decoder rejects Tendermint v0.34's status), while the fields read here exist in all of them.
  async function latestHeight(signal?: AbortSignal): Promise<number> {
    const status = await controlRaw!.call<{ sync_info: { latest_block_height: string } }>('status', {}, signal);
    return Number(status.sync_info.latest_block_height);
  }

  /** Txs of this run per height, for heights (startHeight, countedTo]. */
  const ours = new Map<number, number>();
  /**
   * Txs of this run in blocks (startHeight, latest]: /blockchain headers (20 heights a call) find the
   * heights with txs, then those blocks (10 per JSON-RPC batch) are searched for this run's tx prefix.
   * Only heights not counted yet are fetched. Stops between requests once `deadline` passes.
   */
  async function countInBlocks(signal: AbortSignal | undefined, deadline: number): Promise<number> {
    if (startHeight === undefined) return 0;
    const top = await latestHeight(signal);
    let from = (countedTo ?? startHeight) + 1;
    while (from <= top && performance.now() < deadline) {
      const to = Math.min(top, from + 19);
      type Metas = { block_metas: Array<{ header: { height: string }; num_txs: string }> };
      const res = await controlRaw!.call<Metas>('blockchain', { minHeight: String(from), maxHeight: String(to) }, signal);
      const withTxs: number[] = [];
      const seen = new Set<number>();
      for (const meta of res.block_metas) {
        const height = Number(meta.header.height);
        seen.add(height);
        if (Number(meta.num_txs) > 0) withTxs.push(height);
        else ours.set(height, 0);
      }
      for (let h = from; h <= to; h++) if (!seen.has(h)) throw new Error(`no header for height ${h}`);
      for (let k = 0; k < withTxs.length; k += 10) {
        const heights = withTxs.slice(k, k + 10);
        type BlockResult = { block: { data: { txs: string[] | null } } };
        // CometBFT answers a one-entry batch with a plain object, not an array: send a single call then.
        const blocks =
          heights.length === 1
            ? [await controlRaw!.call<BlockResult>('block', { height: String(heights[0]) }, signal)]
            : await controlRaw!.batchResults<BlockResult>(
                heights.map((h) => ({ method: 'block', params: { height: String(h) } })),
                signal,
              );
        blocks.forEach((b, j) => {
          let n = 0;
          for (const tx of b.block.data.txs ?? []) if (tx.startsWith(tagB64)) n++;
          ours.set(heights[j], n);
        });
      }
      countedTo = to;
      from = to + 1;
    }
    let sum = 0;
    for (const v of ours.values()) sum += v;
    inBlocks = sum;
    return sum;
  }

  return {
    kind: 'comet-tx-flood',

    async prepare(ctx: WorkloadContext): Promise<void> {
      const nodes = ctx.nodes.filter((n: RunningNode) => n.endpoints.rpc);
      if (nodes.length === 0) throw new Error('comet-tx-flood: no node with an rpc endpoint');
      targets = nodes;
      const perNodeSockets = maxInFlight;
      clients = nodes.map((n) => {
        const url = n.endpoints.rpc!;
        if (transport === 'raw') {
          const raw = new JsonRpcHttpClient(url, { timeoutMs: requestTimeoutMs, maxSockets: perNodeSockets });
          return { url, raw, close: () => raw.close() };
        }
        if (transport === 'cosmjs') {
          const http = new JsonRpcHttpClient(url, { timeoutMs: requestTimeoutMs, maxSockets: perNodeSockets });
          const batcher = new TickBatchRpcClient(http, () => localSignal);
          const comet = Comet38Client.create(batcher);
          return {
            url,
            comet,
            batcher,
            close: () => {
              comet.disconnect();
              http.close();
            },
          };
        }
        const batchClient = new HttpBatchClient(url, { batchSizeLimit: batchSize, dispatchInterval: tickMs, httpTimeout: requestTimeoutMs });
        const comet = Comet38Client.create(batchClient);
        return { url, comet, close: () => comet.disconnect() };
      });
      controlRaw = new JsonRpcHttpClient(clients[0].url, { timeoutMs: 10_000, maxSockets: 2 });
      const height = await latestHeight(ctx.signal);
      // A segment's salt names it: segments started at the same height with the same seed still build
      // disjoint keys and tx bytes (no "tx already exists in cache"), and count only their own txs.
      const segment = ctx.segment && ctx.segment.count > 1 ? `-s${ctx.segment.index + 1}of${ctx.segment.count}` : '';
      salt = `${height.toString(36)}-${(++instances).toString(36)}${segment}`;
      keyTag = cometTxTag(ctx.seed, salt);
      tagB64 = Buffer.from(keyTag, 'latin1').toString('base64');
      valueTag = `${salt}.`;
      padding = 'v'.repeat(valueBytes);
      txBytes = txText(0).length;
      prepared = true;
      ctx.log(`comet-tx-flood: ${nodes.length} node(s), ${method} via ${transport}, ${keyMode} keys, ~${txBytes}-byte txs (salt ${salt})`);
    },

    async run(ctx: WorkloadContext, durationMs: number): Promise<void> {
      if (!prepared) throw new Error('comet-tx-flood: run() before prepare()');
      const link = localAbort(ctx.signal, maxInFlight + clients.length + 8);
      localSignal = link.signal;
      const signal = link.signal;
      // Counted from the first window's start: later calls (cycles) keep counting from there.
      if (startHeight === undefined) {
        try {
          startHeight = await latestHeight(AbortSignal.any([signal, AbortSignal.timeout(10_000)]));
        } catch (err) {
          counters.errors.add(`status before the window: ${errorText(err)}`);
        }
      }
      // Round-robin over the nodes, skipping any a scenario fault has taken down.
      const laneOf = (i: number) => {
        for (let k = 0; k < clients.length; k++) {
          const lane = (i + k) % clients.length;
          if (targets[lane]!.isRunning()) return lane;
        }
        return i % clients.length;
      };
      const loop = await pacedLoop({
        rate,
        tickMs,
        from: totals.cursor,
        limit: maxTxs,
        durationMs,
        batchSize,
        lanes: clients.length,
        laneOf,
        maxInFlight,
        inFlight: () => counters.inFlight,
        signal,
        send: sendChunk,
      });
      link.unlink();
      totals.add(loop);
      ctx.log(`comet-tx-flood: sent ${counters.sent}, accepted ${counters.accepted}, failed ${counters.failed} in ${(totals.windowMs / 1000).toFixed(1)} s`);

      // Committed, once, bounded (skipped on abort: release() counts once instead).
      const target = mode === 'commit' ? 0 : counters.accepted;
      const deadline = performance.now() + commitWaitMs;
      while (!ctx.signal.aborted && startHeight !== undefined) {
        let n: number;
        try {
          n = await countInBlocks(AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]), deadline);
        } catch (err) {
          counters.errors.add(`commit check: ${errorText(err)}`);
          break;
        }
        if (n >= target || performance.now() >= deadline) break;
        await sleep(Math.min(250, deadline - performance.now()), ctx.signal);
      }
    },

    async release(): Promise<void> {
      if (prepared && counters.sent > 0 && startHeight !== undefined && inBlocks === undefined) {
        try {
          await countInBlocks(AbortSignal.timeout(5_000), performance.now() + 5_000);
        } catch {
          // no figure
        }
      }
      for (const c of clients) c.close();
      controlRaw?.close();
    },

    progress(): WorkloadProgress {
      return counters.progress();
    },

    stats(): WorkloadStats {
      const extra: Record<string, number | string> = {
        mode,
        keys: keyMode,
        transport,
        targetRate: rate,
        tickMs,
        batch: batchSize,
        ...counters.requestFigures(),
        ...totals.figures(counters.accepted),
        txBytes,
        salt,
      };
      if (keyMode === 'reused') extra.reusedKeys = reusedKeys;
      if (startHeight !== undefined) extra.startHeight = startHeight;
      if (countedTo !== undefined) extra.endHeight = countedTo;
      if (mode === 'commit') {
        extra.committed = committedByAnswer;
        if (inBlocks !== undefined) extra.inBlocks = inBlocks;
      } else if (inBlocks !== undefined) {
        extra.committed = inBlocks;
      }
      return counters.stats('comet-tx-flood', totals.windowMs, extra);
    },
  };
}
