/**
 * The nodes the generators are compared on, started with the harness's own parts (the cache, the flavor,
 * the process runtime: test/support), every listener on 127.0.0.1, and the bodies each generator sends:
 * fresh ones for every run, so no run resends what an earlier one sent (geth would answer "already known",
 * CometBFT's cache would drop them), all of one kind and size.
 */
import { JsonRpcHttpClient } from '../../workloads/jsonrpc.ts';
import { presignTransfers } from '../../workloads/geth-presign.ts';
import { cometTxTag } from '../../workloads/comet-tx-flood.ts';
import { startTestComet } from '../../../test/support/comet.ts';
import { startTestGeth } from '../../../test/support/geth.ts';

export interface TargetNode {
  /** 'geth v1.17.10 --dev' */
  label: string;
  /** What one request carries, for the output. */
  request: string;
  url: string;
  /** `count` request bodies never sent before, one JSON-RPC request each. */
  bodies(count: number): Promise<string[]>;
  stop(): Promise<void>;
}

export interface TargetKind {
  name: string;
  start(log: (line: string) => void): Promise<TargetNode>;
}

const SENDERS = 100;

/**
 * geth --dev sealing as transactions arrive (dev.period 0), with pools big enough to keep what it
 * accepts (as bench 2): EIP-1559 transfers from funded senders, signed by geth-tx-flood's code.
 */
export const gethTarget: TargetKind = {
  name: 'geth',
  async start(log) {
    const geth = await startTestGeth({ devPeriod: 0, extraArgs: ['--txpool.globalslots', '200000', '--txpool.accountslots', '4000', '--txpool.globalqueue', '200000'] });
    const url = geth.node.endpoints.http!;
    const client = new JsonRpcHttpClient(url, { timeoutMs: 30_000, maxSockets: 4 });
    let seed = 1;
    return {
      label: 'geth v1.17.10 --dev',
      request: 'eth_sendRawTransaction, one EIP-1559 transfer',
      url,
      async bodies(count) {
        // Senders of their own for every run (another seed): a run that stops short leaves no nonce gap for the next.
        const signed = await presignTransfers(client, {
          seed: seed++,
          senderIds: Array.from({ length: Math.min(SENDERS, count) }, (_, i) => i),
          count,
          recipients: 16,
          maxFeePerGas: 2000n * 1_000_000_000n,
          maxPriorityFeePerGas: 1_000_000_000n,
          fundingTimeoutMs: 60_000,
          signal: AbortSignal.timeout(600_000),
          log,
        });
        return signed.frags;
      },
      async stop() {
        client.close();
        await geth.stop();
      },
    };
  },
};

/**
 * CometBFT (pinned version) with the in-memory kvstore app, a mempool big enough that it is not the
 * limit: broadcast_tx_async of unique `key=value` txs (comet-tx-flood's tag, a new salt every run).
 */
export const cometTarget: TargetKind = {
  name: 'cometbft',
  async start() {
    const net = await startTestComet({ app: 'kvstore', config: { 'mempool.size': 200_000, 'mempool.cache_size': 400_000 } });
    const url = net.nodes[0]!.endpoints.rpc!;
    let salt = 0;
    return {
      label: 'cometbft (kvstore)',
      request: 'broadcast_tx_async, one unique k=v tx',
      url,
      async bodies(count) {
        const tag = cometTxTag(1, `${Date.now().toString(36)}-${(salt++).toString(36)}`);
        return Array.from({ length: count }, (_, i) => {
          const tx = Buffer.from(`${tag}${i.toString(36)}=v${i.toString(36)}`).toString('base64');
          return `{"jsonrpc":"2.0","id":${i},"method":"broadcast_tx_async","params":{"tx":"${tx}"}}`;
        });
      },
      stop: () => net.stop(),
    };
  },
};
