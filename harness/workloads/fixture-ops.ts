/**
 * fixture-ops: operations on leaky-node nodes (harness/nodes/leaky-node.ts) at a target rate. Every node
 * with an `ops` endpoint is a target, round robin, skipping nodes a fault took down; `POST /op?n=<batch>`
 * makes the node do `batch` operations, each leaking the node's configured amount, so the expected growth
 * is operations × amount. Paced by the shared loop (paced-loop.ts): never more than maxOps over all run()
 * calls (a phase repeated in cycles calls run() again; counters accumulate), never past the phase, at most
 * MAX_IN_FLIGHT requests open, each with a timeout. Latency of an operation is its request's round trip.
 * Cheap on the generator: one keep-alive socket pool per node, a few requests per tick, tiny answers.
 */
import http from 'node:http';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { PacedTotals, pacedLoop } from './paced-loop.ts';
import { ErrorSample, LatencyHistogram, localAbort, windowStats } from './stats.ts';
import type { Workload, WorkloadProgress, WorkloadStats } from './workload.ts';

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

export function fixtureOps(opts: Omit<z.output<typeof fixtureOpsSchema>, 'kind'>): Workload {
  let targets: Target[] = [];
  let sent = 0;
  let accepted = 0;
  let failed = 0;
  let requests = 0;
  let inFlight = 0;
  const totals = new PacedTotals();
  const hist = new LatencyHistogram();
  const errors = new ErrorSample(10);

  return {
    kind: 'fixture-ops',

    async prepare(ctx) {
      const nodes = ctx.nodes.filter((n) => n.endpoints.ops);
      if (nodes.length === 0) throw new UsageError('fixture-ops: the scenario has no leaky-node node to drive');
      targets = nodes.map((node) => ({ node, url: new URL(node.endpoints.ops!), agent: new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT }) }));
      ctx.log(`fixture-ops: ${targets.length} node(s), ${opts.rate} ops/s, at most ${opts.maxOps}`);
    },

    async run(ctx, durationMs) {
      if (targets.length === 0) throw new Error('fixture-ops: run() before prepare()');
      const link = localAbort(ctx.signal, MAX_IN_FLIGHT + targets.length + 8);
      const batchSize = opts.batch ?? Math.max(1, Math.min(10_000, Math.ceil((opts.rate * TICK_MS) / 1000 / targets.length)));
      const laneOf = (i: number) => {
        for (let k = 0; k < targets.length; k++) {
          const lane = (i + k) % targets.length;
          if (targets[lane]!.node.isRunning()) return lane;
        }
        return i % targets.length;
      };
      const loop = await pacedLoop({
        rate: opts.rate,
        tickMs: TICK_MS,
        from: totals.cursor,
        limit: opts.maxOps,
        durationMs,
        batchSize,
        lanes: targets.length,
        laneOf,
        maxInFlight: MAX_IN_FLIGHT,
        inFlight: () => inFlight,
        signal: link.signal,
        send: async (lane, items) => {
          const n = items.length;
          sent += n;
          requests++;
          inFlight++;
          const t0 = performance.now();
          const error = await postOps(targets[lane]!, n, link.signal);
          inFlight--;
          hist.recordN(performance.now() - t0, n);
          if (error === undefined) accepted += n;
          else {
            failed += n;
            errors.add(error);
          }
        },
      });
      link.unlink();
      totals.add(loop);
      ctx.log(`fixture-ops: sent ${sent}, accepted ${accepted}, failed ${failed} (of at most ${opts.maxOps})`);
    },

    async release() {
      for (const t of targets) t.agent.destroy();
    },

    progress(): WorkloadProgress {
      return { sent, accepted, failed, latency: hist, perNode: totals.sentPerNode(targets.map((t) => t.node.name)) };
    },

    stats(): WorkloadStats {
      const extra = { targetRate: opts.rate, maxOps: opts.maxOps, requests, nodes: targets.length, ...totals.figures(accepted) };
      return windowStats('fixture-ops', { sent, accepted, failed, windowMs: totals.windowMs, hist, errors, extra });
    },
  };
}
