/**
 * The strict schema of every workload a scenario can name, apart from the workloads themselves: loading
 * and validating a scenario (`chainsoak validate`, the checks before a run) must not load ethers or cosmjs.
 * Adding a workload: its schema here, its implementation in registry.ts.
 */
import { z } from 'zod';
import { durationMs } from '../scenario/fields.ts';
import { cometPeerChurnSchema } from './comet-peer-churn.ts';
import { cometStateSyncSchema } from './comet-state-sync.ts';
import { gethPeerChurnSchema } from './geth-peer-churn.ts';
import { wsStreamsSchema } from './ws-streams.ts';
import { gethStateIterationSchema } from './geth-state-iteration.ts';
import { fixtureOpsSchema } from './fixture-ops.ts';
import { isDefinedEntry, isWorkloadDefinition, parseDefinedEntry, type ParsedDefinedEntry, type WorkloadDefinition } from './define.ts';
import type { ExecutorInput } from './executor/config.ts';
import { cosmosBankSendSchema, cosmosQueriesSchema } from './cosmos-schemas.ts';

const positiveInt = z.number().int().positive();
/** A duration above 0 ('10s' or milliseconds), up to `max` ms. */
const positiveMs = (max: number) => durationMs(max).refine((ms) => ms > 0, { message: 'expected a duration above 0' });

export const workloadSchemas = {
  /** Pre-signed value transfers sent at a target rate through eth_sendRawTransaction. */
  'geth-tx-flood': z.strictObject({
    kind: z.literal('geth-tx-flood'),
    rate: z.number().positive().max(100_000),
    senders: positiveInt.max(10_000).default(50),
    // Every transaction is signed before the window (~0.3 ms and ~300 bytes each): bounded accordingly.
    maxTxs: positiveInt.max(1_000_000),
    batch: positiveInt.max(10_000).optional(),
    // The fields below have defaults that the workload computes (geth-tx-flood.ts): optional here.
    /** Pacing tick in ms. Default (paced-loop.ts defaultTickMs): about 8 txs per tick, 20-100 ms; 2-100 ms with batch 1. */
    tickMs: positiveMs(1_000).optional(),
    /** Most HTTP requests open at once (over all nodes, plus at most nodes-1). Default 32. */
    maxInFlight: positiveInt.max(10_000).optional(),
    /** Number of seed-derived recipient addresses. Default 16. */
    recipients: positiveInt.max(10_000).optional(),
    /** maxFeePerGas in gwei; generous so rising base fees under load do not strand txs. Default 2000. */
    maxFeePerGasGwei: z.number().positive().max(1_000_000).optional(),
    /** maxPriorityFeePerGas in gwei. Default 1. */
    maxPriorityFeePerGasGwei: z.number().min(0).max(1_000_000).optional(),
    /** Per-request timeout. Default 10,000 ms. */
    requestTimeoutMs: positiveMs(600_000).optional(),
    /** Bound on waiting for funding receipts. Default 60,000 ms. */
    fundingTimeoutMs: positiveMs(3_600_000).optional(),
    /** After the window, wait up to this long for accepted txs to be included. Default 5,000 ms. */
    inclusionWaitMs: durationMs(600_000).optional(),
  }),
  /** Websocket clients that subscribe, then stop reading (slow consumers), held until the run ends. */
  'geth-ws-zombies': z.strictObject({
    kind: z.literal('geth-ws-zombies'),
    clients: positiveInt.max(5_000),
    subscription: z.enum(['newHeads', 'logs', 'newPendingTransactions']).default('newHeads'),
    /** How long run() waits after opening before it returns (zombies stay open until release()). Default: the phase. */
    holdMs: durationMs().optional(),
    /** Bound on the connect, and on the subscribe answer, of one client. Default 10,000 ms. */
    connectTimeoutMs: positiveMs(600_000).optional(),
    /** Connections being opened at the same time. Default 32. */
    concurrency: positiveInt.max(1_000).optional(),
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
    // Defaults that depend on the mode (comet-tx-flood.ts): optional here.
    /** Pacing tick in ms. Default: about 8 txs per tick, between 20 and 100 ms. */
    tickMs: positiveMs(1_000).optional(),
    /** Per-request timeout. Default 10,000 ms; commit mode 15,000 ms (the node gives up at 10 s). */
    requestTimeoutMs: positiveMs(600_000).optional(),
    /** After the window, wait up to this long for accepted txs to be committed. Default 10,000 ms. */
    commitWaitMs: durationMs(600_000).optional(),
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
/**
 * A workload's options as its implementation takes them, derived from its schema: parsed values
 * (durations in ms), without `kind`; the fields a scenario may leave out may be left out here too
 * (tests build workloads directly), and the implementation applies the same defaults.
 */
export type OptionsOf<K extends keyof typeof workloadSchemas> = Partial<Parsed<K>> & Pick<Parsed<K>, RequiredKeys<Omit<z.input<(typeof workloadSchemas)[K]>, 'kind'>> & keyof Parsed<K>>;
type Parsed<K extends keyof typeof workloadSchemas> = Omit<z.output<(typeof workloadSchemas)[K]>, 'kind'>;
type RequiredKeys<T> = { [P in keyof T]-?: object extends Pick<T, P> ? never : P }[keyof T];
export type ParsedWorkload = z.output<typeof workloadSchema>;

/** A workload named by its file, relative to the scenario file: './workloads/filters.ts'. */
export type WorkloadFileKind = `./${string}` | `../${string}` | `/${string}`;

export function isWorkloadFile(kind: unknown): kind is WorkloadFileKind {
  return typeof kind === 'string' && /^(\.{1,2})?\//.test(kind);
}

/**
 * A scenario's entry for a workload of its own: a defineWorkload() result (imported; `definition.with()`
 * types its options) or its file. Options are checked against the definition's schema on validation.
 */
export type DefinedWorkloadDecl = { kind: WorkloadDefinition | WorkloadFileKind; executor?: ExecutorInput; [option: string]: unknown };

/**
 * One entry of `phases[].workloads`: a built-in (by kind name, its strict schema above) or a defined
 * workload (parsed to { kind: definition, executor, options }). Issues keep their paths, so a typo reads
 * `phases[0].workloads[0].pollEvry: unknown key (workload ./workloads/filters.ts)`.
 */
export const workloadEntrySchema = z.unknown().transform((input, ctx) => {
  const kind = (input as { kind?: unknown } | null)?.kind;
  if (isWorkloadFile(kind)) {
    ctx.addIssue({ code: 'custom', path: ['kind'], message: `${kind}: a workload file loads with its scenario file (loadScenarioFile, the CLI); from code, import the workload and give it as kind` });
    return z.NEVER;
  }
  const parsed = isWorkloadDefinition(kind) ? parseDefinedEntry(input as Record<string, unknown>, kind) : builtIn(input);
  if (parsed.data === undefined) {
    for (const issue of parsed.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }
  return parsed.data;
}) as unknown as z.ZodType<ParsedWorkload | ParsedDefinedEntry, WorkloadDecl | DefinedWorkloadDecl>;

function builtIn(input: unknown): { data?: ParsedWorkload; issues: z.core.$ZodIssue[] } {
  const kind = (input as { kind?: unknown } | null)?.kind;
  if (typeof kind === 'string' && !Object.hasOwn(workloadSchemas, kind)) {
    const message = `unknown workload kind; known: ${Object.keys(workloadSchemas).join(', ')}, or a workload file ('./workloads/x.ts')`;
    return { issues: [{ code: 'custom', path: ['kind'], message, input: kind }] };
  }
  const r = workloadSchema.safeParse(input);
  return r.success ? { data: r.data, issues: [] } : { issues: r.error.issues };
}

export type WorkloadEntry = ParsedWorkload | ParsedDefinedEntry;

/** A workload entry's kind as stats and reports name it: a built-in's kind, or a defined workload's own. */
export function entryKind(entry: WorkloadEntry): string {
  return isDefinedEntry(entry) ? entry.kind.kind : entry.kind;
}
