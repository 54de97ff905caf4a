/**
 * Funded senders and presigned value transfers for geth, shared by geth-tx-flood's prepare() and the
 * load-generator bench (harness/bench/loadgen): `senders` keys derived from the seed, funded from the dev
 * account (eth_accounts[0], eth_sendTransaction: geth --dev) and waited for, then `count` transfers signed
 * in send order (round robin over senders, sequential nonces per sender). Only the JSON-RPC request text of
 * each is kept, so whoever sends them only sends bytes.
 */
import { SigningKey, Transaction, computeAddress, getAddress, id, keccak256, toUtf8Bytes } from 'ethers';
import { JsonRpcError, JsonRpcHttpClient, hexToNumber } from './jsonrpc.ts';
import type { JsonRpcResponse } from './jsonrpc.ts';
import { sleep } from './stats.ts';

const GWEI = 1_000_000_000n;
const TRANSFER_GAS = 21_000n;
const VALUE_WEI = 1n;

export interface SenderInfo {
  address: string;
  startNonce: number;
  /** Transactions signed for this sender. */
  count: number;
}

export interface PresignOptions {
  /** Keys and recipients derive from it: another seed, other senders. */
  seed: number;
  /** Indices of the senders' keys (a segment owns some of them; see segment.ts). */
  senderIds: readonly number[];
  /** Transactions to sign. */
  count: number;
  recipients: number;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** Bound on waiting for funding receipts. */
  fundingTimeoutMs: number;
  signal: AbortSignal;
  log(message: string): void;
}

export interface PresignedTransfers {
  senders: SenderInfo[];
  /** Request text per tx in send order: {"jsonrpc":"2.0","id":i,"method":"eth_sendRawTransaction","params":["0x.."]} */
  frags: string[];
  signMsPerTx: number;
}

/** Errors name geth-tx-flood: the workload is what users meet them through. */
export async function presignTransfers(main: JsonRpcHttpClient, o: PresignOptions): Promise<PresignedTransfers> {
  const { signal, count: toSign } = o;
  const senderCount = o.senderIds.length;
  const chainId = BigInt(await main.call<string>('eth_chainId', [], signal));
  const accounts = await main.call<string[]>('eth_accounts', [], signal);
  if (!accounts?.length) {
    throw new Error('geth-tx-flood: the node has no unlocked account to fund senders from (needs geth --dev)');
  }
  const funder = accounts[0];
  // A chain before London (geth's dev chain up to v1.10.3) has no base fee and refuses type-2 transactions.
  const head = await main.call<{ baseFeePerGas?: string } | null>('eth_getBlockByNumber', ['latest', false], signal);
  const london = head?.baseFeePerGas !== undefined;

  // Keys and recipients from the seed.
  const keys: SigningKey[] = [];
  for (const i of o.senderIds) keys.push(new SigningKey(keccak256(toUtf8Bytes(`chainsoak/geth-tx-flood/${o.seed}/sender/${i}`))));
  const recipients: string[] = [];
  for (let i = 0; i < o.recipients; i++) {
    recipients.push(getAddress('0x' + id(`chainsoak/geth-tx-flood/${o.seed}/recipient/${i}`).slice(-40)));
  }
  const senders: SenderInfo[] = keys.map((k, s) => ({
    address: computeAddress(k),
    startNonce: 0,
    count: Math.floor(toSign / senderCount) + (s < toSign % senderCount ? 1 : 0),
  }));

  // Start nonces (a replay on the same chain continues where the last one stopped) and balances.
  const [nonces, balances] = await Promise.all([
    main.batchResults<string>(senders.map((s) => ({ method: 'eth_getTransactionCount', params: [s.address, 'pending'] })), signal),
    main.batchResults<string>(senders.map((s) => ({ method: 'eth_getBalance', params: [s.address, 'latest'] })), signal),
  ]);
  senders.forEach((s, i) => (s.startNonce = hexToNumber(nonces[i])));

  // Fund whoever is short, in batches of eth_sendTransaction, then wait for the receipts.
  const needed = (s: SenderInfo) => (BigInt(s.count) * (TRANSFER_GAS * o.maxFeePerGas + VALUE_WEI) * 11n) / 10n + GWEI * GWEI;
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
        signal,
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
    if (attempt >= 5 || signal.aborted) {
      throw new Error(`geth-tx-flood: could not fund ${unfunded.length} senders from ${funder}: ${lastError}`);
    }
    await sleep(300 * attempt, signal);
  }
  if (hashes.length) {
    o.log(`geth-tx-flood: funding ${hashes.length} senders from ${funder}`);
    const deadline = performance.now() + o.fundingTimeoutMs;
    let pending = hashes;
    while (pending.length) {
      if (signal.aborted) throw new Error('geth-tx-flood: aborted while waiting for funding');
      const answers = await main.batch<{ status: string } | null>(
        pending.map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })),
        signal,
      );
      const receipts = answers.map((a, i) => receiptOrPending(a, pending[i]));
      const bad = receipts.find((r) => r && r.status !== '0x1');
      if (bad) throw new Error('geth-tx-flood: a funding transaction failed');
      pending = pending.filter((_, i) => !receipts[i]);
      if (!pending.length) break;
      if (performance.now() > deadline) {
        throw new Error(`geth-tx-flood: ${pending.length} funding txs not mined after ${o.fundingTimeoutMs} ms`);
      }
      await sleep(250, signal);
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
        ...(london ? { type: 2, maxFeePerGas: o.maxFeePerGas, maxPriorityFeePerGas: o.maxPriorityFeePerGas } : { type: 0, gasPrice: o.maxFeePerGas }),
        data: '0x',
        nonce: 0,
      }),
  );
  const frags: string[] = new Array(toSign);
  for (let i = 0; i < toSign; i++) {
    const s = i % senderCount;
    const tx = templates[s];
    tx.signature = null;
    tx.nonce = senders[s].startNonce + Math.floor(i / senderCount);
    tx.to = recipients[i % o.recipients];
    tx.signature = keys[s].sign(tx.unsignedHash);
    frags[i] = `{"jsonrpc":"2.0","id":${i},"method":"eth_sendRawTransaction","params":["${tx.serialized}"]}`;
    if ((i & 511) === 511) {
      if (signal.aborted) throw new Error('geth-tx-flood: aborted while signing');
      await new Promise<void>((r) => setImmediate(r)); // let timers and signals through
    }
  }
  return { senders, frags, signMsPerTx: (performance.now() - ts) / toSign };
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
