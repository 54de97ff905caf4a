/**
 * Network faults through the real toxiproxy v2.5.0 (built into chainsoak's cache on first use: about
 * 40 s on 2 cores), in front of small TCP servers on 127.0.0.1 started here: an echo server, and a blob
 * server that sends a fixed payload and closes. Timing bounds leave room for a loaded 2-core machine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from '../../harness/errors.ts';
import {
  ensureToxiproxy,
  networkFaultSchema,
  startToxiproxy,
  toxicFor,
  type Toxic,
  type Toxiproxy,
  type ToxiproxyProxy,
} from '../../harness/faults/toxiproxy/index.ts';
import { groupsToKillOnExit } from '../../harness/runtimes/process-groups.ts';
import { listeningAddresses, processAlive } from '../helpers.ts';

const BLOB_BYTES = 1024 * 1024;

function hostPort(server: net.Server): string {
  const { address, port } = server.address() as net.AddressInfo;
  return `${address}:${port}`;
}

function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

async function listen(server: net.Server): Promise<net.Server> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  return server;
}

function connect(addr: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(splitHostPort(addr));
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** How a connection ended: the bytes it received, and how it closed (or that it was still open at the deadline). */
interface Outcome {
  bytes: number;
  chunks: number;
  ms: number;
  end: 'end' | 'error' | 'open';
  code?: string;
}

/** Connect, optionally send `payload`, and watch the connection for at most `deadlineMs`. */
async function watch(addr: string, payload: Buffer | undefined, deadlineMs: number, opts: { untilBytes?: number } = {}): Promise<Outcome> {
  const socket = await connect(addr);
  const started = performance.now();
  return new Promise((resolve) => {
    const out: Outcome = { bytes: 0, chunks: 0, ms: 0, end: 'open' };
    let done = false;
    const finish = (end: Outcome['end'], code?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      out.ms = performance.now() - started;
      out.end = end;
      if (code) out.code = code;
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(() => finish('open'), deadlineMs);
    socket.on('data', (d: Buffer) => {
      out.bytes += d.length;
      out.chunks++;
      if (opts.untilBytes !== undefined && out.bytes >= opts.untilBytes) finish('end');
    });
    socket.on('end', () => finish('end'));
    socket.on('close', () => finish('end'));
    socket.on('error', (err: NodeJS.ErrnoException) => finish('error', err.code));
    if (payload) socket.write(payload);
  });
}

/** Milliseconds from writing 5 bytes on a fresh connection until their echo is back (median of `n`). */
async function roundTripMs(addr: string, n = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const out = await watch(addr, Buffer.from('ping\n'), 10_000, { untilBytes: 5 });
    assert.equal(out.bytes, 5, `echo through ${addr} came back (${JSON.stringify(out)})`);
    times.push(out.ms);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

function assertOneLineInfraError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof InfraError, `expected InfraError, got ${(err as Error)?.stack ?? String(err)}`);
    assert.equal(err.exitCode, 3);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    assert.match(err.message, pattern);
    return true;
  };
}

describe('networkFaultSchema / toxicFor', () => {
  it('parses durations, sizes and `between` like the node faults, with defaults', () => {
    const f = networkFaultSchema.parse({ at: { between: ['10s', '20s'] }, for: '5s', action: 'latency', link: { node: 'geth' }, latency: '200ms' });
    assert.deepEqual(f, { at: { between: [10_000, 20_000] }, for: 5000, action: 'latency', link: { node: 'geth', of: 'peers' }, latency: 200, jitter: 0, direction: 'both', toxicity: 1 });
    assert.deepEqual(toxicFor(f, 'f0'), [
      { name: 'f0-upstream', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } },
      { name: 'f0-downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } },
    ]);
    const s = networkFaultSchema.parse({ at: '1s', action: 'slicer', link: { node: 'a' }, averageSize: '1KB', sizeVariation: 100, delay: '0.5ms', direction: 'downstream' });
    assert.deepEqual(toxicFor(s), [{ name: 'slicer-downstream', type: 'slicer', stream: 'downstream', toxicity: 1, attributes: { average_size: 1024, size_variation: 100, delay: 500 } }]);
    const b = networkFaultSchema.parse({ at: 0, action: 'bandwidth', link: { node: 'a' }, rateKBps: 64, direction: 'upstream', toxicity: 0.5 });
    assert.deepEqual(toxicFor(b), [{ name: 'bandwidth-upstream', type: 'bandwidth', stream: 'upstream', toxicity: 0.5, attributes: { rate: 64 } }]);
    const t = networkFaultSchema.parse({ at: '2s', action: 'timeout', link: { node: 'a' } });
    assert.deepEqual(toxicFor(t).map((x) => [x.name, x.attributes]), [['timeout-upstream', { timeout: 0 }], ['timeout-downstream', { timeout: 0 }]]);
    const down = networkFaultSchema.parse({ at: '2s', for: '3s', action: 'down', link: { node: 'a' } });
    assert.deepEqual(toxicFor(down), [], "'down' disables the proxy, it adds no toxic");
  });

  it('is strict: unknown keys, unknown actions, bad values are errors', () => {
    const bad = (input: unknown, pattern: RegExp) => {
      const r = networkFaultSchema.safeParse(input);
      assert.equal(r.success, false, `accepted ${JSON.stringify(input)}`);
      assert.match(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(' | '), pattern);
    };
    const base = { at: '1s', link: { node: 'a' } };
    bad({ ...base, action: 'latency', latency: '200ms', latncy: 5 }, /latncy/);
    bad({ ...base, action: 'latency' }, /latency/);
    bad({ ...base, action: 'latency', latency: 'soon' }, /latency: expected a duration/);
    bad({ ...base, action: 'latency', latency: 10, link: { node: 'a', port: 1 } }, /link: .*port/);
    bad({ ...base, action: 'down', direction: 'both' }, /direction/);
    bad({ ...base, action: 'flood' }, /action/);
    bad({ ...base, action: 'bandwidth', rateKBps: 0 }, /rateKBps/);
    bad({ ...base, action: 'slicer', averageSize: 10, sizeVariation: 100 }, /sizeVariation/);
    bad({ ...base, action: 'timeout', toxicity: 1.5 }, /toxicity/);
    bad({ ...base, action: 'timeout', at: { between: ['1s'] } }, /at/);
    bad({ ...base, action: 'timeout', for: 0 }, /for/);
  });
});

describe('toxiproxy (real server)', function () {
  this.timeout(600_000);
  let dir: string;
  let binary: string;
  let tp: Toxiproxy;
  let echo: net.Server;
  let blob: net.Server;
  let echoProxy: ToxiproxyProxy;
  let blobProxy: ToxiproxyProxy;
  const sockets = new Set<net.Socket>();

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cs-toxiproxy-'));
    const t0 = Date.now();
    binary = await ensureToxiproxy({ onProgress: (line) => process.stderr.write(`      ${line}\n`) });
    process.stderr.write(`      toxiproxy binary ${binary} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    echo = await listen(
      net.createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
        s.pipe(s);
      }),
    );
    const payload = Buffer.alloc(BLOB_BYTES, 7);
    blob = await listen(
      net.createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
        s.end(payload);
      }),
    );
    tp = await startToxiproxy({ logFile: path.join(dir, 'toxiproxy.log'), binary, seed: 1 });
    echoProxy = await tp.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: hostPort(echo) });
    blobProxy = await tp.createProxy({ name: 'blob', upstream: hostPort(blob) });
  });

  after(async () => {
    await tp?.stop();
    for (const s of sockets) s.destroy();
    echo?.close();
    blob?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    if (tp?.isRunning()) await tp.resetAll();
  });

  it('runs toxiproxy 2.5.0 with its admin API and every proxy on 127.0.0.1', async () => {
    assert.equal(tp.version, '2.5.0');
    assert.match(tp.adminUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const p of [echoProxy, blobProxy]) {
      assert.match(p.listen, /^127\.0\.0\.1:\d+$/);
      assert.notEqual(splitHostPort(p.listen).port, 0, 'the real port, not 0');
    }
    assert.equal(echoProxy.upstream, hostPort(echo));
    const listening = listeningAddresses(tp.pid);
    assert.deepEqual(new Set(listening), new Set([new URL(tp.adminUrl).host, echoProxy.listen, blobProxy.listen]), `listening: ${listening.join(' ')}`);
  });

  it('forwards: data through the echo proxy comes back, the blob arrives whole', async () => {
    const out = await watch(echoProxy.listen, Buffer.from('hello'), 5000, { untilBytes: 5 });
    assert.equal(out.bytes, 5);
    const b = await watch(blobProxy.listen, undefined, 10_000);
    assert.equal(b.bytes, BLOB_BYTES);
    assert.equal(b.end, 'end');
  });

  it('latency 200 ms adds at least 190 ms to a round trip; removing it takes it away', async () => {
    const base = await roundTripMs(echoProxy.listen);
    await tp.addToxic(echoProxy, { name: 'lat', type: 'latency', stream: 'downstream', attributes: { latency: 200, jitter: 0 } });
    const state = await tp.getProxy(echoProxy);
    assert.deepEqual(
      state.toxics.map((t) => [t.name, t.type, t.stream, t.attributes]),
      [['lat', 'latency', 'downstream', { latency: 200, jitter: 0 }]],
    );
    const slow = await roundTripMs(echoProxy.listen);
    await tp.removeToxic(echoProxy, 'lat');
    const again = await roundTripMs(echoProxy.listen);
    process.stderr.write(`      round trip: ${base.toFixed(1)} ms, with latency 200 ms: ${slow.toFixed(1)} ms, removed: ${again.toFixed(1)} ms\n`);
    assert.ok(slow - base >= 190, `added ${(slow - base).toFixed(1)} ms`);
    assert.ok(slow < 2000, `with latency: ${slow.toFixed(1)} ms`);
    assert.ok(again < 150, `after removal: ${again.toFixed(1)} ms`);
  });

  it("a parsed latency fault with direction 'both' delays each way (toxicFor)", async () => {
    const fault = networkFaultSchema.parse({ at: '0s', action: 'latency', link: { node: 'echo' }, latency: '150ms' });
    const base = await roundTripMs(echoProxy.listen);
    for (const toxic of toxicFor(fault, 'f1')) await tp.addToxic(echoProxy, toxic);
    const slow = await roundTripMs(echoProxy.listen);
    process.stderr.write(`      round trip with 150 ms each way: ${slow.toFixed(1)} ms (base ${base.toFixed(1)} ms)\n`);
    assert.ok(slow - base >= 290, `added ${(slow - base).toFixed(1)} ms`);
    assert.ok(slow < 3000);
  });

  it('bandwidth limits a 1 MB transfer to roughly the rate', async () => {
    const free = await watch(blobProxy.listen, undefined, 30_000);
    assert.equal(free.bytes, BLOB_BYTES);
    const rate = 256; // KB/s, 1 KB = 1000 bytes: 1 MiB takes about 4.1 s
    await tp.addToxic(blobProxy, { name: 'bw', type: 'bandwidth', stream: 'downstream', attributes: { rate } });
    const limited = await watch(blobProxy.listen, undefined, 60_000);
    const kbps = BLOB_BYTES / 1000 / (limited.ms / 1000);
    process.stderr.write(
      `      1 MiB: unlimited ${free.ms.toFixed(0)} ms; at ${rate} KB/s ${limited.ms.toFixed(0)} ms = ${kbps.toFixed(1)} KB/s (${limited.chunks} reads)\n`,
    );
    assert.equal(limited.bytes, BLOB_BYTES);
    assert.equal(limited.end, 'end');
    assert.ok(free.ms < 1500, `unlimited transfer ${free.ms.toFixed(0)} ms`);
    assert.ok(kbps >= rate * 0.6 && kbps <= rate * 1.25, `${kbps.toFixed(1)} KB/s for a limit of ${rate} KB/s`);
  });

  it('timeout 0: the connection stays open and sees no data; removing the toxic closes it, new connections work', async () => {
    await tp.addToxic(echoProxy, { name: 'to', type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } });
    const socket = await connect(echoProxy.listen);
    let received = 0;
    let closed = false;
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.on('close', () => (closed = true));
    socket.on('error', () => {});
    socket.write('ping\n');
    await sleep(1500);
    assert.equal(received, 0, 'no data through a timeout toxic');
    assert.equal(closed, false, 'timeout 0 keeps the connection open');
    await tp.removeToxic(echoProxy, 'to');
    const deadline = Date.now() + 5000;
    while (!closed && Date.now() < deadline) await sleep(50);
    socket.destroy();
    assert.equal(closed, true, 'removing the timeout toxic closed the connection it held');
    assert.equal(received, 0, 'the held data was dropped, not delivered late');
    assert.ok((await roundTripMs(echoProxy.listen, 1)) < 1000);
  });

  it('timeout 500 ms: no data, then a graceful close (FIN) after about 500 ms', async () => {
    await tp.addToxic(echoProxy, { name: 'to', type: 'timeout', stream: 'downstream', attributes: { timeout: 500 } });
    const out = await watch(echoProxy.listen, Buffer.from('ping\n'), 10_000);
    process.stderr.write(`      timeout 500: closed after ${out.ms.toFixed(0)} ms (${out.end}${out.code ? ' ' + out.code : ''})\n`);
    assert.equal(out.bytes, 0);
    assert.equal(out.end, 'end');
    assert.ok(out.ms >= 450 && out.ms < 5000, `closed after ${out.ms.toFixed(0)} ms`);
  });

  it('reset_peer resets new connections on their first data (ECONNRESET)', async () => {
    await tp.addToxic(echoProxy, { name: 'rst', type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const out = await watch(echoProxy.listen, Buffer.from('ping\n'), 5000);
    process.stderr.write(`      reset_peer: ${out.end} ${out.code ?? ''} after ${out.ms.toFixed(0)} ms\n`);
    assert.equal(out.end, 'error');
    assert.equal(out.code, 'ECONNRESET');
    assert.equal(out.bytes, 0);
    await tp.removeToxic(echoProxy, 'rst');
    assert.ok((await roundTripMs(echoProxy.listen, 1)) < 1000);
  });

  it("'down' (disabled proxy) refuses connections and closes open ones; enabling brings it back on the same address", async () => {
    const open = await connect(echoProxy.listen);
    const openClosed = new Promise<void>((resolve) => open.once('close', () => resolve()));
    open.on('error', () => {});
    await tp.setEnabled(echoProxy, false);
    assert.equal((await tp.getProxy(echoProxy)).enabled, false);
    await assert.rejects(connect(echoProxy.listen), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    const closedInTime = await Promise.race([openClosed.then(() => true), sleep(5000).then(() => false)]);
    open.destroy();
    assert.equal(closedInTime, true, 'the open connection was closed');
    await tp.setEnabled(echoProxy, true);
    const state = await tp.getProxy(echoProxy);
    assert.equal(state.enabled, true);
    assert.equal(state.listen, echoProxy.listen);
    assert.ok((await roundTripMs(echoProxy.listen, 1)) < 1000);
  });

  it('limit_data closes after the limit; slow_close delays the close; slicer cuts data into pieces', async () => {
    await tp.addToxic(blobProxy, { name: 'lim', type: 'limit_data', stream: 'downstream', attributes: { bytes: 10_000 } });
    const limited = await watch(blobProxy.listen, undefined, 10_000);
    assert.equal(limited.bytes, 10_000);
    assert.equal(limited.end, 'end');
    await tp.removeToxic(blobProxy, 'lim');

    const fast = await watch(blobProxy.listen, undefined, 10_000);
    await tp.addToxic(blobProxy, { name: 'sc', type: 'slow_close', stream: 'downstream', attributes: { delay: 1000 } });
    const slowClosed = await watch(blobProxy.listen, undefined, 10_000);
    await tp.removeToxic(blobProxy, 'sc');
    process.stderr.write(`      slow_close 1000 ms: close after ${slowClosed.ms.toFixed(0)} ms (without: ${fast.ms.toFixed(0)} ms)\n`);
    assert.equal(slowClosed.bytes, BLOB_BYTES);
    assert.ok(slowClosed.ms - fast.ms >= 900, `close delayed by ${(slowClosed.ms - fast.ms).toFixed(0)} ms`);

    const msg = Buffer.alloc(4000, 1);
    const whole = await watch(echoProxy.listen, msg, 5000, { untilBytes: msg.length });
    await tp.addToxic(echoProxy, { name: 'sl', type: 'slicer', stream: 'downstream', attributes: { average_size: 100, size_variation: 10, delay: 5000 } });
    const sliced = await watch(echoProxy.listen, msg, 10_000, { untilBytes: msg.length });
    process.stderr.write(`      slicer: ${sliced.chunks} reads in ${sliced.ms.toFixed(0)} ms (without: ${whole.chunks} reads, ${whole.ms.toFixed(0)} ms)\n`);
    assert.equal(sliced.bytes, msg.length);
    assert.ok(sliced.chunks >= 10, `${sliced.chunks} reads`);
    assert.ok(sliced.ms >= 100, `~40 pieces 5 ms apart took ${sliced.ms.toFixed(0)} ms`);
  });

  it('resetAll removes every toxic and enables every proxy', async () => {
    await tp.addToxic(echoProxy, { name: 'lat', type: 'latency', stream: 'downstream', attributes: { latency: 500 } });
    await tp.setEnabled(blobProxy, false);
    await tp.resetAll();
    const [e, b] = await Promise.all([tp.getProxy(echoProxy), tp.getProxy(blobProxy)]);
    assert.deepEqual(e.toxics, []);
    assert.equal(b.enabled, true);
    assert.ok((await roundTripMs(echoProxy.listen, 1)) < 400);
    assert.equal((await watch(blobProxy.listen, undefined, 10_000)).bytes, BLOB_BYTES);
  });

  it('an invalid toxic, an unknown proxy, a duplicate name: one-line InfraErrors', async () => {
    await assert.rejects(
      tp.addToxic(echoProxy, { name: 'neg', type: 'latency', stream: 'downstream', attributes: { latency: -5 } }),
      assertOneLineInfraError(/latency\.latency must be an integer >= 0/),
    );
    await assert.rejects(tp.addToxic(echoProxy, { name: 'x', type: 'jam', stream: 'downstream', attributes: {} } as unknown as Toxic), assertOneLineInfraError(/unknown toxic type "jam"/));
    await assert.rejects(
      tp.addToxic(echoProxy, { name: 'x', type: 'latency', stream: 'sideways', attributes: { latency: 1 } } as unknown as Toxic),
      assertOneLineInfraError(/bad stream/),
    );
    await assert.rejects(
      tp.addToxic(echoProxy, { name: 'x', type: 'bandwidth', stream: 'upstream', toxicity: 2, attributes: { rate: 10 } }),
      assertOneLineInfraError(/toxicity/),
    );
    // Rejected by toxiproxy itself: its answer is in the message.
    await assert.rejects(
      tp.addToxic('nosuch', { name: 'x', type: 'latency', stream: 'downstream', attributes: { latency: 1 } }),
      assertOneLineInfraError(/^toxiproxy: add latency toxic x to proxy nosuch: POST \/proxies\/nosuch\/toxics: HTTP 404 proxy not found$/),
    );
    await tp.addToxic(echoProxy, { name: 'dup', type: 'latency', stream: 'downstream', attributes: { latency: 1 } });
    await assert.rejects(
      tp.addToxic(echoProxy, { name: 'dup', type: 'latency', stream: 'upstream', attributes: { latency: 1 } }),
      assertOneLineInfraError(/HTTP 409 toxic already exists$/),
    );
    await assert.rejects(tp.removeToxic(echoProxy, 'nope'), assertOneLineInfraError(/HTTP 404 toxic not found$/));
    await assert.rejects(tp.createProxy({ name: 'echo', upstream: hostPort(echo) }), assertOneLineInfraError(/HTTP 409 proxy already exists$/));
    await assert.rejects(tp.createProxy({ name: 'wide', listen: '0.0.0.0:0', upstream: hostPort(echo) }), assertOneLineInfraError(/not a loopback/));
  });

  it('deleteProxy closes its listener', async () => {
    const p = await tp.createProxy({ name: 'temp', upstream: hostPort(echo) });
    assert.ok((await roundTripMs(p.listen, 1)) < 1000);
    await tp.deleteProxy('temp');
    await assert.rejects(connect(p.listen), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    await assert.rejects(tp.getProxy('temp'), assertOneLineInfraError(/HTTP 404 proxy not found$/));
  });

  it('stop() ends the process group and takes it off the exit-time kill list; an abort signal stops it too', async () => {
    // Every running group shares one exit listener (the main server's is there already): none is added per server.
    const before = process.listenerCount('exit');
    const second = await startToxiproxy({ logFile: path.join(dir, 'second.log'), binary });
    assert.ok(groupsToKillOnExit.has(second.pid), 'killed at exit while it runs');
    assert.equal(process.listenerCount('exit'), before);
    assert.ok(processAlive(second.pid));
    await second.stop();
    assert.equal(second.isRunning(), false);
    assert.equal(processAlive(second.pid), false, 'toxiproxy process gone');
    assert.throws(() => process.kill(-second.pid, 0), 'no process left in its group');
    assert.equal(groupsToKillOnExit.has(second.pid), false);
    await second.stop(); // idempotent
    await assert.rejects(second.setEnabled('echo', false), assertOneLineInfraError(/not running/));

    const controller = new AbortController();
    const third = await startToxiproxy({ logFile: path.join(dir, 'third.log'), binary, signal: controller.signal });
    assert.ok(groupsToKillOnExit.has(third.pid));
    controller.abort();
    const deadline = Date.now() + 10_000;
    while (third.isRunning() && Date.now() < deadline) await sleep(50);
    assert.equal(third.isRunning(), false, 'aborting the signal stopped toxiproxy');
    assert.equal(processAlive(third.pid), false);
    await third.stop();
    assert.equal(groupsToKillOnExit.has(third.pid), false);

    // The main server too: the last running group, so the exit listener goes with it.
    const pid = tp.pid;
    await tp.stop();
    assert.equal(processAlive(pid), false);
    assert.equal(process.listenerCount('exit'), before - 1);
    await assert.rejects(connect(echoProxy.listen), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
  });
});
