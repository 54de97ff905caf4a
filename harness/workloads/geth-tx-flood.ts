/**
 * geth-tx-flood: pre-signed EIP-1559 value transfers sent with eth_sendRawTransaction at a target rate
 * (legacy EIP-155 transfers on a chain without a base fee: before London, geth's dev chain up to v1.10.3).
 *
 * prepare() (geth-presign.ts): derives `senders` keys from the seed, funds them from the dev account (eth_accounts[0],
 * eth_sendTransaction, so it needs an unlocked account: geth --dev), waits for the funding receipts, then
 * signs every transaction up front and keeps only the JSON-RPC request text, so the measured window only
 * sends bytes and parses answers.
 *
 * run(): every tick (20-100 ms) sends what the pacer says is due as JSON-RPC batches over keep-alive HTTP.
 * Sender s always goes to node s % nodes, so each node sees every sender's nonces in order. Never more
 * than maxTxs in total, never past durationMs, stops on ctx.signal, at most maxInFlight requests open.
 * Latency of a tx is the round trip of the batch that carried it. After the window, `extra.included`
 * counts accepted txs that made it into blocks (latest nonce minus start nonce, summed over senders).
 */
import type { RunningNode } from '../runtimes/runtime.ts';
import { presignTransfers, type SenderInfo } from './geth-presign.ts';
import { JsonRpcHttpClient, hexToNumber } from './jsonrpc.ts';
import type { JsonRpcResponse } from './jsonrpc.ts';
import { PacedTotals, defaultTickMs, pacedLoop } from './paced-loop.ts';
import { ownedItems, WHOLE } from './segment.ts';
import { localAbort, sleep } from './stats.ts';
import { OpCounters, type RequestOutcome } from './executor/counters.ts';
import type { OptionsOf } from './schemas.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';

/** Every option, as the scenario sets it (schemas.ts has each field's bound; the defaults are below). */
export type GethTxFloodOptions = OptionsOf<'geth-tx-flood'>;

export function gethTxFlood(opts: GethTxFloodOptions): Workload {
  const rate = opts.rate;
  /** This process's senders: all of them, or the ones its segment owns (set in prepare). */
  let senderCount = Math.floor(opts.senders ?? 50); // the schema's default
  const maxTxs = Math.floor(opts.maxTxs);
  const batchSize = Math.max(1, Math.floor(opts.batch ?? 100));
  const tickMs = Math.max(1, opts.tickMs ?? defaultTickMs(opts.rate, batchSize));
  const maxInFlight = Math.max(1, Math.floor(opts.maxInFlight ?? 32));
  const recipientCount = Math.max(1, Math.floor(opts.recipients ?? 16));
  const maxFeePerGas = BigInt(Math.round((opts.maxFeePerGasGwei ?? 2000) * 1e9));
  const maxPriorityFeePerGas = BigInt(Math.round((opts.maxPriorityFeePerGasGwei ?? 1) * 1e9));
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  const fundingTimeoutMs = opts.fundingTimeoutMs ?? 60_000;
  const inclusionWaitMs = opts.inclusionWaitMs ?? 5_000;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`geth-tx-flood: rate must be a positive number, got ${opts.rate}`);
  if (!(senderCount >= 1)) throw new Error(`geth-tx-flood: senders must be >= 1, got ${opts.senders}`);
  if (!(maxTxs >= 1)) throw new Error(`geth-tx-flood: maxTxs must be >= 1, got ${opts.maxTxs}`);
  if (maxPriorityFeePerGas > maxFeePerGas) throw new Error('geth-tx-flood: maxPriorityFeePerGasGwei above maxFeePerGasGwei');

  // Prepared state.
  let clients: JsonRpcHttpClient[] = [];
  let senders: SenderInfo[] = [];
  /** Request fragment per tx in send order: {"jsonrpc":"2.0","id":i,"method":"eth_sendRawTransaction","params":["0x.."]} */
  let frags: string[] = [];
  let prepared = false;
  let signMsPerTx = 0;
  let prepareMs = 0;

  // Run state.
  const counters = new OpCounters();
  let included: number | undefined;
  const totals = new PacedTotals();
  let laneNames: string[] = [];

  const nodeOf = (txIndex: number) => (txIndex % senderCount) % clients.length;

  async function countIncluded(signal?: AbortSignal): Promise<number> {
    // One batch per node for the senders that node served (they all see the same chain in a dev net,
    // but asking the node that got the txs is right for multi-node runs too).
    let total = 0;
    await Promise.all(
      clients.map(async (client, n) => {
        const mine = senders.filter((_, s) => s % clients.length === n);
        for (let i = 0; i < mine.length; i += 500) {
          const chunk = mine.slice(i, i + 500);
          const nonces = await client.batchResults<string>(
            chunk.map((s) => ({ method: 'eth_getTransactionCount', params: [s.address, 'latest'] })),
            signal,
          );
          chunk.forEach((s, k) => {
            total += Math.max(0, Math.min(s.count, hexToNumber(nonces[k]) - s.startNonce));
          });
        }
      }),
    );
    return total;
  }

  /** How the `n` txs of one answered request went. */
  function outcomeOf(text: string, n: number): RequestOutcome {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { accepted: 0, failed: n, errors: [`invalid JSON answer: ${text.slice(0, 120)}`] };
    }
    if (batchSize > 1 && !Array.isArray(parsed)) {
      // The node rejected the batch as a whole (e.g. batch too large).
      const e = (parsed as JsonRpcResponse | null)?.error;
      return { accepted: 0, failed: n, errors: [`batch rejected: ${e?.message ?? text.slice(0, 120)}`] };
    }
    const items = (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcResponse<string>[];
    let ok = 0;
    const errors: string[] = [];
    for (const item of items) {
      if (item && typeof item.result === 'string') ok++;
      else errors.push(item?.error?.message ?? `unexpected answer: ${JSON.stringify(item).slice(0, 120)}`);
    }
    if (ok > n) ok = n;
    return { accepted: ok, failed: n - ok, errors };
  }

  function send(lane: number, parts: string[], signal: AbortSignal): Promise<void> {
    const n = parts.length;
    const body = batchSize === 1 ? parts[0] : '[' + parts.join(',') + ']';
    const request = counters.begin(laneNames[lane]!, n);
    return clients[lane]!.postRaw(body, signal).then(
      (text) => void request.end(outcomeOf(text, n)),
      // No answer, no round trip: a transport failure stays out of the latency.
      (err: unknown) => void request.end({ accepted: 0, failed: n, errors: [err instanceof Error ? err.message : String(err)], timed: false }),
    );
  }

  return {
    kind: 'geth-tx-flood',

    async prepare(ctx: WorkloadContext): Promise<void> {
      const t0 = performance.now();
      // A segment signs with the senders it owns only (global indices i-1, i-1+n, ...): segments never
      // share a sender, so their nonces never conflict, and each funds only its own senders.
      const senderIds = ownedItems(ctx.segment ?? WHOLE, senderCount);
      senderCount = senderIds.length;
      // Sign what the phase can send at the target rate (plus slack), never more than the count bound:
      // a 100k-tx bound on a 60 s phase at 150 tx/s should not cost 100k signatures up front.
      const toSign = ctx.plannedDurationMs === undefined ? maxTxs : Math.min(maxTxs, Math.ceil((rate * ctx.plannedDurationMs * 1.1) / 1000) + senderCount);
      const nodes = ctx.nodes.filter((n: RunningNode) => n.endpoints.http);
      if (nodes.length === 0) throw new Error('geth-tx-flood: no node with an http endpoint');
      laneNames = nodes.map((n) => n.name);
      clients = nodes.map(
        (n) => new JsonRpcHttpClient(n.endpoints.http!, { timeoutMs: requestTimeoutMs, maxSockets: maxInFlight }),
      );
      const signed = await presignTransfers(clients[0], {
        seed: ctx.seed,
        senderIds,
        count: toSign,
        recipients: recipientCount,
        maxFeePerGas,
        maxPriorityFeePerGas,
        fundingTimeoutMs,
        signal: ctx.signal,
        log: ctx.log,
      });
      senders = signed.senders;
      frags = signed.frags;
      signMsPerTx = signed.signMsPerTx;
      prepareMs = performance.now() - t0;
      prepared = true;
      ctx.log(
        `geth-tx-flood: ${senderCount} senders funded, ${toSign} txs signed in ${((signMsPerTx * toSign) / 1000).toFixed(1)} s ` +
          `(${(signMsPerTx * 1000).toFixed(0)} µs/tx)`,
      );
    },

    async run(ctx: WorkloadContext, durationMs: number): Promise<void> {
      if (!prepared) throw new Error('geth-tx-flood: run() before prepare()');
      const link = localAbort(ctx.signal, maxInFlight + clients.length + 8);
      const signal = link.signal;
      const loop = await pacedLoop({
        rate,
        tickMs,
        from: totals.cursor,
        limit: frags.length,
        durationMs,
        batchSize,
        lanes: clients.length,
        laneOf: nodeOf,
        maxInFlight,
        inFlight: () => counters.inFlight,
        signal,
        send: (lane, items) => send(lane, items.map((i) => frags[i]), signal),
      });
      link.unlink();
      totals.add(loop);
      ctx.log(`geth-tx-flood: sent ${counters.sent}, accepted ${counters.accepted}, failed ${counters.failed} in ${(totals.windowMs / 1000).toFixed(1)} s`);

      // Inclusion, bounded (skipped on abort: release() checks once instead).
      const deadline = performance.now() + inclusionWaitMs;
      while (!ctx.signal.aborted) {
        try {
          included = await countIncluded(AbortSignal.timeout(5_000));
        } catch (err) {
          counters.errors.add(`inclusion check: ${err instanceof Error ? err.message : String(err)}`);
          break;
        }
        if (included >= counters.accepted || performance.now() >= deadline) break;
        await sleep(Math.min(500, deadline - performance.now()), ctx.signal);
      }
    },

    async release(): Promise<void> {
      if (prepared && counters.sent > 0 && (included === undefined || included < counters.accepted)) {
        try {
          included = await countIncluded(AbortSignal.timeout(5000));
        } catch {
          // keep the last figure
        }
      }
      for (const c of clients) c.close();
      frags = [];
    },

    progress(): WorkloadProgress {
      return counters.progress();
    },

    stats(): WorkloadStats {
      const extra: Record<string, number | string> = {
        targetRate: rate,
        tickMs,
        senders: senderCount,
        batch: batchSize,
        ...counters.requestFigures(),
        ...totals.figures(counters.accepted),
        signUsPerTx: Math.round(signMsPerTx * 1000),
        prepareMs: Math.round(prepareMs),
      };
      if (included !== undefined) extra.included = included;
      return counters.stats('geth-tx-flood', totals.windowMs, extra);
    },
  };
}
