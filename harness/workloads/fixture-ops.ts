/**
 * fixture-ops: operations on leaky-node nodes (harness/nodes/leaky-node.ts) at a target rate. Every node
 * with an `ops` endpoint is a target, round robin, skipping nodes a fault took down; `POST /op?n=<batch>`
 * makes the node do `batch` operations, each leaking the node's configured amount, so the expected growth
 * is operations × amount. Runs on the shared executor (executor/, constant-arrival-rate, `batch`
 * operations per request): never more than maxOps over all run() calls (a phase repeated in cycles calls
 * run() again; counters accumulate), never past the phase, at most MAX_IN_FLIGHT requests open, each with
 * a timeout. Latency of an operation is its request's round trip.
 * Cheap on the generator: one keep-alive socket pool per node, a few requests per tick, tiny answers.
 */
import http from 'node:http';
import { z } from 'zod';
import type { RunningNode } from '../runtimes/runtime.ts';
import { defineWorkload, definedEntry } from './define.ts';
import { definedWorkload } from './executor/workload.ts';
import type { Workload } from './workload.ts';

export const fixtureOpsSchema = z.strictObject({
  kind: z.literal('fixture-ops'),
  /** Operations per second over all nodes. */
  rate: z.number().positive().max(100_000),
  /** Hard bound on operations sent, over every run() of the workload. */
  maxOps: z.number().int().positive().max(1_000_000_000),
  /** Operations per request (the node takes at most 10,000). Default: about one request per node per tick. */
  batch: z.number().int().positive().max(10_000).optional(),
});

export type FixtureOpsOptions = z.input<typeof fixtureOpsSchema>;

const TICK_MS = 50;
const MAX_IN_FLIGHT = 16;
const REQUEST_TIMEOUT_MS = 10_000;

interface Target {
  node: RunningNode;
  url: URL;
  agent: http.Agent;
}

/** POST `<ops>?n=<n>`; resolves with an error text, or undefined when the node did the operations. */
function postOps(t: Target, n: number, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: t.url.hostname, port: t.url.port, path: `${t.url.pathname}?n=${n}`, method: 'POST', agent: t.agent, signal, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 300) body += chunk; // an error text; 200 answers are a few bytes
        });
        res.on('end', () => resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}: ${body.trim().slice(0, 200)}`));
        res.on('error', (err) => resolve(err.message));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

/** fixture-ops on the shared executor: a constant arrival rate of operations, `batch` of them per request. */
export const fixtureOpsWorkload = defineWorkload({
  kind: 'fixture-ops',
  options: fixtureOpsSchema.omit({ kind: true }),
  flavors: ['leaky-node'],
  nodes: (node) => node.endpoints.ops !== undefined,
  executor: (o) => ({
    type: 'constant-arrival-rate',
    rate: o.rate,
    maxOps: o.maxOps,
    tickMs: TICK_MS,
    maxInFlight: MAX_IN_FLIGHT,
    // About one request per node per tick: the executor splits a tick's operations over the nodes first.
    batch: o.batch ?? Math.max(1, Math.min(10_000, Math.ceil((o.rate * TICK_MS) / 1000))),
  }),
  create(opts, ctx) {
    ctx.log(`fixture-ops: ${ctx.targets.length} node(s), ${opts.rate} ops/s, at most ${opts.maxOps}`);
    return {
      client(_index, node) {
        const target: Target = { node, url: new URL(node.endpoints.ops!), agent: new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT }) };
        return {
          op: async ({ count, signal }) => {
            const error = await postOps(target, count, signal);
            return error === undefined ? undefined : { ok: false, error };
          },
          close: () => target.agent.destroy(),
        };
      },
      extra: () => ({ targetRate: opts.rate, maxOps: opts.maxOps, nodes: ctx.targets.length }),
    };
  },
});

export function fixtureOps(opts: Omit<z.input<typeof fixtureOpsSchema>, 'kind'>): Workload {
  return definedWorkload(definedEntry(fixtureOpsWorkload, opts));
}
