/**
 * geth-ws-zombies: websocket clients that subscribe and then stop reading (slow consumers).
 *
 * run() opens `clients` connections to the nodes' ws endpoints (round robin), sends eth_subscribe on
 * each and, as soon as the subscription is confirmed, pauses the socket: nothing is read any more, so
 * the kernel buffers fill and geth's writer for that connection blocks. The zombies stay open after run()
 * returns, through the 'after' profiles, until release() destroys them abruptly (no close handshake).
 * run() returns after holdMs (default: the whole durationMs), or at once on abort.
 *
 * Bounded: never more than `clients` connections, at most `concurrency` connecting at once, and each
 * connect + subscribe has a timeout.
 */
import { setMaxListeners } from 'node:events';
import WebSocket from 'ws';
import type { RunningNode } from '../runtimes/runtime.ts';
import { ErrorSample, LatencyHistogram, sleep } from './stats.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';

export type ZombieSubscription = 'newHeads' | 'logs' | 'newPendingTransactions';

export interface GethWsZombiesOptions {
  clients: number;
  /** What each zombie subscribes to. Default newHeads. */
  subscription?: ZombieSubscription;
  /** How long run() waits after opening before it returns (zombies stay open until release()). Default: durationMs. */
  holdMs?: number;
  /** Bound on connect + subscribe for one client. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** Connections being opened at the same time. Default 32. */
  concurrency?: number;
}

function subscribeParams(sub: ZombieSubscription): unknown[] {
  return sub === 'logs' ? ['logs', {}] : [sub];
}

/** Opens one socket, subscribes, and pauses it once the subscription id comes back. */
function openZombie(url: string, sub: ZombieSubscription, timeoutMs: number, signal: AbortSignal): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      ws.terminate();
      reject(err);
    };
    const onAbort = () => fail(new Error('aborted'));
    const timer = setTimeout(() => fail(new Error(`connect + subscribe timed out after ${timeoutMs} ms`)), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      ws.removeListener('message', onMessage);
    };
    const onMessage = (data: WebSocket.RawData) => {
      let msg: { id?: unknown; result?: unknown; error?: { message?: string } };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (msg.id !== 1) return;
      if (typeof msg.result === 'string') {
        settled = true;
        cleanup();
        ws.pause(); // stop reading: from now on geth's writes back up into the socket buffers
        resolve(ws);
      } else {
        fail(new Error(`eth_subscribe: ${msg.error?.message ?? 'no subscription id'}`));
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    ws.on('message', onMessage);
    ws.on('error', (err) => fail(err));
    ws.on('close', (code) => fail(new Error(`closed before subscribing (code ${code})`)));
    ws.on('open', () => {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: subscribeParams(sub) }));
    });
  });
}

export function gethWsZombies(opts: GethWsZombiesOptions): Workload {
  const clients = Math.floor(opts.clients);
  const subscription: ZombieSubscription = opts.subscription ?? 'newHeads';
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 32));
  if (!(clients >= 1)) throw new Error(`geth-ws-zombies: clients must be >= 1, got ${opts.clients}`);

  let zombies: WebSocket[] = [];
  let attempted = 0;
  let confirmed = 0;
  let failed = 0;
  let closedEarly = 0;
  let openMs = 0;
  let runMs = 0;
  const hist = new LatencyHistogram();
  const errors = new ErrorSample(10);

  return {
    kind: 'geth-ws-zombies',

    async prepare(ctx: WorkloadContext): Promise<void> {
      if (!ctx.nodes.some((n: RunningNode) => n.endpoints.ws)) throw new Error('geth-ws-zombies: no node with a ws endpoint');
    },

    async run(ctx: WorkloadContext, durationMs: number): Promise<void> {
      const urls = ctx.nodes.map((n) => n.endpoints.ws).filter((u): u is string => !!u);
      if (urls.length === 0) throw new Error('geth-ws-zombies: no node with a ws endpoint');
      // One listener on the harness signal; the connecting clients listen on a local one.
      const local = new AbortController();
      setMaxListeners(concurrency + 8, local.signal);
      const onAbort = () => local.abort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal.aborted) local.abort();
      const t0 = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < clients && !ctx.signal.aborted) {
          const i = next++;
          attempted++;
          const t = performance.now();
          try {
            const ws = await openZombie(urls[i % urls.length], subscription, connectTimeoutMs, local.signal);
            hist.record(performance.now() - t);
            confirmed++;
            zombies.push(ws);
            ws.on('error', () => {}); // a paused socket rarely reports anything; never crash on it
            ws.once('close', () => closedEarly++);
          } catch (err) {
            failed++;
            errors.add(err instanceof Error ? err.message : String(err));
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(concurrency, clients) }, worker));
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
      openMs = performance.now() - t0;
      ctx.log(`geth-ws-zombies: ${confirmed}/${clients} ${subscription} zombies open in ${Math.round(openMs)} ms (${failed} failed)`);
      const hold = Math.min(durationMs, opts.holdMs ?? durationMs);
      await sleep(hold - (performance.now() - t0), ctx.signal);
      runMs = performance.now() - t0;
    },

    async release(): Promise<void> {
      const held = zombies;
      zombies = [];
      for (const ws of held) {
        ws.removeAllListeners('close');
        ws.terminate(); // abrupt: destroy the TCP socket, no close frame
      }
    },

    progress(): WorkloadProgress {
      return { sent: attempted, accepted: confirmed, failed };
    },

    stats(): WorkloadStats {
      return {
        kind: 'geth-ws-zombies',
        sent: attempted,
        accepted: confirmed,
        failed,
        achievedRate: openMs > 0 ? Math.round((confirmed / (openMs / 1000)) * 10) / 10 : 0,
        durationMs: Math.round(runMs),
        latency: hist.summary(),
        errors: errors.list(),
        extra: { subscription, held: zombies.length, closedBeforeRelease: closedEarly, openMs: Math.round(openMs) },
      };
    },
  };
}
