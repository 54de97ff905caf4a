/**
 * Which of a run's accepted transactions made it into blocks, and with what result: after the window,
 * blocks (start, latest] are read from CometBFT's RPC (`block`, 10 per JSON-RPC batch: CometBFT's default
 * rpc.max_request_batch_size), each tx's hash (sha256 of its bytes, as broadcast_tx_* returns it) is looked
 * up among the run's accepted hashes, and only blocks holding some of them have their `block_results` read
 * for the DeliverTx (ExecTxResult) codes. Txs of other clients are not counted. Each height is read once
 * over repeated calls, so waiting for the last txs to land costs only the new blocks.
 */
import { createHash } from 'node:crypto';
import type { JsonRpcHttpClient } from './jsonrpc.ts';

const BATCH = 10;

type Block = { block: { header: { height: string }; data: { txs: string[] | null } } };
type BlockResults = { txs_results: Array<{ code?: number }> | null };

export class CommitCounter {
  /** Accepted txs found in blocks with code 0. */
  committed = 0;
  /** Accepted txs found in blocks with a non-zero code, by code. */
  readonly failedByCode = new Map<number, number>();
  /** Last height read. */
  countedTo: number;

  constructor(
    private readonly rpc: JsonRpcHttpClient,
    /** Height before the window: blocks above it are read. */
    readonly startHeight: number,
    /** Hashes (upper-case hex) of the accepted txs. */
    private readonly accepted: ReadonlySet<string>,
  ) {
    this.countedTo = startHeight;
  }

  /** Accepted txs found in blocks so far, whatever their code. */
  get found(): number {
    let n = this.committed;
    for (const v of this.failedByCode.values()) n += v;
    return n;
  }

  /** Reads the blocks not read yet, up to the node's latest, stopping between requests once `deadline` passes. */
  async update(signal: AbortSignal | undefined, deadline = Infinity): Promise<void> {
    const status = await this.rpc.call<{ sync_info: { latest_block_height: string } }>('status', {}, signal);
    // Not the latest block itself: CometBFT stores a block before its results, and `block_results` of the
    // latest height can answer "Internal error" for that moment. Blocks keep coming, so the next call reads it.
    const top = Number(status.sync_info.latest_block_height) - 1;
    while (this.countedTo < top && performance.now() < deadline) {
      const heights: number[] = [];
      for (let h = this.countedTo + 1; h <= Math.min(top, this.countedTo + BATCH); h++) heights.push(h);
      const blocks = await this.many<Block>('block', heights, signal);
      // Positions of our txs in each block, for the blocks that hold any.
      const ours = new Map<number, number[]>();
      blocks.forEach((b, k) => {
        const txs = b.block.data.txs ?? [];
        const mine: number[] = [];
        txs.forEach((tx, pos) => {
          if (this.accepted.has(txHash(tx))) mine.push(pos);
        });
        if (mine.length) ours.set(heights[k]!, mine);
      });
      if (ours.size) {
        const withOurs = [...ours.keys()];
        const results = await this.many<BlockResults>('block_results', withOurs, signal);
        results.forEach((r, k) => {
          for (const pos of ours.get(withOurs[k]!)!) {
            const code = r.txs_results?.[pos]?.code ?? 0;
            if (code === 0) this.committed++;
            else this.failedByCode.set(code, (this.failedByCode.get(code) ?? 0) + 1);
          }
        });
      }
      this.countedTo = heights[heights.length - 1]!;
    }
  }

  /** One call per height; CometBFT answers a one-entry batch with a plain object, so one height is a plain call. */
  private async many<T>(method: string, heights: number[], signal: AbortSignal | undefined): Promise<T[]> {
    if (heights.length === 1) return [await this.rpc.call<T>(method, { height: String(heights[0]) }, signal)];
    return this.rpc.batchResults<T>(
      heights.map((h) => ({ method, params: { height: String(h) } })),
      signal,
    );
  }
}

/** CometBFT's tx hash: sha256 of the tx bytes, upper-case hex; `tx` is base64 as blocks hold it. */
export function txHash(base64: string): string {
  return createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex').toUpperCase();
}
