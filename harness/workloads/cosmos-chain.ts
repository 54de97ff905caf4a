/**
 * What the cosmos workloads need to know about a simd node: its chain id, denom, bech32 prefix and how many
 * test accounts its genesis funds (the flavor's node details), and where its CometBFT RPC and REST (API
 * server, the gRPC gateway) listen. The details come from the flavor; the chain id falls back to what the
 * node itself says in /status, so a node started elsewhere (external runtime) still works.
 */
import { toBech32 } from '@cosmjs/encoding';
import { sha256 } from '@cosmjs/crypto';
import { UsageError } from '../errors.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { JsonRpcHttpClient } from './jsonrpc.ts';

export interface CosmosChain {
  chainId: string;
  denom: string;
  prefix: string;
  /** Test accounts funded in genesis (harness/nodes/cosmos-accounts.ts), when the flavor says. */
  accounts: number | undefined;
}

/** The CometBFT RPC URL of a simd node (`rpc`, else `http`). */
export function cometRpcUrl(node: RunningNode): string | undefined {
  return node.endpoints.rpc ?? node.endpoints.http;
}

/** Nodes of the run with a CometBFT RPC endpoint, or a one-line usage error naming the workload. */
export function cosmosNodes(kind: string, nodes: readonly RunningNode[], endpoint: 'rpc' | 'rest' = 'rpc'): RunningNode[] {
  const found = nodes.filter((n) => (endpoint === 'rpc' ? cometRpcUrl(n) : n.endpoints.rest) !== undefined);
  if (!found.length) throw new UsageError(`${kind}: the run has no simd node with a ${endpoint === 'rpc' ? 'CometBFT RPC' : 'REST (API server)'} endpoint`);
  return found;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The chain facts of a node: its details first, /status for the chain id when they lack it. */
export async function cosmosChain(node: RunningNode, rpc: JsonRpcHttpClient, signal?: AbortSignal): Promise<CosmosChain> {
  const d = node.details;
  // The simd flavor says `accounts: { count, balance }` (harness/nodes/simd.ts SimdNodeInfo).
  const count = (d.accounts as { count?: unknown } | undefined)?.count;
  const accounts = typeof count === 'number' ? count : undefined;
  let chainId = text(d.chainId);
  if (!chainId) {
    const status = await rpc.call<{ node_info: { network: string } }>('status', {}, signal);
    chainId = status.node_info.network;
  }
  return { chainId, denom: text(d.denom) ?? 'stake', prefix: text(d.prefix) ?? 'cosmos', accounts };
}

/** Checks that test accounts [first, first + count) are all funded in genesis, when the flavor says how many are. */
export function checkAccounts(kind: string, chain: CosmosChain, first: number, count: number, what: string): void {
  if (chain.accounts !== undefined && first + count > chain.accounts) {
    throw new UsageError(
      `${kind}: ${what} needs test accounts ${first}..${first + count - 1}, but the node's genesis funds ${chain.accounts} (raise the simd node's accounts option)`,
    );
  }
}

/** Recipient i of a bank-send run: an address derived from the seed that no test account holds. */
export function bankSendRecipient(seed: number, i: number, prefix = 'cosmos'): string {
  const hash = sha256(new TextEncoder().encode(`chainsoak/cosmos-bank-send/${seed}/recipient/${i}`));
  return toBech32(prefix, hash.slice(0, 20));
}

/** The SDK's "account sequence mismatch, expected 12, got 11": the sequence the node expects. */
export function expectedSequence(log: string | undefined): number | undefined {
  const m = /account sequence mismatch, expected (\d+), got (\d+)/.exec(log ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The SDK's code for a wrong sequence (ErrWrongSequence, codespace `sdk`). */
export const WRONG_SEQUENCE_CODE = 32;
