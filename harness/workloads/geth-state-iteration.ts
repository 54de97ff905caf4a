/**
 * geth-state-iteration: the debug API calls that walk the state trie or re-execute blocks, at a target
 * rate, against geth nodes (beside a tx flood: state iteration under load). Methods (geth v1.17.10,
 * eth/api_debug.go and eth/tracers/api.go; the node's --http.api must include `debug`):
 *
 *  - `debug_accountRange(blockNrOrHash, start, maxResults, nocode, nostorage, incompletes)`: one page of at
 *    most `pageSize` (geth caps it at 256) accounts from `start` (a hashed-key cursor, hex). The workload
 *    pages through the whole state: each answer's `next` is the next request's start; a page without
 *    `next` ends a pass (`extra.accountRangePasses`) and the cursor goes back to 0x. `incompletes` is true
 *    (accounts whose address preimage geth does not have still count, keyed by hash).
 *  - `debug_dumpBlock(blockNr)`: the state at a block, accounts with known addresses, code and storage,
 *    at most 256 accounts (geth's sanity limit).
 *  - `debug_traceBlockByNumber(blockNr, config)`: re-executes every tx of the block on its parent's state
 *    with `tracer` (callTracer by default; 'structLogs' is geth's default opcode logger). Genesis cannot be
 *    traced, so the block is never below 1.
 *
 * Which method each request calls is drawn by `weights` from the seed. The block is the head (`block:
 * 'latest'`) or a random one of the last `recentBlocks` (`'recent'`; a path-scheme node keeps the state of
 * the last 128 blocks). The head is read with eth_blockNumber at most every 500 ms, outside the counters.
 *
 * Runs on the shared executor (executor/, constant-arrival-rate, one client per node). Bounded: at most
 * maxRequests, never past the phase, at most maxInFlight requests open, each with a timeout. Latency of a
 * request is its round trip, per method (the executor's tags) and overall.
 */
import { z } from 'zod';
import type { RunningNode } from '../runtimes/runtime.ts';
import { seededRandom } from '../scenario/random.ts';
import { JsonRpcHttpClient, hexToNumber, type JsonRpcResponse } from './jsonrpc.ts';
import { defineWorkload, definedEntry } from './define.ts';
import { definedWorkload } from './executor/workload.ts';
import { sleep } from './stats.ts';
import type { Workload } from './workload.ts';

export const STATE_METHODS = ['debug_accountRange', 'debug_dumpBlock', 'debug_traceBlockByNumber'] as const;
export type StateMethod = (typeof STATE_METHODS)[number];

const weight = z.number().min(0).max(1_000_000);

export const gethStateIterationSchema = z.strictObject({
  kind: z.literal('geth-state-iteration'),
  /** Requests per second (all methods together). */
  rate: z.number().positive().max(10_000),
  /** Hard bound on requests sent. */
  maxRequests: z.number().int().positive().max(10_000_000),
  /** Relative weight of each method; a method left out is not called. Default: all three, equal. */
  weights: z
    .strictObject({ debug_accountRange: weight.optional(), debug_dumpBlock: weight.optional(), debug_traceBlockByNumber: weight.optional() })
    .refine((w) => Object.values(w).some((v) => v !== undefined && v > 0), { message: 'at least one method needs a weight above 0' })
    .default({ debug_accountRange: 1, debug_dumpBlock: 1, debug_traceBlockByNumber: 1 }),
  /** 'latest': the head; 'recent': a random block among the last `recentBlocks`. */
  block: z.enum(['latest', 'recent']).default('latest'),
  recentBlocks: z.number().int().positive().max(128).default(32),
  /** debug_accountRange page size (geth caps it at 256). */
  pageSize: z.number().int().positive().max(256).default(256),
  /** debug_accountRange: include contract code / storage (nocode / nostorage false). */
  code: z.boolean().default(false),
  storage: z.boolean().default(false),
  /** debug_traceBlockByNumber tracer. */
  tracer: z.enum(['callTracer', 'prestateTracer', 'structLogs']).default('callTracer'),
  maxInFlight: z.number().int().positive().max(256).default(4),
  requestTimeoutMs: z.number().int().positive().max(600_000).default(30_000),
});

export type GethStateIterationOptions = z.output<typeof gethStateIterationSchema>;

interface Dump {
  root?: string;
  accounts?: Record<string, unknown>;
  next?: string;
}

interface TraceEntry {
  txHash?: string;
  result?: unknown;
  error?: string;
}

/** geth-state-iteration on the shared executor: a constant arrival rate of debug calls, one client per node. */
export const gethStateIterationWorkload = defineWorkload({
  kind: 'geth-state-iteration',
  options: gethStateIterationSchema.omit({ kind: true }),
  flavors: ['geth'],
  nodes: (n) => n.endpoints.http !== undefined && n.isRunning(),
  executor: (o) => ({
    type: 'constant-arrival-rate',
    rate: o.rate,
    maxOps: o.maxRequests,
    maxInFlight: o.maxInFlight,
    tickMs: Math.max(10, Math.min(100, Math.round(1000 / o.rate))),
  }),
  create(opts, ctx) {
    const methods = STATE_METHODS.filter((m) => (opts.weights[m] ?? 0) > 0);
    const weights = methods.map((m) => opts.weights[m]!);
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    const random = seededRandom(ctx.seed, 'geth-state-iteration');
    let accounts = 0;
    let passes = 0;
    let pages = 0;
    let tracedTxs = 0;
    let responseBytes = 0;
    let cursor = '0x';
    let head = 0;
    let headReadAt = 0;
    let headReading: Promise<void> | undefined;
    const newClient = (node: RunningNode) => new JsonRpcHttpClient(node.endpoints.http!, { timeoutMs: opts.requestTimeoutMs, maxSockets: Math.max(4, opts.maxInFlight) });

    async function readHead(client: JsonRpcHttpClient, signal?: AbortSignal): Promise<void> {
      head = hexToNumber(await client.call<string>('eth_blockNumber', [], signal));
      headReadAt = performance.now();
    }

    function blockFor(method: StateMethod): number {
      let n = head;
      if (opts.block === 'recent') n = head - Math.floor(random() * Math.min(opts.recentBlocks, head + 1));
      return method === 'debug_traceBlockByNumber' ? Math.max(1, n) : Math.max(0, n);
    }

    function paramsFor(method: StateMethod, block: string): unknown[] {
      switch (method) {
        case 'debug_accountRange':
          return [block, cursor, opts.pageSize, !opts.code, !opts.storage, true];
        case 'debug_dumpBlock':
          return [block];
        case 'debug_traceBlockByNumber':
          return [block, opts.tracer === 'structLogs' ? {} : { tracer: opts.tracer }];
      }
    }

    /** Count what an answer holds; throws on an answer that is not what the method returns. */
    function absorb(method: StateMethod, result: unknown, startCursor: string): void {
      if (method === 'debug_traceBlockByNumber') {
        if (!Array.isArray(result)) throw new Error(`${method}: expected an array of tx traces`);
        const bad = (result as TraceEntry[]).find((t) => t.error);
        if (bad) throw new Error(`${method}: tx ${bad.txHash ?? '?'}: ${bad.error}`);
        tracedTxs += result.length;
        return;
      }
      const dump = result as Dump | null;
      if (!dump || typeof dump !== 'object' || typeof dump.accounts !== 'object' || dump.accounts === null) throw new Error(`${method}: expected a state dump`);
      accounts += Object.keys(dump.accounts).length;
      if (method === 'debug_accountRange') {
        pages++;
        // Concurrent pages may start from the same cursor; only the answer to the current one moves it.
        if (startCursor === cursor) {
          if (dump.next) cursor = dump.next;
          else {
            cursor = '0x';
            passes++;
          }
        }
      }
    }

    return {
      async prepare() {
        // Genesis cannot be traced: wait (bounded) for a first block when traces are asked for.
        const control = newClient(ctx.targets[0]!);
        try {
          const deadline = Date.now() + 15_000;
          await readHead(control, ctx.signal);
          while (methods.includes('debug_traceBlockByNumber') && head < 1 && Date.now() < deadline && !ctx.signal.aborted) {
            await sleep(250, ctx.signal);
            await readHead(control, ctx.signal);
          }
        } finally {
          control.close();
        }
        if (methods.includes('debug_traceBlockByNumber') && head < 1) {
          throw new Error('geth-state-iteration: the chain has no block beyond genesis to trace (a dev chain with devPeriod 0 mines only on transactions)');
        }
      },

      client(_index, node) {
        const client = newClient(node);
        return {
          async op({ signal }) {
            if (performance.now() - headReadAt > 500 && !headReading) {
              headReading = readHead(client, signal)
                .catch(() => undefined)
                .finally(() => (headReading = undefined));
            }
            let r = random() * totalWeight;
            let k = 0;
            while (k < methods.length - 1 && r >= weights[k]!) r -= weights[k++]!;
            const method = methods[k]!;
            const block = '0x' + blockFor(method).toString(16);
            const startCursor = cursor;
            try {
              const text = await client.postRaw(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: paramsFor(method, block) }), signal);
              responseBytes += Buffer.byteLength(text);
              const answer = JSON.parse(text) as JsonRpcResponse;
              if (answer.error) throw new Error(`${method}(${block}): ${answer.error.message}`);
              absorb(method, answer.result, startCursor);
              return { tag: method };
            } catch (error) {
              return { ok: false, error: (error as Error).message, tag: method };
            }
          },
          close: () => client.close(),
        };
      },

      extra: () => ({ accounts, accountRangePages: pages, accountRangePasses: passes, tracedTxs, responseBytes, headBlock: head, nodes: ctx.targets.length }),
    };
  },
});

export function gethStateIteration(opts: GethStateIterationOptions): Workload {
  return definedWorkload(definedEntry(gethStateIterationWorkload, opts));
}
