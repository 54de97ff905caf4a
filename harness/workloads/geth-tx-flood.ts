/**
 * geth-tx-flood: pre-signed EIP-1559 value transfers sent with eth_sendRawTransaction at a target rate
 * (legacy EIP-155 transfers on a chain without a base fee: before London, geth's dev chain up to v1.10.3).
 *
 * prepare(): derives `senders` keys from the seed, funds them from the dev account (eth_accounts[0],
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
import { SigningKey, Transaction, computeAddress, getAddress, id, keccak256, toUtf8Bytes } from 'ethers';
import type { RunningNode } from '../runtimes/runtime.ts';
import { JsonRpcError, JsonRpcHttpClient, hexToNumber } from './jsonrpc.ts';
import type { JsonRpcResponse } from './jsonrpc.ts';
import { PacedTotals, pacedLoop } from './paced-loop.ts';
import { ownedItems, WHOLE } from './segment.ts';
import { ErrorSample, LatencyHistogram, localAbort, sleep, windowStats } from './stats.ts';
import type { OptionsOf } from './schemas.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';

/** Every option, as the scenario sets it (schemas.ts has each field's bound; the defaults are below). */
export type GethTxFloodOptions = OptionsOf<'geth-tx-flood'>;

const GWEI = 1_000_000_000n;
const TRANSFER_GAS = 21_000n;
const VALUE_WEI = 1n;

interface SenderInfo {
  address: string;
  startNonce: number;
  count: number;
}

export function gethTxFlood(opts: GethTxFloodOptions): Workload {
  const rate = opts.rate;
  /** This process's senders: all of them, or the ones its segment owns (set in prepare). */
  let senderCount = Math.floor(opts.senders ?? 50); // the schema's default
  const maxTxs = Math.floor(opts.maxTxs);
  const batchSize = Math.max(1, Math.floor(opts.batch ?? 100));
  const tickMs = Math.max(1, opts.tickMs ?? Math.min(100, Math.max(20, Math.round(8000 / opts.rate))));
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
  let sent = 0;
  let accepted = 0;
  let failed = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let requests = 0;
  let included: number | undefined;
  const totals = new PacedTotals();
  let laneNames: string[] = [];
  const hist = new LatencyHistogram();
  const errors = new ErrorSample(10);

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

  function handleAnswer(text: string, n: number, ms: number): void {
    hist.recordN(ms, n);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      failed += n;
      errors.add(`invalid JSON answer: ${text.slice(0, 120)}`);
      return;
    }
    if (batchSize > 1 && !Array.isArray(parsed)) {
      // The node rejected the batch as a whole (e.g. batch too large).
      failed += n;
      const e = (parsed as JsonRpcResponse | null)?.error;
      errors.add(`batch rejected: ${e?.message ?? text.slice(0, 120)}`);
      return;
    }
    const items = (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcResponse<string>[];
    let ok = 0;
    for (const item of items) {
      if (item && typeof item.result === 'string') ok++;
      else errors.add(item?.error?.message ?? `unexpected answer: ${JSON.stringify(item).slice(0, 120)}`);
    }
    if (ok > n) ok = n;
    accepted += ok;
    failed += n - ok;
  }

  function send(client: JsonRpcHttpClient, parts: string[], signal: AbortSignal): Promise<void> {
    const n = parts.length;
    const body = batchSize === 1 ? parts[0] : '[' + parts.join(',') + ']';
    sent += n;
    requests++;
    inFlight++;
    if (inFlight > peakInFlight) peakInFlight = inFlight;
    const t = performance.now();
    return client.postRaw(body, signal).then(
      (text) => {
        inFlight--;
        handleAnswer(text, n, performance.now() - t);
      },
      (err: unknown) => {
        inFlight--;
        failed += n;
        errors.add(err instanceof Error ? err.message : String(err));
      },
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
      const main = clients[0];
      const chainId = BigInt(await main.call<string>('eth_chainId', [], ctx.signal));
      const accounts = await main.call<string[]>('eth_accounts', [], ctx.signal);
      if (!accounts?.length) {
        throw new Error('geth-tx-flood: the node has no unlocked account to fund senders from (needs geth --dev)');
      }
      const funder = accounts[0];
      // A chain before London (geth's dev chain up to v1.10.3) has no base fee and refuses type-2 transactions.
      const head = await main.call<{ baseFeePerGas?: string } | null>('eth_getBlockByNumber', ['latest', false], ctx.signal);
      const london = head?.baseFeePerGas !== undefined;

      // Keys and recipients from the seed.
      const keys: SigningKey[] = [];
      for (const i of senderIds) keys.push(new SigningKey(keccak256(toUtf8Bytes(`chainsoak/geth-tx-flood/${ctx.seed}/sender/${i}`))));
      const recipients: string[] = [];
      for (let i = 0; i < recipientCount; i++) {
        recipients.push(getAddress('0x' + id(`chainsoak/geth-tx-flood/${ctx.seed}/recipient/${i}`).slice(-40)));
      }
      senders = keys.map((k, s) => ({
        address: computeAddress(k),
        startNonce: 0,
        count: Math.floor(toSign / senderCount) + (s < toSign % senderCount ? 1 : 0),
      }));

      // Start nonces (a replay on the same chain continues where the last one stopped) and balances.
      const [nonces, balances] = await Promise.all([
        main.batchResults<string>(senders.map((s) => ({ method: 'eth_getTransactionCount', params: [s.address, 'pending'] })), ctx.signal),
        main.batchResults<string>(senders.map((s) => ({ method: 'eth_getBalance', params: [s.address, 'latest'] })), ctx.signal),
      ]);
      senders.forEach((s, i) => (s.startNonce = hexToNumber(nonces[i])));

      // Fund whoever is short, in batches of eth_sendTransaction, then wait for the receipts.
      const needed = (s: SenderInfo) => (BigInt(s.count) * (TRANSFER_GAS * maxFeePerGas + VALUE_WEI) * 11n) / 10n + GWEI * GWEI;
      const toFund = senders.filter((s, i) => BigInt(balances[i]) < needed(s));
      // geth assigns the funder's nonces; while its txpool resets on a new block it can hand out a nonce
      // twice ("replacement transaction underpriced"), so entries that fail are sent again, a few times.
      const hashes: string[] = [];
      let unfunded = toFund;
      for (let attempt = 1; unfunded.length; attempt++) {
        const retry: SenderInfo[] = [];
        let lastError = '';
        for (let i = 0; i < unfunded.length; i += 200) {
          const chunk = unfunded.slice(i, i + 200);
          const res = await main.batch<string>(
            chunk.map((s) => ({
              method: 'eth_sendTransaction',
              params: [{ from: funder, to: s.address, value: '0x' + needed(s).toString(16) }],
            })),
            ctx.signal,
          );
          res.forEach((r, k) => {
            if (typeof r.result === 'string') hashes.push(r.result);
            else {
              retry.push(chunk[k]);
              lastError = r.error?.message ?? 'no result';
            }
          });
        }
        unfunded = retry;
        if (!unfunded.length) break;
        if (attempt >= 5 || ctx.signal.aborted) {
          throw new Error(`geth-tx-flood: could not fund ${unfunded.length} senders from ${funder}: ${lastError}`);
        }
        await sleep(300 * attempt, ctx.signal);
      }
      if (hashes.length) {
        ctx.log(`geth-tx-flood: funding ${hashes.length} senders from ${funder}`);
        const deadline = performance.now() + fundingTimeoutMs;
        let pending = hashes;
        while (pending.length) {
          if (ctx.signal.aborted) throw new Error('geth-tx-flood: aborted while waiting for funding');
          const answers = await main.batch<{ status: string } | null>(
            pending.map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })),
            ctx.signal,
          );
          const receipts = answers.map((a, i) => receiptOrPending(a, pending[i]));
          const bad = receipts.find((r) => r && r.status !== '0x1');
          if (bad) throw new Error('geth-tx-flood: a funding transaction failed');
          pending = pending.filter((_, i) => !receipts[i]);
          if (!pending.length) break;
          if (performance.now() > deadline) {
            throw new Error(`geth-tx-flood: ${pending.length} funding txs not mined after ${fundingTimeoutMs} ms`);
          }
          await sleep(250, ctx.signal);
        }
      }

      // Sign everything now, in send order: round robin over senders, sequential nonces per sender.
      const ts = performance.now();
      const templates = keys.map(
        () =>
          Transaction.from({
            chainId,
            to: recipients[0],
            value: VALUE_WEI,
            gasLimit: TRANSFER_GAS,
            // Legacy (EIP-155) transactions pay maxFeePerGas per gas: what the senders were funded for.
            ...(london ? { type: 2, maxFeePerGas, maxPriorityFeePerGas } : { type: 0, gasPrice: maxFeePerGas }),
            data: '0x',
            nonce: 0,
          }),
      );
      frags = new Array(toSign);
      for (let i = 0; i < toSign; i++) {
        const s = i % senderCount;
        const tx = templates[s];
        tx.signature = null;
        tx.nonce = senders[s].startNonce + Math.floor(i / senderCount);
        tx.to = recipients[i % recipientCount];
        tx.signature = keys[s].sign(tx.unsignedHash);
        frags[i] = `{"jsonrpc":"2.0","id":${i},"method":"eth_sendRawTransaction","params":["${tx.serialized}"]}`;
        if ((i & 511) === 511) {
          if (ctx.signal.aborted) throw new Error('geth-tx-flood: aborted while signing');
          await new Promise<void>((r) => setImmediate(r)); // let timers and signals through
        }
      }
      signMsPerTx = (performance.now() - ts) / toSign;
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
        inFlight: () => inFlight,
        signal,
        send: (lane, items) => send(clients[lane], items.map((i) => frags[i]), signal),
      });
      link.unlink();
      totals.add(loop);
      ctx.log(`geth-tx-flood: sent ${sent}, accepted ${accepted}, failed ${failed} in ${(totals.windowMs / 1000).toFixed(1)} s`);

      // Inclusion, bounded (skipped on abort: release() checks once instead).
      const deadline = performance.now() + inclusionWaitMs;
      while (!ctx.signal.aborted) {
        try {
          included = await countIncluded(AbortSignal.timeout(5_000));
        } catch (err) {
          errors.add(`inclusion check: ${err instanceof Error ? err.message : String(err)}`);
          break;
        }
        if (included >= accepted || performance.now() >= deadline) break;
        await sleep(Math.min(500, deadline - performance.now()), ctx.signal);
      }
    },

    async release(): Promise<void> {
      if (prepared && sent > 0 && (included === undefined || included < accepted)) {
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
      return { sent, accepted, failed, latency: hist, perNode: totals.sentPerNode(laneNames) };
    },

    stats(): WorkloadStats {
      const extra: Record<string, number | string> = {
        targetRate: rate,
        tickMs,
        senders: senderCount,
        batch: batchSize,
        requests,
        peakInFlight,
        ...totals.figures(accepted),
        signUsPerTx: Math.round(signMsPerTx * 1000),
        prepareMs: Math.round(prepareMs),
      };
      if (included !== undefined) extra.included = included;
      return windowStats('geth-tx-flood', { sent, accepted, failed, windowMs: totals.windowMs, hist, errors, extra });
    },
  };
}

/**
 * A receipt, or null while it is not available yet. geth answers "transaction indexing is in progress"
 * while its tx indexer catches up after start (seen on a fresh --dev node in CI): that is "not yet", not a
 * failure. Any other error is.
 */
function receiptOrPending(
  answer: JsonRpcResponse<{ status: string } | null>,
  hash: string,
): { status: string } | null {
  if (!answer.error) return answer.result ?? null;
  if (/indexing is in progress/i.test(answer.error.message)) return null;
  throw new JsonRpcError(answer.error, `eth_getTransactionReceipt ${hash}`);
}
