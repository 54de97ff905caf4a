/**
 * The strict schema of every workload a scenario can name, apart from the workloads themselves: loading
 * and validating a scenario (`chainsoak validate`, the checks before a run) must not load ethers or cosmjs.
 * Adding a workload: its schema here, its implementation in registry.ts.
 */
import { z } from 'zod';
import { cometPeerChurnSchema } from './comet-peer-churn.ts';
import { cometStateSyncSchema } from './comet-state-sync.ts';
import { gethPeerChurnSchema } from './geth-peer-churn.ts';
import { wsStreamsSchema } from './ws-streams.ts';
import { gethStateIterationSchema } from './geth-state-iteration.ts';
import { fixtureOpsSchema } from './fixture-ops.ts';
import { cosmosBankSendSchema, cosmosQueriesSchema } from './cosmos-schemas.ts';

const positiveInt = z.number().int().positive();

export const workloadSchemas = {
  /** Pre-signed value transfers sent at a target rate through eth_sendRawTransaction. */
  'geth-tx-flood': z.strictObject({
    kind: z.literal('geth-tx-flood'),
    rate: z.number().positive().max(100_000),
    senders: positiveInt.max(10_000).default(50),
    // Every transaction is signed before the window (~0.3 ms and ~300 bytes each): bounded accordingly.
    maxTxs: positiveInt.max(1_000_000),
    batch: positiveInt.max(10_000).optional(),
  }),
  /** Websocket clients that subscribe, then stop reading (slow consumers), held until the run ends. */
  'geth-ws-zombies': z.strictObject({
    kind: z.literal('geth-ws-zombies'),
    clients: positiveInt.max(5_000),
    subscription: z.enum(['newHeads', 'logs', 'newPendingTransactions']).default('newHeads'),
  }),
  /** kvstore `key=value` txs broadcast to CometBFT/Tendermint nodes at a target rate (async, sync or commit). */
  'comet-tx-flood': z.strictObject({
    kind: z.literal('comet-tx-flood'),
    rate: z.number().positive().max(100_000),
    // Txs are built on the fly (nothing pre-signed), so the bound only limits the run.
    maxTxs: positiveInt.max(100_000_000),
    mode: z.enum(['async', 'sync', 'commit']).default('sync'),
    keys: z.enum(['unique', 'reused']).default('unique'),
    reusedKeys: positiveInt.max(10_000_000).default(100),
    valueBytes: positiveInt.max(1_000_000).default(32),
    transport: z.enum(['cosmjs', 'cosmjs-http', 'raw']).optional(),
    batch: positiveInt.max(1_000).optional(),
    maxInFlight: positiveInt.max(1_000).optional(),
  }),
  /** Fresh nodes joining through state sync again and again (CometBFT e2e app snapshots). */
  'comet-state-sync': cometStateSyncSchema,
  /** debug_accountRange / debug_dumpBlock / debug_traceBlockByNumber at a rate, under load. */
  'geth-state-iteration': gethStateIterationSchema,
  /** admin_addPeer / admin_removePeer cycles between geth p2p nodes (network: 'p2p'). */
  'geth-peer-churn': gethPeerChurnSchema,
  /** dial_peers (unsafe RPC, loopback) to a target node, then dropping it by stopping it, in cycles. */
  'comet-peer-churn': cometPeerChurnSchema,
  /** Websocket subscriptions (geth eth_subscribe, CometBFT subscribe) opened and ended every way clients end them. */
  'ws-streams': wsStreamsSchema,
  /** Operations on leaky-node nodes (the Go leak fixture) at a target rate: POST /op?n=<batch>. */
  'fixture-ops': fixtureOpsSchema,
  /** Bank MsgSend transfers from simd's genesis-funded test accounts at a target rate. */
  'cosmos-bank-send': cosmosBankSendSchema,
  /** Bank, auth, tx-search and block queries over simd's REST (gRPC gateway) at a target rate. */
  'cosmos-queries': cosmosQueriesSchema,
} as const;

export const workloadSchema = z.discriminatedUnion('kind', [
  workloadSchemas['geth-tx-flood'],
  workloadSchemas['geth-ws-zombies'],
  workloadSchemas['comet-tx-flood'],
  workloadSchemas['comet-state-sync'],
  workloadSchemas['geth-state-iteration'],
  workloadSchemas['geth-peer-churn'],
  workloadSchemas['comet-peer-churn'],
  workloadSchemas['ws-streams'],
  workloadSchemas['fixture-ops'],
  workloadSchemas['cosmos-bank-send'],
  workloadSchemas['cosmos-queries'],
]);

export type WorkloadDecl = z.input<typeof workloadSchema>;
export type ParsedWorkload = z.output<typeof workloadSchema>;
