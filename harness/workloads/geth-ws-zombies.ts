/**
 * geth-ws-zombies: websocket clients that subscribe and then stop reading (slow consumers).
 *
 * run() opens `clients` connections to the nodes' ws endpoints (round robin), sends eth_subscribe on
 * each and, as soon as the subscription is confirmed, pauses the socket: nothing is read any more, so
 * the kernel buffers fill and geth's writer for that connection blocks. The zombies stay open after run()
 * returns, through the 'after' profiles, until release() destroys them abruptly (no close handshake).
 * run() returns after holdMs (default: the whole durationMs), or at once on abort.
 *
 * Bounded: never more than `clients` connections, at most `concurrency` connecting at once, and the
 * connect and the subscribe answer each have a timeout. The websocket client is ws-streams' StreamClient.
 */
import type { RunningNode } from '../runtimes/runtime.ts';
import { ErrorSample, LatencyHistogram, localAbort, sleep } from './stats.ts';
import type { OptionsOf } from './schemas.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';
import { ethProtocol, openSubscribed, type StreamClient } from './ws-streams.ts';

export type ZombieSubscription = 'newHeads' | 'logs' | 'newPendingTransactions';

/** Every option, as the scenario sets it (schemas.ts has each field's bound; the defaults are below). */
export type GethWsZombiesOptions = OptionsOf<'geth-ws-zombies'>;

/** Opens one socket, subscribes (ws-streams' eth adapter), and stops reading once the subscription id comes back. */
async function openZombie(url: string, sub: ZombieSubscription, timeoutMs: number, signal: AbortSignal): Promise<{ client: StreamClient; latencyMs: number }> {
  const { client, latencyMs } = await openSubscribed(url, ethProtocol, sub, { timeoutMs, signal });
  client.stopReading(); // from now on geth's writes back up into the socket buffers
  return { client, latencyMs };
}

export function gethWsZombies(opts: GethWsZombiesOptions): Workload {
  const clients = Math.floor(opts.clients);
  const subscription: ZombieSubscription = opts.subscription ?? 'newHeads';
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 32));
  if (!(clients >= 1)) throw new Error(`geth-ws-zombies: clients must be >= 1, got ${opts.clients}`);

  let zombies: StreamClient[] = [];
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
      const local = localAbort(ctx.signal, concurrency + 8);
      const t0 = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < clients && !ctx.signal.aborted) {
          const i = next++;
          attempted++;
          try {
            const { client, latencyMs } = await openZombie(urls[i % urls.length], subscription, connectTimeoutMs, local.signal);
            hist.record(latencyMs);
            confirmed++;
            zombies.push(client);
            client.onClosed(() => {
              if (zombies.includes(client)) closedEarly++;
            });
          } catch (err) {
            failed++;
            errors.add(err instanceof Error ? err.message : String(err));
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(concurrency, clients) }, worker));
      } finally {
        local.unlink();
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
      for (const client of held) client.destroy(); // abrupt: destroy the TCP socket, no close frame
    },

    progress(): WorkloadProgress {
      return { sent: attempted, accepted: confirmed, failed, latency: hist };
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
