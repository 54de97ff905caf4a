// The shared executor against a local HTTP server: rates reached, ramping follows its stages, the in-flight
// bound holds, count and time bounds and abort stop it, a segment sends its share, closed models loop.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { defineWorkload, parseDefinedEntry } from '../../harness/workloads/define.ts';
import type { ExecutorInput } from '../../harness/workloads/executor/config.ts';
import { rampSchedule } from '../../harness/workloads/executor/run.ts';
import { definedWorkload } from '../../harness/workloads/executor/workload.ts';
import type { Segment } from '../../harness/workloads/segment.ts';
import type { Workload } from '../../harness/workloads/workload.ts';

/** A server that answers after `delayMs`, with status 500 for paths starting /fail; it records what it saw. */
class TestServer {
  readonly seen: Array<{ at: number; index: number; client: number }> = [];
  open = 0;
  peakOpen = 0;
  delayMs = 0;
  private readonly server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    this.seen.push({ at: performance.now(), index: Number(url.searchParams.get('i')), client: Number(url.searchParams.get('c')) });
    this.peakOpen = Math.max(this.peakOpen, ++this.open);
    setTimeout(() => {
      this.open--;
      res.writeHead(url.pathname.startsWith('/fail') ? 500 : 200).end('ok');
    }, this.delayMs);
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  reset(delayMs = 0): void {
    this.seen.length = 0;
    this.peakOpen = 0;
    this.delayMs = delayMs;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const server = new TestServer();
const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });

/** One GET per operation; the path makes the server fail it or not. */
const httpGets = defineWorkload({
  kind: 'http-gets',
  options: z.strictObject({ path: z.string().default('/ok') }),
  executor: { type: 'constant-arrival-rate', rate: 10 },
  create: (options) => ({
    client: (_index, node) => ({
      op: ({ index, client, signal }) =>
        new Promise((resolve, reject) => {
          const req = http.get(`${node.endpoints.http}${options.path}?i=${index}&c=${client}`, { agent, signal }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode === 200 ? undefined : { ok: false, error: `HTTP ${res.statusCode}`, tag: 'bad' }));
          });
          req.on('error', reject);
        }),
    }),
  }),
});

function fakeNode(name: string): RunningNode {
  return { name, endpoints: { http: server.url }, isRunning: () => true } as unknown as RunningNode;
}

function workload(executor: ExecutorInput, options: Record<string, unknown> = {}): Workload {
  const parsed = parseDefinedEntry({ kind: httpGets, executor, ...options }, httpGets);
  assert.ok(parsed.data, JSON.stringify(parsed.issues));
  return definedWorkload(parsed.data);
}

async function drive(w: Workload, durationMs: number, opts: { nodes?: number; segment?: Segment; signal?: AbortSignal } = {}) {
  const nodes = Array.from({ length: opts.nodes ?? 1 }, (_, i) => fakeNode(`n${i}`));
  const ctx = { nodes, seed: 1, signal: opts.signal ?? new AbortController().signal, log: () => {}, ...(opts.segment ? { segment: opts.segment } : {}) };
  await w.prepare(ctx);
  const t0 = performance.now();
  await w.run(ctx, durationMs);
  const elapsed = performance.now() - t0;
  await w.release();
  return { elapsed, stats: w.stats(), progress: w.progress() };
}

const within = (value: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(value - expected) <= expected * tolerance, `${what}: ${value}, expected ${expected} ± ${tolerance * 100}%`);

describe('shared executor', function () {
  this.timeout(60_000);
  before(() => server.start());
  after(async () => {
    agent.destroy();
    await server.stop();
  });
  beforeEach(() => server.reset());

  it('constant-arrival-rate reaches its rate and counts every operation once', async () => {
    const { stats, progress } = await drive(workload({ type: 'constant-arrival-rate', rate: 200 }), 2_000, { nodes: 2 });
    within(stats.sent, 400, 0.1, 'sent in 2 s at 200/s');
    assert.equal(stats.accepted, stats.sent);
    assert.equal(server.seen.length, stats.sent, 'every operation reached the server, once');
    assert.equal(new Set(server.seen.map((s) => s.index)).size, stats.sent, 'indices are distinct');
    assert.deepEqual(Object.keys(progress.perNode!).sort(), ['n0', 'n1']);
    assert.ok(Math.abs(progress.perNode!.n0! - progress.perNode!.n1!) <= 1, `per node ${JSON.stringify(progress.perNode)}`);
    assert.ok(stats.latency && stats.latency.maxMs > 0);
  });

  it('ramping-arrival-rate follows its stages: up from 0 to 300/s in 1 s, then 300/s for 1 s', async () => {
    const { stats, elapsed } = await drive(workload({ type: 'ramping-arrival-rate', stages: [{ target: 300, duration: '1s' }, { target: 300, duration: '1s' }] }), 10_000);
    within(stats.sent, 150 + 300, 0.1, 'ops over the stages');
    assert.ok(elapsed < 3_000, `the executor ends with its stages (${Math.round(elapsed)} ms), not with the phase`);
    const t0 = server.seen[0]!.at;
    const first = server.seen.filter((s) => s.at - t0 < 500).length;
    const second = server.seen.filter((s) => s.at - t0 >= 500 && s.at - t0 < 1000).length;
    const last = server.seen.filter((s) => s.at - t0 >= 1000).length;
    // Areas under the ramp: 0-0.5 s ~37, 0.5-1 s ~112, 1-2 s 300.
    assert.ok(first < second && second < last, `ramp ${first} < ${second} < ${last}`);
    within(first, 37.5, 0.5, 'first half second');
    within(last, 300, 0.12, 'the plateau');
  });

  it('rampSchedule integrates the stages', () => {
    const s = rampSchedule(0, [{ target: 100, duration: 1000 }, { target: 0, duration: 1000 }]);
    assert.equal(s(0), 0);
    assert.equal(s(1000), 50);
    assert.equal(s(2000), 100);
    assert.equal(s(5000), 100, 'nothing more after the last stage');
  });

  it('the in-flight bound holds: a slow server makes the schedule skip, not pile up', async () => {
    server.reset(200);
    // 3 s: the loop catches up 2 s of backlog before it skips (paced-loop.ts maxBurst).
    const { stats } = await drive(workload({ type: 'constant-arrival-rate', rate: 500, maxInFlight: 5 }), 3_000);
    assert.ok(server.peakOpen <= 5, `server saw ${server.peakOpen} open at once`);
    assert.ok(server.peakOpen >= 4, `the bound was reached (${server.peakOpen})`);
    assert.ok(Number(stats.extra!.skippedBySchedule) > 0, 'operations the schedule could not send are counted');
    assert.ok(stats.sent <= 5 * (3_000 / 200 + 1) + 5, `sent ${stats.sent}`);
  });

  it('the count bound stops it early; a second run() continues the count and sends nothing more', async () => {
    const w = workload({ type: 'constant-arrival-rate', rate: 100, maxOps: 50 });
    const ctx = { nodes: [fakeNode('n0')], seed: 1, signal: new AbortController().signal, log: () => {} };
    await w.prepare(ctx);
    await w.run(ctx, 300); // a first cycle: about 30
    const first = w.progress().sent;
    within(first, 30, 0.35, 'first cycle');
    const t0 = performance.now();
    await w.run(ctx, 10_000); // the rest, up to the bound
    const elapsed = performance.now() - t0;
    await w.run(ctx, 10_000); // nothing left
    await w.release();
    assert.equal(w.stats().sent, 50);
    assert.equal(new Set(server.seen.map((s) => s.index)).size, 50, 'the second run continued the indices');
    assert.ok(elapsed < 1_000, `stopped at the bound after ${Math.round(elapsed)} ms`);
  });

  it('abort stops it promptly', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const { elapsed, stats } = await drive(workload({ type: 'constant-arrival-rate', rate: 100 }), 10_000, { signal: abort.signal });
    assert.ok(elapsed < 1_000, `ran ${Math.round(elapsed)} ms after a 300 ms abort`);
    within(stats.sent, 30, 0.5, 'sent before the abort');
  });

  it('a segment sends its share of the rate, from the indices and clients it owns', async () => {
    const { stats } = await drive(workload({ type: 'constant-arrival-rate', rate: 400, clients: 4 }), 2_000, { segment: { index: 1, count: 2 } });
    within(stats.sent, 400, 0.1, 'half of 400/s for 2 s');
    assert.ok(server.seen.every((s) => s.index % 2 === 1), 'every index is segment 2/2\'s');
    assert.deepEqual([...new Set(server.seen.map((s) => s.client))].sort(), [1, 3], 'only the clients it owns');
  });

  it("a workload's create() gets the items its segment owns", async () => {
    let owned: number[] = [];
    const probe = defineWorkload({
      kind: 'probe',
      options: z.strictObject({}),
      executor: { type: 'per-client-iterations', clients: 1, iterations: 1 },
      create: (_o, ctx) => {
        owned = ctx.owned(10);
        return { client: () => ({ op: async () => undefined }) };
      },
    });
    const w = definedWorkload(parseDefinedEntry({ kind: probe }, probe).data!);
    await w.prepare({ nodes: [fakeNode('n0')], seed: 1, signal: new AbortController().signal, log: () => {}, segment: { index: 1, count: 3 } });
    assert.deepEqual(owned, [1, 4, 7]);
  });

  it('constant-concurrency: N clients each looping, never more than N open', async () => {
    server.reset(50);
    const { stats } = await drive(workload({ type: 'constant-concurrency', clients: 4 }), 1_000);
    assert.equal(server.peakOpen, 4);
    within(stats.sent, 4 * 20, 0.2, '4 clients × 1 s / 50 ms');
    assert.equal(Number(stats.extra!.clients), 4);
  });

  it('constant-concurrency with a pause: each client waits between its operations', async () => {
    const { stats } = await drive(workload({ type: 'constant-concurrency', clients: 2, pause: '100ms' }), 1_000);
    within(stats.sent, 2 * 10, 0.2, '2 clients × 1 s / 100 ms');
  });

  it('per-client-iterations: exactly clients × iterations, each client its own', async () => {
    const { stats, elapsed } = await drive(workload({ type: 'per-client-iterations', clients: 3, iterations: 5 }), 10_000);
    assert.equal(stats.sent, 15);
    for (const c of [0, 1, 2]) assert.equal(server.seen.filter((s) => s.client === c).length, 5, `client ${c}`);
    assert.ok(elapsed < 2_000);
  });

  it('failed operations are counted with their error and tag', async () => {
    const { stats } = await drive(workload({ type: 'per-client-iterations', clients: 2, iterations: 3 }, { path: '/fail' }), 5_000);
    assert.equal(stats.sent, 6);
    assert.equal(stats.failed, 6);
    assert.equal(stats.accepted, 0);
    assert.deepEqual(stats.errors, ['HTTP 500 (x6)']);
    assert.equal(stats.extra!['bad.failed'], 6);
  });
});
