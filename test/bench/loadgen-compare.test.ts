/**
 * The load-generator bench's own parts, without a node: every generator (chainsoak's, vegeta, wrk) sends
 * exactly the bodies of its file, each once, to a stub server; vegeta's and wrk's counts read failed
 * answers; CPU comes from /proc.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runMeasured, type GeneratorRun, type LoadGenerator } from '../../harness/bench/loadgen/generator.ts';
import { ours } from '../../harness/bench/loadgen/ours.ts';
import { parseProcStat, processCpuMs, reapedChildrenCpuMs } from '../../harness/bench/loadgen/proc-cpu.ts';
import { ensureVegeta, vegeta, vegetaCounts } from '../../harness/bench/loadgen/vegeta.ts';
import { wrk, wrkCounts, wrkVersion } from '../../harness/bench/loadgen/wrk.ts';

/** A JSON-RPC stub on 127.0.0.1 that records every body and answers an error to method "bad". */
async function stubServer(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.setHeader('content-type', 'application/json');
      res.end(body.includes('"method":"bad"') ? '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"bad tx"}}' : '{"jsonrpc":"2.0","id":1,"result":"0x1"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const COUNT = 120;
// Bodies as the bench writes them: JSON-RPC requests with quotes, brackets and base64; every 30th one
// calls a method the stub refuses.
const BODIES = Array.from({ length: COUNT }, (_, i) =>
  JSON.stringify({ jsonrpc: '2.0', id: i, method: i % 30 === 29 ? 'bad' : 'broadcast_tx_async', params: { tx: Buffer.from(`cs1.${i}=v]]"`).toString('base64') } }),
);

describe('load-generator bench (stub server, no node)', function () {
  let dir: string;
  let bodiesFile: string;
  let stub: Awaited<ReturnType<typeof stubServer>>;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-loadgen-test-'));
    bodiesFile = path.join(dir, 'bodies.jsonl');
    await writeFile(bodiesFile, BODIES.join('\n') + '\n');
  });
  beforeEach(async () => (stub = await stubServer()));
  afterEach(() => stub.close());
  after(() => rm(dir, { recursive: true, force: true }));

  const run = (): GeneratorRun => ({ url: stub.url, bodiesFile, count: COUNT, rate: 200, durationMs: 2_000, connections: 4, dir });

  async function sendsEveryBodyOnce(gen: LoadGenerator): Promise<void> {
    const started = performance.now();
    const result = await runMeasured(gen, run());
    assert.deepEqual([...stub.bodies].sort(), [...BODIES].sort(), `${gen.name} sent other bodies than the file's, or some twice`);
    assert.equal(result.requests, COUNT);
    assert.equal(result.errors, COUNT / 30, `${gen.name} counted ${result.errors} failed answers`);
    assert.equal(result.ok, COUNT - COUNT / 30);
    // 120 bodies at 200/s: about 0.6 s of sending, not a burst and not the whole 2 s.
    assert.ok(result.windowMs > 400 && result.windowMs < 2_100, `${gen.name}: window ${result.windowMs} ms`);
    assert.ok(performance.now() - started < 15_000);
  }

  it("chainsoak's generator (a child process) sends every body of the file once, at the rate", async () => {
    await sendsEveryBodyOnce(ours);
  });

  it('vegeta, from its JSON targets, sends every body once at the rate', async function () {
    this.timeout(300_000); // a cold cache builds vegeta first (about 20 s)
    await sendsEveryBodyOnce(vegeta(await ensureVegeta(), 1));
  });

  it('wrk, through wrk-bodies.lua, sends every body once at the rate', async function () {
    if (!wrkVersion()) this.skip(); // not installed: sh test/support/ensure-wrk.sh
    await sendsEveryBodyOnce(wrk(2));
  });

  it("reads vegeta's and wrk's counts: failed answers and transport errors are errors", () => {
    const line = (code: number, body: string, error = '', ms = 0) =>
      JSON.stringify({ code, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms)).toISOString(), latency: 2e6, error, body: Buffer.from(body).toString('base64') });
    const counts = vegetaCounts([line(200, '{"result":"0x1"}'), line(200, '{"error":{"message":"nonce too low"}}', '', 500), line(0, '', 'connection refused', 998)].join('\n'));
    assert.deepEqual(counts, { requests: 3, ok: 1, errors: 2, windowMs: 1000, errorSample: '{"error":{"message":"nonce too low"}}' });
    const w = wrkCounts('Running 1s test\nchainsoak-wrk answered=90 failed=4 transport=6 duration_us=1500000\n');
    assert.deepEqual(w, { requests: 96, ok: 86, errors: 10, windowMs: 1500, errorSample: '4 failed answers, 6 transport errors' });
    assert.throws(() => wrkCounts('Running 1s test\n'), /no chainsoak-wrk line/);
  });

  it('reads CPU ticks from /proc/<pid>/stat, a command name with spaces and parentheses included', () => {
    const line = '4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 89 10 20 0 1 0 100 0 0';
    assert.deepEqual(parseProcStat(line), { utime: 1234, stime: 567, cutime: 89, cstime: 10 });
    assert.throws(() => parseProcStat('garbage'), /not a \/proc/);
  });

  // Busy loops that run until the process's own getrusage (process.cpuUsage) says so: on a loaded machine
  // a loop bounded by wall time may get little CPU. /proc counts in 10 ms ticks.
  it("measures a process's own CPU and its reaped children's, as getrusage does", () => {
    const own = processCpuMs(process.pid);
    const usage = process.cpuUsage();
    let used = 0;
    while (used < 300_000) {
      const u = process.cpuUsage(usage);
      used = u.user + u.system;
    }
    const seen = processCpuMs(process.pid) - own;
    assert.ok(seen >= 270 && seen < 600, `a 300 ms busy loop read as ${seen} ms of CPU`);
    const children = reapedChildrenCpuMs();
    spawnSync(process.execPath, ['-e', 'const u0 = process.cpuUsage(); for (;;) { const u = process.cpuUsage(u0); if (u.user + u.system > 400000) break; }']);
    const child = reapedChildrenCpuMs() - children;
    assert.ok(child >= 400 && child < 2_000, `a child's 400 ms busy loop read as ${child} ms`);
  });
});
