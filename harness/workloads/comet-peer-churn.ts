/**
 * comet-peer-churn: a CometBFT / Tendermint peer connected by the `dial_peers` RPC and dropped again, over
 * and over, against the nodes that dial it (the ones whose heap and goroutines are being watched).
 *
 * Why this shape: CometBFT has no RPC that drops a peer. rpc/core/net.go (v0.34 to v1.x) offers
 * `dial_seeds` and `dial_peers` (unsafe: needs `rpc.unsafe = true`, which chainsoak only ever serves on
 * 127.0.0.1) and nothing that disconnects; the switch drops a peer only when its connection fails
 * (StopPeerForError) or the reactor asks (StopPeerGracefully). `unsafe_flush_mempool` touches the mempool,
 * not peers. So the real way to drop is the peer going away: the target node is stopped (SIGTERM: it
 * closes its connections, each dialer's MConnection reads EOF, StopPeerForError removes it) or killed
 * (SIGKILL: the kernel closes the sockets, same path), then started again for the next cycle.
 *
 * For the dials to be what connects, the target should be in no node's `p2p.persistent_peers` and have
 * none itself (otherwise the switch's own reconnect loop, every 5-8 s, connects it as well). The
 * workload reports that as `extra.autoConnects`: the target already connected when a cycle's dials go out.
 *
 * One cycle (at most `cycles`, never past durationMs, stops on ctx.signal):
 *  1. start the target if it is down (restart(); its RPC answering is enough to dial: a late full node
 *     whose readiness waits for blocks gets them through the dial, so the start is awaited afterwards);
 *  2. dial_peers(["<id>@<its p2p address>"], persistent = `persistent`) on each dialer ('all' the other
 *     nodes with an rpc endpoint that are up, or `dialers` of them chosen with the seed), then poll each
 *     dialer's /net_info until the target is a peer (latency = dial call to sighting; bounded by
 *     connectTimeoutMs; dial_peers dials after a random 0-3 s sleep of the switch);
 *  3. hold `intervalMs`; /net_info of every dialer for the peak peer count;
 *  4. stop (or kill, `drop`) the target, then poll the dialers' /net_info until it is gone from all.
 * At the end the target is brought back to how the workload found it (up if it was up; a late joiner that
 * was never started stays down).
 *
 * Counters: sent = dial_peers calls + drops; accepted = dials whose peer showed up + drops whose peer left
 * every dialer; failed = the rest. extra: dials, peersAdded (dialer-target connections seen), peersRemoved
 * (seen gone), maxPeers (highest n_peers of a dialer), connectFailures, peersSeen (distinct node IDs seen
 * in the dialers' /net_info over the run), autoConnects, restarts (target starts), cycles (completed).
 *
 * The target's process is restarted by this workload: its own before/after profiles come from different
 * processes, like a node hit by a restart fault.
 */
import { UsageError } from '../errors.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { seededRandom } from '../scenario/random.ts';
import { ErrorSample, LatencyHistogram, pollUntil, sleep, windowStats } from './stats.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';
import { z } from 'zod';
import { durationMs } from '../scenario/fields.ts';

const positiveInt = z.number().int().positive();


export const cometPeerChurnSchema = z.strictObject({
  kind: z.literal('comet-peer-churn'),
  /** Dial / drop rounds. */
  cycles: positiveInt.max(1_000),
  /** How long each round's connections are held before the target is dropped. */
  intervalMs: durationMs(3_600_000).default(1_000),
  /** The node that is dialed and dropped (a node name of the run). Default: the last node. */
  target: z.string().min(1).optional(),
  /** 'all' other nodes dial the target each round, or this many of them chosen with the seed. */
  dialers: z.union([z.literal('all'), positiveInt.max(1_000)]).default('all'),
  /** 'stop' (SIGTERM, a clean close) or 'kill' (SIGKILL) the target to drop its connections. */
  drop: z.enum(['stop', 'kill']).default('stop'),
  /** dial_peers' `persistent`: true makes each dialer keep redialing the target when it is down (by design). */
  persistent: z.boolean().default(false),
  /** Bound on waiting for a dialed target to show in a dialer's /net_info. */
  connectTimeoutMs: durationMs(600_000).default(30_000),
  /** Bound on waiting for a dropped target to leave every dialer's /net_info. */
  dropTimeoutMs: durationMs(600_000).default(30_000),
});

export type CometPeerChurnDecl = z.input<typeof cometPeerChurnSchema>;
export type CometPeerChurnOptions = z.output<typeof cometPeerChurnSchema>;

const RPC_TIMEOUT_MS = 10_000;

interface NetInfo {
  n_peers: string;
  peers: Array<{ node_info?: { id?: string }; is_outbound?: boolean; remote_ip?: string }>;
}

interface Status {
  node_info?: { id?: string; listen_addr?: string };
}

/** One JSON-RPC call with named params over POST; the result. RPC errors come back as HTTP 500 with a body. */
async function cometRpc<T>(rpc: string, method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
  const timeout = AbortSignal.timeout(RPC_TIMEOUT_MS);
  const response = await fetch(rpc, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
  });
  const text = await response.text();
  let body: { result?: T; error?: { message?: string; data?: string } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${method} at ${rpc}: HTTP ${response.status} ${text.slice(0, 120)}`);
  }
  if (body.error) {
    const detail = `${body.error.message ?? ''} ${body.error.data ?? ''}`.trim();
    const hint = /method not found/i.test(detail) && method.startsWith('dial') ? " (dial_peers is an unsafe RPC: set config: { 'rpc.unsafe': true } on the dialing nodes)" : '';
    throw new Error(`${method} at ${rpc}: ${detail}${hint}`);
  }
  return body.result as T;
}

async function peersOf(rpc: string, signal?: AbortSignal): Promise<{ ids: Set<string>; n: number }> {
  const info = await cometRpc<NetInfo>(rpc, 'net_info', {}, signal);
  return { ids: new Set(info.peers.map((p) => (p.node_info?.id ?? '').toLowerCase())), n: Number(info.n_peers) };
}


export function cometPeerChurn(opts: CometPeerChurnOptions): Workload {
  let target: RunningNode | undefined;
  let others: RunningNode[] = [];
  let seed = 1;
  let wasUp = false;
  let sent = 0;
  let accepted = 0;
  let failed = 0;
  let windowMs = 0;
  let cyclesDone = 0;
  let address: string | undefined; // id@host:port, known once the target ran
  let targetId = '';
  const hist = new LatencyHistogram();
  const errors = new ErrorSample();
  const seen = new Set<string>();
  const extra = { dials: 0, peersAdded: 0, peersRemoved: 0, maxPeers: 0, connectFailures: 0, autoConnects: 0, restarts: 0 };

  const fail = (message: string) => {
    failed++;
    errors.add(message);
  };

  async function observe(dialers: RunningNode[], signal: AbortSignal): Promise<void> {
    await Promise.all(
      dialers.map(async (d) => {
        const p = await peersOf(d.endpoints.rpc!, signal).catch(() => undefined);
        if (!p) return;
        extra.maxPeers = Math.max(extra.maxPeers, p.n);
        for (const id of p.ids) if (id) seen.add(id);
      }),
    );
  }

  /** Start the target if it is down; resolves once its RPC answers (the start itself is returned to await later). */
  async function bringUp(signal: AbortSignal): Promise<{ starting: Promise<void> }> {
    const t = target!;
    let starting: Promise<void> = Promise.resolve();
    if (!t.isRunning()) {
      extra.restarts++;
      starting = t.restart();
    }
    // The caller awaits `starting`; this handler records an early failure (and keeps it from going unhandled).
    let startError: unknown;
    starting.catch((e: unknown) => (startError = e));
    const answered = await pollUntil(
      async () => {
        if (startError) throw startError;
        const status = await cometRpc<Status>(t.endpoints.rpc!, 'status', {}, signal);
        const id = status.node_info?.id?.toLowerCase();
        if (!id) return false;
        targetId = id;
        // Where the other nodes reach its p2p port: the runtime knows (loopback, or the run's container network).
        address = `${id}@${t.peerAddress('p2p')}`;
        return true;
      },
      60_000,
      signal,
    );
    if (startError) throw startError;
    if (!answered) throw new Error(`${t.name}: RPC did not answer within 60 s of its start`);
    return { starting };
  }

  async function dial(d: RunningNode, signal: AbortSignal): Promise<boolean> {
    sent++;
    extra.dials++;
    const t0 = performance.now();
    try {
      await cometRpc(d.endpoints.rpc!, 'dial_peers', { peers: [address!], persistent: opts.persistent, unconditional: false, private: false }, signal);
    } catch (error) {
      extra.connectFailures++;
      fail((error as Error).message);
      return false;
    }
    const ok = await pollUntil(async () => (await peersOf(d.endpoints.rpc!, signal)).ids.has(targetId), opts.connectTimeoutMs, signal);
    if (!ok) {
      extra.connectFailures++;
      fail(signal.aborted ? 'aborted while waiting for a peer' : `${d.name} -> ${target!.name}: not in /net_info within ${opts.connectTimeoutMs} ms of dial_peers`);
      return false;
    }
    hist.record(performance.now() - t0);
    accepted++;
    extra.peersAdded++;
    return true;
  }

  async function dropTarget(dialers: RunningNode[], connected: number, signal: AbortSignal): Promise<void> {
    sent++;
    try {
      await (opts.drop === 'kill' ? target!.kill() : target!.stop());
    } catch (error) {
      fail(`${opts.drop} ${target!.name}: ${(error as Error).message}`);
      return;
    }
    const gone = await pollUntil(
      async () => (await Promise.all(dialers.map((d) => peersOf(d.endpoints.rpc!, signal)))).every((p) => !p.ids.has(targetId)),
      opts.dropTimeoutMs,
      signal,
    );
    if (!gone) {
      fail(`${target!.name} still a peer of a dialer ${opts.dropTimeoutMs} ms after ${opts.drop}`);
      return;
    }
    accepted++;
    extra.peersRemoved += connected;
  }

  return {
    kind: 'comet-peer-churn',

    async prepare(ctx: WorkloadContext) {
      seed = ctx.seed;
      const withRpc = ctx.nodes.filter((n) => n.endpoints.rpc);
      target = opts.target ? withRpc.find((n) => n.name === opts.target) : withRpc[withRpc.length - 1];
      if (!target) {
        throw new UsageError(`comet-peer-churn: target '${opts.target ?? '(last node)'}' is not a CometBFT/Tendermint node of the run (nodes: ${withRpc.map((n) => n.name).join(', ') || 'none'})`);
      }
      others = withRpc.filter((n) => n !== target);
      if (others.length === 0) throw new UsageError(`comet-peer-churn needs at least one node besides the target ${target.name} to dial it`);
      wasUp = target.isRunning();
      ctx.log(`comet-peer-churn: target ${target.name} (${wasUp ? 'up' : 'down'}), dialers ${opts.dialers}, ${opts.cycles} cycles, drop by ${opts.drop}`);
    },

    async run(ctx: WorkloadContext, durationMs: number) {
      // The target is stopped and started by every cycle: its profiles are from different processes.
      if (target) ctx.disrupted?.(target.name);
      const random = seededRandom(seed, 'comet-peer-churn');
      const signal = ctx.signal;
      const start = performance.now();
      const deadline = start + durationMs;
      try {
        for (let c = 0; c < opts.cycles; c++) {
          if (signal.aborted || performance.now() >= deadline) break;
          const up = others.filter((n) => n.isRunning());
          let dialers = up;
          if (opts.dialers !== 'all' && opts.dialers < up.length) {
            const pool = [...up];
            dialers = [];
            for (let k = 0; k < opts.dialers; k++) dialers.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
          }
          if (dialers.length === 0) {
            errors.add('no dialer is up');
            break;
          }
          let starting: Promise<void>;
          try {
            ({ starting } = await bringUp(signal));
          } catch (error) {
            fail(`start ${target!.name}: ${(error as Error).message}`);
            break;
          }
          // Already connected before any dial of this cycle: a persistent peer's reconnect loop (or the target's own) did it.
          const before = await Promise.all(dialers.map((d) => peersOf(d.endpoints.rpc!, signal).then((p) => p.ids.has(targetId)).catch(() => false)));
          extra.autoConnects += before.filter(Boolean).length;
          const results = await Promise.all(dialers.map((d) => dial(d, signal)));
          try {
            await starting;
          } catch (error) {
            fail(`start ${target!.name}: ${(error as Error).message}`);
            break;
          }
          await observe(dialers, signal);
          if (!signal.aborted) await sleep(Math.min(opts.intervalMs, Math.max(0, deadline - performance.now())), signal);
          await observe(dialers, signal);
          if (signal.aborted) break;
          await dropTarget(dialers, results.filter(Boolean).length, signal);
          cyclesDone++;
        }
      } finally {
        windowMs += performance.now() - start; // run() may be called once per cycle
      }
      // Back up before the final snapshot when the workload found the target up (not after an abort).
      if (!signal.aborted && wasUp && !target!.isRunning()) {
        extra.restarts++;
        await target!.restart().catch((e: Error) => errors.add(`restart ${target!.name} after the cycles: ${e.message}`));
      }
    },

    async release() {
      // Back to how the workload found the target: a node that was up is started again (its peers, if
      // persistent, reconnect on their own); a late joiner that was never started stays down.
      if (target && wasUp && !target.isRunning()) {
        extra.restarts++;
        await target.restart().catch((e: Error) => errors.add(`restart ${target!.name} at release: ${e.message}`));
      }
    },

    progress(): WorkloadProgress {
      return { sent, accepted, failed, latency: hist };
    },

    stats(): WorkloadStats {
      return windowStats('comet-peer-churn', { sent, accepted, failed, windowMs, hist, errors, extra: { ...extra, peersSeen: seen.size, cycles: cyclesDone } });
    },
  };
}
