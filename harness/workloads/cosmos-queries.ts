/**
 * cosmos-queries: read load on simd's REST API server (the SDK's gRPC gateway: every path is a gRPC
 * query served over HTTP/JSON) at a target rate, round robin over the nodes with a `rest` endpoint:
 *
 *  - `balances`:    GET /cosmos/bank/v1beta1/balances/{address}
 *  - `account`:     GET /cosmos/auth/v1beta1/accounts/{address}
 *  - `txSearch`:    GET /cosmos/tx/v1beta1/txs?query=message.sender='{address}' (the tx indexer's search,
 *                   newest first, `pageSize` per page)
 *  - `latestBlock`: GET /cosmos/base/tendermint/v1beta1/blocks/latest
 *
 * The kind of each query is drawn by `weights`, and the address it asks about among test accounts
 * [firstAccount, firstAccount + accounts), both from the seed. A query counts as accepted when the answer
 * is HTTP 200 with the JSON field its kind returns; per kind sent / ok / failed and latency go to `extra`.
 * Bounded: at most maxQueries, never past the phase, at most maxInFlight requests open, each with a timeout.
 * Segments: 1/n of the rate and of maxQueries (reads need no disjoint accounts).
 */
import http from 'node:http';
import type { z } from 'zod';
import { cosmosAccounts } from '../nodes/cosmos-accounts.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { seededRandom } from '../scenario/random.ts';
import { checkAccounts, cometRpcUrl, cosmosChain, cosmosNodes } from './cosmos-chain.ts';
import { COSMOS_QUERY_KINDS, type CosmosQueryKind, type cosmosQueriesSchema } from './cosmos-schemas.ts';
import { JsonRpcHttpClient } from './jsonrpc.ts';
import { PacedTotals, pacedLoop } from './paced-loop.ts';
import { WHOLE, countShare, rateShare } from './segment.ts';
import { ErrorSample, LatencyHistogram, localAbort, windowStats } from './stats.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';

export type CosmosQueriesOptions = z.output<typeof cosmosQueriesSchema>;

const KIND = 'cosmos-queries';

/** The path of a query, and the JSON field a good answer has. */
function queryOf(kind: CosmosQueryKind, address: string, pageSize: number): { path: string; field: string } {
  switch (kind) {
    case 'balances':
      return { path: `/cosmos/bank/v1beta1/balances/${address}`, field: 'balances' };
    case 'account':
      return { path: `/cosmos/auth/v1beta1/accounts/${address}`, field: 'account' };
    case 'txSearch':
      return {
        path: `/cosmos/tx/v1beta1/txs?query=${encodeURIComponent(`message.sender='${address}'`)}&page=1&limit=${pageSize}&order_by=ORDER_BY_DESC`,
        field: 'tx_responses',
      };
    case 'latestBlock':
      return { path: '/cosmos/base/tendermint/v1beta1/blocks/latest', field: 'block' };
  }
}

interface KindCounters {
  sent: number;
  ok: number;
  failed: number;
  hist: LatencyHistogram;
}

/** GET over a keep-alive agent: the status and body text, or a rejection on transport error or timeout. */
function get(agent: http.Agent, base: URL, path: string, timeoutMs: number, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, path, method: 'GET', agent, signal, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export function cosmosQueries(opts: CosmosQueriesOptions): Workload {
  const kinds = COSMOS_QUERY_KINDS.filter((k) => (opts.weights[k] ?? 0) > 0);
  const weights = kinds.map((k) => opts.weights[k]!);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const per = new Map<CosmosQueryKind, KindCounters>(kinds.map((k) => [k, { sent: 0, ok: 0, failed: 0, hist: new LatencyHistogram() }]));
  const hist = new LatencyHistogram();
  const errors = new ErrorSample(10);
  const totals = new PacedTotals();
  let rate = opts.rate;
  let maxQueries = opts.maxQueries;
  let nodes: RunningNode[] = [];
  let bases: URL[] = [];
  let agents: http.Agent[] = [];
  let addresses: string[] = [];
  let random: () => number = Math.random;
  let sent = 0;
  let accepted = 0;
  let failed = 0;
  let inFlight = 0;
  let responseBytes = 0;
  let txsFound = 0;

  function pickKind(): CosmosQueryKind {
    let r = random() * totalWeight;
    let k = 0;
    while (k < kinds.length - 1 && r >= weights[k]!) r -= weights[k++]!;
    return kinds[k]!;
  }

  async function query(lane: number, signal: AbortSignal): Promise<void> {
    const kind = pickKind();
    const address = addresses[Math.floor(random() * addresses.length)]!;
    const { path, field } = queryOf(kind, address, opts.pageSize);
    const c = per.get(kind)!;
    sent++;
    c.sent++;
    inFlight++;
    const t0 = performance.now();
    try {
      const { status, text } = await get(agents[lane]!, bases[lane]!, path, opts.requestTimeoutMs, signal);
      const ms = performance.now() - t0;
      hist.record(ms);
      c.hist.record(ms);
      responseBytes += text.length;
      if (status !== 200) throw new Error(`${kind}: HTTP ${status}: ${text.slice(0, 160).trim()}`);
      const body = JSON.parse(text) as Record<string, unknown>;
      if (!(field in body)) throw new Error(`${kind}: answer without '${field}': ${text.slice(0, 160)}`);
      if (kind === 'txSearch' && Array.isArray(body[field])) txsFound += (body[field] as unknown[]).length;
      accepted++;
      c.ok++;
    } catch (err) {
      failed++;
      c.failed++;
      errors.add(err instanceof Error ? err.message : String(err));
    } finally {
      inFlight--;
    }
  }

  return {
    kind: KIND,

    async prepare(ctx: WorkloadContext): Promise<void> {
      const segment = ctx.segment ?? WHOLE;
      rate = rateShare(segment, opts.rate);
      maxQueries = countShare(segment, opts.maxQueries);
      nodes = cosmosNodes(KIND, ctx.nodes.filter((n) => n.isRunning()), 'rest');
      bases = nodes.map((n) => new URL(n.endpoints.rest!));
      agents = nodes.map(() => new http.Agent({ keepAlive: true, maxSockets: opts.maxInFlight }));
      const rpcUrl = cometRpcUrl(nodes[0]!);
      const rpc = rpcUrl ? new JsonRpcHttpClient(rpcUrl, { timeoutMs: 10_000, maxSockets: 1 }) : undefined;
      try {
        const chain = rpc ? await cosmosChain(nodes[0]!, rpc, ctx.signal) : { prefix: 'cosmos', accounts: undefined, chainId: '', denom: '' };
        checkAccounts(KIND, chain, opts.firstAccount, opts.accounts, `accounts: ${opts.accounts}`);
        addresses = (await cosmosAccounts(opts.accounts, opts.firstAccount, chain.prefix)).map((a) => a.address);
      } finally {
        rpc?.close();
      }
      random = seededRandom(ctx.seed, KIND);
      ctx.log(`${KIND}: ${kinds.join(', ')} on ${nodes.length} node(s) about ${addresses.length} accounts`);
    },

    async run(ctx: WorkloadContext, durationMs: number): Promise<void> {
      const link = localAbort(ctx.signal, opts.maxInFlight + 8);
      const loop = await pacedLoop({
        rate,
        tickMs: Math.max(10, Math.min(100, Math.round(1000 / rate))),
        from: totals.cursor,
        limit: maxQueries,
        durationMs,
        batchSize: 1,
        lanes: nodes.length,
        laneOf: (i) => i % nodes.length,
        maxInFlight: opts.maxInFlight,
        inFlight: () => inFlight,
        signal: link.signal,
        send: (lane) => query(lane, link.signal),
      });
      link.unlink();
      totals.add(loop);
    },

    async release(): Promise<void> {
      for (const a of agents) a.destroy();
    },

    progress(): WorkloadProgress {
      return { sent, accepted, failed, latency: hist, perNode: totals.sentPerNode(nodes.map((n) => n.name)) };
    },

    stats(): WorkloadStats {
      const extra: Record<string, number | string> = { targetRate: rate, nodes: nodes.length, accounts: addresses.length, responseBytes, txsFound, ...totals.figures(accepted) };
      for (const [k, c] of per) {
        extra[`${k}.sent`] = c.sent;
        extra[`${k}.ok`] = c.ok;
        extra[`${k}.failed`] = c.failed;
        const s = c.hist.summary();
        if (s) {
          extra[`${k}.p50Ms`] = s.p50Ms;
          extra[`${k}.p95Ms`] = s.p95Ms;
        }
      }
      return windowStats(KIND, { sent, accepted, failed, windowMs: totals.windowMs, hist, errors, extra });
    },
  };
}
