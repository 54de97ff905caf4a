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
 * Paced and counted by the shared executor (constant-arrival-rate; per kind = its tags): at most maxQueries,
 * never past the phase, at most maxInFlight requests open, each with a timeout. Segments: the executor
 * sends 1/n of the rate and of maxQueries (reads need no disjoint accounts).
 */
import http from 'node:http';
import type { z } from 'zod';
import { cosmosAccounts } from '../nodes/cosmos-accounts.ts';
import { seededRandom } from '../scenario/random.ts';
import { checkAccounts, cometRpcUrl, cosmosChain, cosmosNodes } from './cosmos-chain.ts';
import { COSMOS_QUERY_KINDS, type CosmosQueryKind, cosmosQueriesSchema } from './cosmos-schemas.ts';
import { defineWorkload, definedEntry } from './define.ts';
import { definedWorkload } from './executor/workload.ts';
import { JsonRpcHttpClient } from './jsonrpc.ts';
import type { Workload } from './workload.ts';

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

/**
 * cosmos-queries on the shared executor: a constant arrival rate of queries, one client per node (its
 * keep-alive agent); the executor counts them, per kind as its tags, and takes a segment's share.
 */
export const cosmosQueriesWorkload = defineWorkload({
  kind: KIND,
  options: cosmosQueriesSchema.omit({ kind: true }),
  flavors: ['simd'],
  nodes: (node) => node.isRunning() && node.endpoints.rest !== undefined,
  executor: (o) => ({
    type: 'constant-arrival-rate',
    rate: o.rate,
    maxOps: o.maxQueries,
    maxInFlight: o.maxInFlight,
    tickMs: Math.max(10, Math.min(100, Math.round(1000 / o.rate))),
  }),
  create(opts, ctx) {
    const kinds = COSMOS_QUERY_KINDS.filter((k) => (opts.weights[k] ?? 0) > 0);
    const weights = kinds.map((k) => opts.weights[k]!);
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    // One seeded stream for the whole workload: the executor calls op() in index order, so the same seed
    // asks the same queries.
    const random = seededRandom(ctx.seed, KIND);
    let addresses: string[] = [];
    let responseBytes = 0;
    let txsFound = 0;
    const pickKind = (): CosmosQueryKind => {
      let r = random() * totalWeight;
      let k = 0;
      while (k < kinds.length - 1 && r >= weights[k]!) r -= weights[k++]!;
      return kinds[k]!;
    };
    return {
      async prepare() {
        const node = cosmosNodes(KIND, ctx.targets, 'rest')[0]!;
        const rpcUrl = cometRpcUrl(node);
        const rpc = rpcUrl ? new JsonRpcHttpClient(rpcUrl, { timeoutMs: 10_000, maxSockets: 1 }) : undefined;
        try {
          const chain = rpc ? await cosmosChain(node, rpc, ctx.signal) : { prefix: 'cosmos', accounts: undefined, chainId: '', denom: '' };
          checkAccounts(KIND, chain, opts.firstAccount, opts.accounts, `accounts: ${opts.accounts}`);
          addresses = (await cosmosAccounts(opts.accounts, opts.firstAccount, chain.prefix)).map((a) => a.address);
        } finally {
          rpc?.close();
        }
        ctx.log(`${KIND}: ${kinds.join(', ')} on ${ctx.targets.length} node(s) about ${addresses.length} accounts`);
      },
      client(_index, node) {
        const base = new URL(node.endpoints.rest!);
        const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxInFlight });
        return {
          async op({ signal }) {
            const kind = pickKind();
            const address = addresses[Math.floor(random() * addresses.length)]!;
            const { path, field } = queryOf(kind, address, opts.pageSize);
            const { status, text } = await get(agent, base, path, opts.requestTimeoutMs, signal).catch((err: unknown) => ({ status: 0, text: err instanceof Error ? err.message : String(err) }));
            responseBytes += text.length;
            if (status !== 200) return { ok: false, tag: kind, error: status ? `${kind}: HTTP ${status}: ${text.slice(0, 160).trim()}` : `${kind}: ${text}` };
            const body = JSON.parse(text) as Record<string, unknown>;
            if (!(field in body)) return { ok: false, tag: kind, error: `${kind}: answer without '${field}': ${text.slice(0, 160)}` };
            if (kind === 'txSearch' && Array.isArray(body[field])) txsFound += (body[field] as unknown[]).length;
            return { tag: kind };
          },
          close: () => agent.destroy(),
        };
      },
      extra: () => ({ targetRate: opts.rate, nodes: ctx.targets.length, accounts: addresses.length, responseBytes, txsFound }),
    };
  },
});

export function cosmosQueries(opts: Omit<CosmosQueriesOptions, 'kind'>): Workload {
  return definedWorkload(definedEntry(cosmosQueriesWorkload, opts));
}
