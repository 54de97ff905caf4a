/**
 * The scenario schemas of the cosmos workloads (simd nodes), apart from their code: validating a scenario
 * must not load cosmjs. Documented in docs/workloads.md.
 */
import { z } from 'zod';
import { durationMs } from '../scenario/fields.ts';

const positiveInt = z.number().int().positive();
const weight = z.number().min(0).max(1_000_000);

export const cosmosBankSendSchema = z.strictObject({
  kind: z.literal('cosmos-bank-send'),
  /** Transactions per second over all senders. */
  rate: z.number().positive().max(100_000),
  // Offline signing signs up to this many before the window (~1 ms and ~250 bytes each).
  maxTxs: positiveInt.max(1_000_000),
  /** Sending test accounts (each strictly ordered in its own sequences); at most the node's funded accounts. */
  senders: positiveInt.max(10_000).default(10),
  /** Test account index of the first sender: workloads that send at once use disjoint accounts. */
  firstAccount: z.number().int().min(0).max(1_000_000).default(0),
  mode: z.enum(['sync', 'async', 'commit']).default('sync'),
  signing: z.enum(['offline', 'online']).default('offline'),
  /** Sent by each tx, in the chain's denom. */
  amount: positiveInt.max(1_000_000_000).default(1),
  /** Fee of each tx in the chain's denom (0: none). */
  fee: z.number().int().min(0).max(1_000_000_000).default(2_000),
  gas: positiveInt.max(100_000_000).default(200_000),
  /** Memo length (the SDK's default limit is 256). */
  memoBytes: z.number().int().min(0).max(256).default(0),
  /** Seed-derived recipient addresses. */
  recipients: positiveInt.max(10_000).default(16),
  /** Most txs in one JSON-RPC batch (CometBFT's default rpc.max_request_batch_size is 10). */
  batch: positiveInt.max(1_000).default(10),
  /** Most requests open or queued at once, over all senders. */
  maxInFlight: positiveInt.max(1_000).default(64),
  commitWaitMs: durationMs().default(10_000),
});

export const COSMOS_QUERY_KINDS = ['balances', 'account', 'txSearch', 'latestBlock'] as const;
export type CosmosQueryKind = (typeof COSMOS_QUERY_KINDS)[number];

export const cosmosQueriesSchema = z.strictObject({
  kind: z.literal('cosmos-queries'),
  /** Queries per second, all kinds together. */
  rate: z.number().positive().max(10_000),
  maxQueries: positiveInt.max(100_000_000),
  /** Relative weight of each query kind; a kind left out is not asked. */
  weights: z
    .strictObject({ balances: weight.optional(), account: weight.optional(), txSearch: weight.optional(), latestBlock: weight.optional() })
    .refine((w) => Object.values(w).some((v) => v !== undefined && v > 0), { message: 'at least one query kind needs a weight above 0' })
    .default({ balances: 1, account: 1, txSearch: 1, latestBlock: 1 }),
  /** Test accounts the queries ask about (drawn from the seed): indices firstAccount .. firstAccount + accounts - 1. */
  accounts: positiveInt.max(10_000).default(10),
  firstAccount: z.number().int().min(0).max(1_000_000).default(0),
  /** txSearch page size. */
  pageSize: positiveInt.max(100).default(10),
  maxInFlight: positiveInt.max(256).default(8),
  requestTimeoutMs: durationMs().default(10_000),
});
