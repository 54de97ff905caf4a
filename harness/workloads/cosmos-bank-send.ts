/**
 * cosmos-bank-send: bank MsgSend transfers from the simd flavor's genesis-funded test accounts
 * (harness/nodes/cosmos-accounts.ts), signed through @cosmjs/stargate (cosmos-signer.ts) and broadcast with
 * broadcast_tx_sync, _async or _commit over CometBFT's JSON-RPC at a target rate.
 *
 * Sequences: sender s is test account firstAccount + s, and only this workload (this segment) signs for it.
 * Each sender's sequence is tracked here, and a sender has at most one request open: a tick's txs for one
 * node go in JSON-RPC batches (tx i is sender i % senders's), each sender's txs grouped in sequence order
 * (CometBFT runs a batch's entries one after the other), and a batch waits until none of its senders has
 * a request open, so the node sees every sender's sequences in order and parallel senders never collide.
 * A sender always goes to the same node (s % nodes). When the node still answers
 * "account sequence mismatch, expected N" (someone else signed for the account), the sender continues at
 * N and the mismatch is counted (`extra.sequenceMismatches`); async mode cannot see CheckTx and so cannot
 * re-sync.
 *
 * Signing: 'offline' signs what the phase can send (at the rate, plus slack, at most maxTxs) in prepare(),
 * with account numbers and sequences read once, and reports its cost (`extra.signUsPerTx`) before the
 * window; the window only sends prebuilt bytes. A sender re-synced past what was signed for it signs the
 * rest in the window (`extra.signedInWindow`). 'online' signs every tx in the window (what an app does).
 *
 * Counters: accepted is CheckTx code 0 (sync; async: the node took it; commit: CheckTx passed), failed by
 * CheckTx code in `failed.code.<n>` (`failed.code.rpc` for JSON-RPC errors, `failed.code.transport`).
 * After the window `committed` counts the accepted txs found in blocks with code 0 (cosmos-commits.ts),
 * waiting up to commitWaitMs; in commit mode it is the answers with a DeliverTx code 0 and a height.
 * Latency of a tx is the round trip of the request that carried it (signing excluded).
 *
 * Segments (`--segment i/n`): this process owns the senders s with s % n == i - 1 and sends 1/n of the
 * rate and of maxTxs.
 */
import { StargateClient } from '@cosmjs/stargate';
import type { z } from 'zod';
import { UsageError } from '../errors.ts';
import { cosmosAccount } from '../nodes/cosmos-accounts.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { CommitCounter } from './cosmos-commits.ts';
import {
  WRONG_SEQUENCE_CODE,
  bankSendRecipient,
  checkAccounts,
  cometRpcUrl,
  cosmosChain,
  cosmosNodes,
  expectedSequence,
  type CosmosChain,
} from './cosmos-chain.ts';
import type { cosmosBankSendSchema } from './cosmos-schemas.ts';
import { BankSendSigner } from './cosmos-signer.ts';
import { JsonRpcHttpClient, type JsonRpcResponse } from './jsonrpc.ts';
import { PacedTotals, pacedLoop } from './paced-loop.ts';
import { WHOLE, countShare, formatSegment, ownsItem, rateShare } from './segment.ts';
import { localAbort, sleep } from './stats.ts';
import { OpCounters, type OpenRequest, type RequestOutcome } from './executor/counters.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';

export type CosmosBankSendOptions = z.output<typeof cosmosBankSendSchema>;
type CosmosBroadcastMode = CosmosBankSendOptions['mode'];

const KIND = 'cosmos-bank-send';

/**
 * Keep-alive sockets per node. Many batches can be open at once, but each socket is a goroutine in the
 * node: with a socket per open request, the node's goroutine count climbs with the flood's busiest moment,
 * and the run's goroutine trend reads the client's sockets as a leak. Eight carry over 1,000 requests/s
 * of broadcast_tx_sync on loopback; the rest wait in the agent's queue (counted in latency).
 */
const SOCKETS_PER_NODE = 8;

interface Sender {
  signer: BankSendSigner;
  /** Index into the node clients. */
  node: number;
  startSeq: number;
  /** The sequence the sender's next tx gets. */
  nextSeq: number;
  /** Offline mode: the signed tx (base64) of sequence startSeq + k. */
  presigned: string[];
  /** The sender's last request: the next one waits for it. */
  tail: Promise<void>;
}

/** One broadcast answer, as the counters see it. */
interface Answer {
  /** CheckTx code (0: accepted), or a text for answers without one. */
  code: number | 'rpc' | 'transport';
  hash?: string;
  log?: string;
  /** Commit mode: DeliverTx code and the height. */
  deliverCode?: number;
  height?: number;
}

type TxResult = { code?: number; log?: string; codespace?: string };
type BroadcastResult = TxResult & { hash?: string; check_tx?: TxResult; tx_result?: TxResult; height?: string };

function answerOf(mode: CosmosBroadcastMode, item: JsonRpcResponse<BroadcastResult> | undefined): Answer {
  if (!item) return { code: 'rpc', log: 'no answer for this batch entry' };
  if (item.error) return { code: 'rpc', log: [item.error.message, typeof item.error.data === 'string' ? item.error.data : ''].filter(Boolean).join(': ') };
  const r = item.result ?? {};
  if (mode !== 'commit') return { code: r.code ?? 0, hash: r.hash, log: r.log };
  const check = r.check_tx ?? {};
  return { code: check.code ?? 0, hash: r.hash, log: check.log, deliverCode: r.tx_result?.code ?? 0, height: Number(r.height ?? 0) };
}

export function cosmosBankSend(opts: CosmosBankSendOptions): Workload {
  const mode = opts.mode;
  const batchSize = mode === 'commit' ? 1 : opts.batch;
  const requestTimeoutMs = mode === 'commit' ? 15_000 : 10_000;
  const memo = 'm'.repeat(opts.memoBytes);
  const method = `broadcast_tx_${mode}`;

  // Prepared state.
  let rate = opts.rate;
  let maxTxs = opts.maxTxs;
  let tickMs = 50;
  let nodes: RunningNode[] = [];
  let clients: JsonRpcHttpClient[] = [];
  let senders: Sender[] = [];
  let recipients: string[] = [];
  let chain: CosmosChain | undefined;
  let segmentText = '';
  let prepared = false;
  let signMsPerTx = 0;
  let presignedCount = 0;
  let prepareMs = 0;

  // Run state.
  const counters = new OpCounters();
  let mismatches = 0;
  let signedInWindow = 0;
  let committedByAnswer = 0;
  const failedByCode = new Map<string, number>();
  const deliverFailedByCode = new Map<number, number>();
  const acceptedHashes = new Set<string>();
  let commits: CommitCounter | undefined;
  let localSignal: AbortSignal | undefined;
  const totals = new PacedTotals();

  const recipientOf = (s: Sender, seq: number) => recipients[(s.signer.account.index + seq) % recipients.length]!;

  async function txFor(s: Sender, seq: number): Promise<string> {
    const k = seq - s.startSeq;
    if (k >= 0 && k < s.presigned.length) return s.presigned[k]!;
    if (opts.signing === 'offline') signedInWindow++;
    return s.signer.sign(seq, recipientOf(s, seq));
  }

  /** Adds one answer to its request's outcome, and to the workload's own figures. */
  function count(a: Answer, seq: number, outcome: RequestOutcome & { errors: string[] }): void {
    if (a.code === 0) {
      outcome.accepted++;
      if (a.hash) acceptedHashes.add(a.hash.toUpperCase());
      if (mode === 'commit') {
        if (a.deliverCode === 0 && (a.height ?? 0) > 0) committedByAnswer++;
        else if (a.deliverCode) deliverFailedByCode.set(a.deliverCode, (deliverFailedByCode.get(a.deliverCode) ?? 0) + 1);
      }
      return;
    }
    outcome.failed++;
    failedByCode.set(String(a.code), (failedByCode.get(String(a.code)) ?? 0) + 1);
    outcome.errors.push(`${typeof a.code === 'number' ? `CheckTx code ${a.code}` : a.code} (sequence ${seq}): ${a.log ?? ''}`);
  }

  /**
   * Broadcasts one request to a node: the due txs of each of its senders, grouped by sender in sequence
   * order; then sets each sender's next sequence from its answers.
   */
  async function broadcast(node: number, due: Map<Sender, number>, request: OpenRequest): Promise<void> {
    const entries: Array<{ s: Sender; seq: number }> = [];
    for (const [s, n] of due) for (let k = 0; k < n; k++) entries.push({ s, seq: s.nextSeq + k });
    const n = entries.length;
    const txs: string[] = new Array(n);
    for (let k = 0; k < n; k++) txs[k] = await txFor(entries[k]!.s, entries[k]!.seq);
    const parts = txs.map((tx, k) => `{"jsonrpc":"2.0","id":${k},"method":"${method}","params":{"tx":"${tx}"}}`);
    const body = n === 1 ? parts[0]! : '[' + parts.join(',') + ']';
    request.sent(nodes[node]!.name, n);
    let answers: Answer[];
    try {
      const text = await clients[node]!.postRaw(body, localSignal);
      const parsed = JSON.parse(text) as JsonRpcResponse<BroadcastResult> | JsonRpcResponse<BroadcastResult>[];
      if (!Array.isArray(parsed) && n > 1) {
        const log = `batch rejected: ${parsed.error?.message ?? text.slice(0, 120)}`;
        answers = txs.map(() => ({ code: 'rpc', log }));
      } else {
        const items = Array.isArray(parsed) ? parsed : [parsed];
        const byId = new Map(items.map((item) => [item?.id, item]));
        answers = txs.map((_, k) => answerOf(mode, byId.get(k) ?? (n === 1 ? items[0] : undefined)));
      }
    } catch (err) {
      const log = err instanceof Error ? err.message : String(err);
      answers = txs.map(() => ({ code: 'transport', log }));
    }
    // Walk each sender's answers in sequence order: what the node expects after them is the sender's next
    // sequence. A tx accepted moves it past its own sequence; a mismatch says what the node expects; any
    // other failure leaves it (the node did not take that sequence). A transport failure is taken as
    // sent: if the node did not get them, the next answer's mismatch says so.
    const expect = new Map<Sender, number>([...due.keys()].map((s) => [s, s.nextSeq]));
    const outcome = { accepted: 0, failed: 0, errors: [] as string[] };
    answers.forEach((a, k) => {
      const { s, seq } = entries[k]!;
      count(a, seq, outcome);
      if (a.code === 0 || a.code === 'transport' || mode === 'async') expect.set(s, seq + 1);
      else if (a.code === WRONG_SEQUENCE_CODE) {
        mismatches++;
        expect.set(s, expectedSequence(a.log) ?? expect.get(s)!);
      }
    });
    for (const [s, next] of expect) s.nextSeq = next;
    request.settle(outcome);
  }

  /**
   * Sends a batch of tx indices (tx i is sender i % senders's) to one node, once none of its senders has a
   * request open: never two open for one sender, so each sender's sequences reach the node in order.
   */
  function send(node: number, items: number[]): Promise<void> {
    const due = new Map<Sender, number>();
    for (const i of items) {
      const s = senders[i % senders.length]!;
      due.set(s, (due.get(s) ?? 0) + 1);
    }
    // In flight from now: a batch waiting for its senders counts against maxInFlight.
    const request = counters.open();
    const done = Promise.all([...due.keys()].map((s) => s.tail))
      .then(() => broadcast(node, due, request))
      .catch((err: unknown) => {
        // broadcast() counts what it can; an error here is a signing failure: count the txs as failed.
        request.settle({ accepted: 0, failed: items.length, errors: [`signing: ${err instanceof Error ? err.message : String(err)}`], timed: false });
      })
      .finally(() => request.close());
    for (const s of due.keys()) s.tail = done;
    return done;
  }

  return {
    kind: KIND,

    async prepare(ctx: WorkloadContext): Promise<void> {
      const t0 = performance.now();
      const segment = ctx.segment ?? WHOLE;
      segmentText = ctx.segment ? formatSegment(segment) : '';
      rate = rateShare(segment, opts.rate);
      maxTxs = countShare(segment, opts.maxTxs);
      tickMs = Math.min(100, Math.max(20, Math.round(8000 / rate)));
      const owned = Array.from({ length: opts.senders }, (_, i) => i).filter((i) => ownsItem(segment, i));
      if (!owned.length || maxTxs < 1) {
        throw new UsageError(`${KIND}: segment ${formatSegment(segment)} owns no sender or no transaction (senders ${opts.senders}, maxTxs ${opts.maxTxs})`);
      }
      nodes = cosmosNodes(KIND, ctx.nodes.filter((n) => n.isRunning()));
      const maxSockets = mode === 'commit' ? opts.maxInFlight : Math.min(opts.maxInFlight, SOCKETS_PER_NODE);
      clients = nodes.map((n) => new JsonRpcHttpClient(cometRpcUrl(n)!, { timeoutMs: requestTimeoutMs, maxSockets }));
      chain = await cosmosChain(nodes[0]!, clients[0]!, ctx.signal);
      checkAccounts(KIND, chain, opts.firstAccount, opts.senders, `senders: ${opts.senders}`);
      const c = chain;
      recipients = Array.from({ length: opts.recipients }, (_, r) => bankSendRecipient(ctx.seed, r, c.prefix));

      // Account numbers and sequences, read once.
      const query = await StargateClient.connect(cometRpcUrl(nodes[0]!)!);
      try {
        senders = [];
        for (let k = 0; k < owned.length; k += 20) {
          const chunk = await Promise.all(
            owned.slice(k, k + 20).map(async (i, j): Promise<Sender> => {
              const account = await cosmosAccount(opts.firstAccount + i, c.prefix);
              const onChain = await query.getAccount(account.address);
              if (!onChain) throw new UsageError(`${KIND}: test account ${account.index} (${account.address}) does not exist on the chain: is it funded in genesis?`);
              const signer = await BankSendSigner.create(account, onChain.accountNumber, c, { amount: opts.amount, fee: opts.fee, gas: opts.gas, memo });
              return { signer, node: (k + j) % clients.length, startSeq: onChain.sequence, nextSeq: onChain.sequence, presigned: [], tail: Promise.resolve() };
            }),
          );
          senders.push(...chunk);
          if (ctx.signal.aborted) throw new Error(`${KIND}: aborted while reading accounts`);
        }
      } finally {
        query.disconnect();
      }

      if (opts.signing === 'offline') {
        // What the phase can send at the rate (plus slack), never more than the count bound.
        const toSign = ctx.plannedDurationMs === undefined ? maxTxs : Math.min(maxTxs, Math.ceil((rate * ctx.plannedDurationMs * 1.1) / 1000) + senders.length);
        const ts = performance.now();
        for (let i = 0; i < toSign; i++) {
          const s = senders[i % senders.length]!;
          const seq = s.startSeq + s.presigned.length;
          s.presigned.push(await s.signer.sign(seq, recipientOf(s, seq)));
          if ((i & 255) === 255 && ctx.signal.aborted) throw new Error(`${KIND}: aborted while signing`);
        }
        presignedCount = toSign;
        signMsPerTx = (performance.now() - ts) / toSign;
      }
      prepareMs = performance.now() - t0;
      prepared = true;
      ctx.log(
        `${KIND}: ${senders.length} senders on ${nodes.length} node(s), ${method}, chain ${c.chainId}` +
          (opts.signing === 'offline' ? `, ${presignedCount} txs signed in ${((signMsPerTx * presignedCount) / 1000).toFixed(1)} s (${(signMsPerTx * 1000).toFixed(0)} µs/tx)` : ', signing online'),
      );
    },

    async run(ctx: WorkloadContext, durationMs: number): Promise<void> {
      if (!prepared) throw new Error(`${KIND}: run() before prepare()`);
      const link = localAbort(ctx.signal, opts.maxInFlight + senders.length + 8);
      localSignal = link.signal;
      if (!commits && mode !== 'commit') {
        try {
          const status = await clients[0]!.call<{ sync_info: { latest_block_height: string } }>('status', {}, AbortSignal.any([link.signal, AbortSignal.timeout(10_000)]));
          commits = new CommitCounter(clients[0]!, Number(status.sync_info.latest_block_height), acceptedHashes);
        } catch (err) {
          counters.errors.add(`status before the window: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const loop = await pacedLoop({
        rate,
        tickMs,
        from: totals.cursor,
        limit: maxTxs,
        durationMs,
        batchSize,
        lanes: clients.length,
        laneOf: (i) => senders[i % senders.length]!.node,
        maxInFlight: opts.maxInFlight,
        inFlight: () => counters.inFlight,
        signal: link.signal,
        send,
      });
      link.unlink();
      totals.add(loop);
      ctx.log(`${KIND}: sent ${counters.sent}, accepted ${counters.accepted}, failed ${counters.failed}, sequence mismatches ${mismatches} in ${(totals.windowMs / 1000).toFixed(1)} s`);

      // Committed, bounded (skipped on abort: release() reads once instead).
      const deadline = performance.now() + opts.commitWaitMs;
      while (commits && !ctx.signal.aborted) {
        try {
          await commits.update(AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]), deadline);
        } catch (err) {
          counters.errors.add(`commit check: ${err instanceof Error ? err.message : String(err)}`);
          break;
        }
        if (commits.found >= counters.accepted || performance.now() >= deadline) break;
        await sleep(Math.min(250, deadline - performance.now()), ctx.signal);
      }
    },

    async release(): Promise<void> {
      if (commits && counters.sent > 0 && commits.found < counters.accepted) {
        await commits.update(AbortSignal.timeout(5_000), performance.now() + 5_000).catch(() => undefined);
      }
      for (const c of clients) c.close();
      for (const s of senders) s.presigned = [];
    },

    progress(): WorkloadProgress {
      return counters.progress();
    },

    stats(): WorkloadStats {
      const extra: Record<string, number | string> = {
        mode,
        signing: opts.signing,
        targetRate: rate,
        tickMs,
        senders: senders.length,
        batch: batchSize,
        ...counters.requestFigures(),
        sequenceMismatches: mismatches,
        ...totals.figures(counters.accepted),
        prepareMs: Math.round(prepareMs),
      };
      if (segmentText) extra.segment = segmentText;
      if (opts.signing === 'offline') {
        extra.signUsPerTx = Math.round(signMsPerTx * 1000);
        extra.presigned = presignedCount;
        extra.signedInWindow = signedInWindow;
      }
      for (const [code, n] of failedByCode) extra[`failed.code.${code}`] = n;
      if (mode === 'commit') {
        extra.committed = committedByAnswer;
        for (const [code, n] of deliverFailedByCode) extra[`inBlockFailed.code.${code}`] = n;
      } else if (commits) {
        extra.committed = commits.committed;
        extra.startHeight = commits.startHeight;
        extra.endHeight = commits.countedTo;
        for (const [code, n] of commits.failedByCode) extra[`inBlockFailed.code.${code}`] = n;
      }
      return counters.stats(KIND, totals.windowMs, extra);
    },
  };
}
