/**
 * geth-peer-churn: devp2p peers connected and disconnected over and over through the admin API, on geth
 * nodes of one p2p network (geth option `network: 'p2p'`: shared genesis, devp2p on 127.0.0.1, discovery
 * off, so nothing connects unless asked).
 *
 * prepare(): admin_nodeInfo of every running p2p geth node (enode URL and node ID). Needs at least two.
 *
 * run(): `cycles` times (never past durationMs, stops on ctx.signal):
 *  1. pick the cycle's pairs: 'all' unordered pairs of nodes, or `pairs` of them chosen with the seed;
 *     in each pair the dialer is the side that dialed the other longest ago (geth refuses to re-dial a
 *     node it dialed in the last 35 s: p2p/dial.go dialHistoryExpiration = inboundThrottleTime + 5 s, so
 *     alternating directions halves that wait; the tie on a pair's first use is broken by the seed);
 *  2. per pair, at once: (admin_addTrustedPeer, with `trusted`) admin_addPeer(enode) on the dialer, then
 *     poll the dialer's admin_peers until the other node's ID is there (latency = call to sighting;
 *     bounded by connectTimeoutMs, a miss counts in connectFailures);
 *  3. admin_peers of every node, for the peak peer count (extra.maxPeers);
 *  4. wait intervalMs (connections held);
 *  5. per pair: admin_removePeer(enode) on the dialer (geth drops the static entry and disconnects,
 *     waiting for the drop), (admin_removeTrustedPeer), then poll both sides' admin_peers until neither
 *     lists the other (bounded by dropTimeoutMs).
 *
 * Counters: sent = admin_addPeer + admin_removePeer calls; accepted = those that did what they ask (the
 * peer showed up / is gone on both sides); failed = the rest (sent = accepted + failed). extra: peersAdded
 * (connections seen), peersRemoved (connections seen gone), maxPeers (most peers one node had),
 * connectFailures, trustedCalls, cycles (completed). release() removes whatever static peer the workload
 * still holds (an aborted run), so the network is back to no connections.
 */
import { UsageError } from '../errors.ts';
import { jsonRpc } from '../probes/http.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { seededRandom } from '../scenario/random.ts';
import { ErrorSample, LatencyHistogram, pollUntil, sleep, windowStats } from './stats.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';
import { z } from 'zod';
import { durationMs } from '../scenario/fields.ts';

const positiveInt = z.number().int().positive();


export const gethPeerChurnSchema = z.strictObject({
  kind: z.literal('geth-peer-churn'),
  /** Connect/disconnect rounds (each round handles all its pairs). */
  cycles: positiveInt.max(10_000),
  /** How long each round's connections are held, between admin_addPeer and admin_removePeer. */
  intervalMs: durationMs(3_600_000).default(1_000),
  /** 'all' unordered node pairs per round, or this many pairs per round chosen with the seed. */
  pairs: z.union([z.literal('all'), positiveInt.max(10_000)]).default('all'),
  /** Also admin_addTrustedPeer / admin_removeTrustedPeer around each connection. */
  trusted: z.boolean().default(false),
  /** Bound on waiting for an added peer to show in admin_peers (geth's 35 s re-dial history included). */
  connectTimeoutMs: durationMs(600_000).default(45_000),
  /** Bound on waiting for a removed peer to leave both sides' admin_peers. */
  dropTimeoutMs: durationMs(600_000).default(15_000),
});

export type GethPeerChurnDecl = z.input<typeof gethPeerChurnSchema>;
export type GethPeerChurnOptions = z.output<typeof gethPeerChurnSchema>;

interface PeerNode {
  node: RunningNode;
  http: string;
  id: string;
  enode: string;
}

interface AdminPeer {
  id?: string;
  enode?: string;
}

const RPC_TIMEOUT_MS = 10_000;

/** Node IDs in a node's admin_peers. */
async function peerIds(http: string, signal?: AbortSignal): Promise<Set<string>> {
  const peers = await jsonRpc<AdminPeer[]>(http, 'admin_peers', [], RPC_TIMEOUT_MS, signal);
  return new Set(peers.map((p) => (p.id ?? '').toLowerCase()));
}


/**
 * The enode URL with the address the other nodes reach this node's p2p port at: geth prints the address
 * it listens on (its loopback address as a process, 0.0.0.0 or its own view inside a container); the
 * runtime knows where the others find it. Query parameters (discport) are kept.
 */
export function dialableEnode(enode: string, peerAddress: string): string {
  return enode.replace(/@[^?]*/, `@${peerAddress}`);
}

export function gethPeerChurn(opts: GethPeerChurnOptions): Workload {
  let nodes: PeerNode[] = [];
  let seed = 1;
  let sent = 0;
  let accepted = 0;
  let failed = 0;
  let windowMs = 0;
  let cyclesDone = 0;
  const hist = new LatencyHistogram();
  const errors = new ErrorSample();
  const extra = { peersAdded: 0, peersRemoved: 0, maxPeers: 0, connectFailures: 0, trustedCalls: 0 };
  /** Static (and trusted) entries the workload added and has not removed yet: "dialer>target" indices. */
  const held = new Map<string, [number, number]>();

  const fail = (message: string) => {
    failed++;
    errors.add(message);
  };

  async function observePeak(signal: AbortSignal): Promise<void> {
    const counts = await Promise.all(nodes.map((n) => peerIds(n.http, signal).then((s) => s.size).catch(() => 0)));
    extra.maxPeers = Math.max(extra.maxPeers, ...counts);
  }

  async function connect(d: number, t: number, signal: AbortSignal): Promise<boolean> {
    const dialer = nodes[d]!;
    const target = nodes[t]!;
    held.set(`${d}>${t}`, [d, t]);
    if (opts.trusted) {
      extra.trustedCalls++;
      await jsonRpc(dialer.http, 'admin_addTrustedPeer', [target.enode], RPC_TIMEOUT_MS, signal).catch((e: Error) => errors.add(e.message));
    }
    sent++;
    const t0 = performance.now();
    try {
      const ok = await jsonRpc<boolean>(dialer.http, 'admin_addPeer', [target.enode], RPC_TIMEOUT_MS, signal);
      if (ok !== true) throw new Error(`admin_addPeer at ${dialer.node.name} returned ${JSON.stringify(ok)}`);
    } catch (error) {
      extra.connectFailures++;
      fail((error as Error).message);
      return false;
    }
    const seen = await pollUntil(async () => (await peerIds(dialer.http, signal)).has(target.id), opts.connectTimeoutMs, signal);
    if (!seen) {
      extra.connectFailures++;
      fail(signal.aborted ? 'aborted while waiting for a peer' : `${dialer.node.name} -> ${target.node.name}: not in admin_peers within ${opts.connectTimeoutMs} ms`);
      return false;
    }
    hist.record(performance.now() - t0);
    accepted++;
    extra.peersAdded++;
    return true;
  }

  async function disconnect(d: number, t: number, wasConnected: boolean, signal: AbortSignal): Promise<void> {
    const dialer = nodes[d]!;
    const target = nodes[t]!;
    sent++;
    try {
      const ok = await jsonRpc<boolean>(dialer.http, 'admin_removePeer', [target.enode], RPC_TIMEOUT_MS, signal);
      if (ok !== true) throw new Error(`admin_removePeer at ${dialer.node.name} returned ${JSON.stringify(ok)}`);
    } catch (error) {
      fail((error as Error).message);
      return;
    }
    if (opts.trusted) {
      extra.trustedCalls++;
      await jsonRpc(dialer.http, 'admin_removeTrustedPeer', [target.enode], RPC_TIMEOUT_MS, signal).catch((e: Error) => errors.add(e.message));
    }
    held.delete(`${d}>${t}`);
    const gone = await pollUntil(
      async () => !(await peerIds(dialer.http, signal)).has(target.id) && !(await peerIds(target.http, signal)).has(dialer.id),
      opts.dropTimeoutMs,
      signal,
    );
    if (!gone) {
      fail(`${dialer.node.name} <-> ${target.node.name}: still peers ${opts.dropTimeoutMs} ms after admin_removePeer`);
      return;
    }
    accepted++;
    if (wasConnected) extra.peersRemoved++;
  }

  return {
    kind: 'geth-peer-churn',

    async prepare(ctx: WorkloadContext) {
      seed = ctx.seed;
      const candidates = ctx.nodes.filter((n) => n.endpoints.p2p && n.endpoints.http && n.isRunning());
      if (candidates.length < 2) {
        throw new UsageError(
          `geth-peer-churn needs at least two running geth nodes with network: 'p2p' (found ${candidates.length}: ${candidates.map((n) => n.name).join(', ') || 'none'})`,
        );
      }
      nodes = await Promise.all(
        candidates.map(async (node) => {
          const info = await jsonRpc<{ id: string; enode: string }>(node.endpoints.http!, 'admin_nodeInfo', [], RPC_TIMEOUT_MS, ctx.signal);
          return { node, http: node.endpoints.http!, id: info.id.toLowerCase(), enode: dialableEnode(info.enode, node.peerAddress('p2p')) };
        }),
      );
      ctx.log(`geth-peer-churn: ${nodes.length} nodes, ${opts.cycles} cycles, pairs ${opts.pairs}, hold ${opts.intervalMs} ms`);
    },

    async run(ctx: WorkloadContext, durationMs: number) {
      const random = seededRandom(seed, 'geth-peer-churn');
      const all: Array<[number, number]> = [];
      for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) all.push([i, j]);
      /** When each directed dial (`d>t`) was last made: the dialer is the side that dialed least recently. */
      const lastDial = new Map<string, number>();
      const start = performance.now();
      const deadline = start + durationMs;
      try {
        for (let c = 0; c < opts.cycles; c++) {
          if (ctx.signal.aborted || performance.now() >= deadline) break;
          let chosen = all;
          if (opts.pairs !== 'all' && opts.pairs < all.length) {
            const pool = [...all];
            chosen = [];
            for (let k = 0; k < opts.pairs; k++) chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
          }
          const directed = chosen.map(([a, b]): [number, number] => {
            const ab = lastDial.get(`${a}>${b}`) ?? -1;
            const ba = lastDial.get(`${b}>${a}`) ?? -1;
            const flip = ab === ba ? random() < 0.5 : ab > ba;
            return flip ? [b, a] : [a, b];
          });
          for (const [d, t] of directed) lastDial.set(`${d}>${t}`, performance.now());
          const connected = await Promise.all(directed.map(([d, t]) => connect(d, t, ctx.signal)));
          await observePeak(ctx.signal);
          if (!ctx.signal.aborted) await sleep(Math.min(opts.intervalMs, Math.max(0, deadline - performance.now())), ctx.signal);
          // Removals run even on abort (with the signal's requests failing fast, release() retries them).
          await Promise.all(directed.map(([d, t], k) => disconnect(d, t, connected[k]!, ctx.signal)));
          if (!ctx.signal.aborted) cyclesDone++;
        }
      } finally {
        windowMs += performance.now() - start; // run() may be called once per cycle
      }
    },

    async release() {
      // Whatever an aborted run left connected: remove it (bounded, never throws).
      const left = [...held.values()];
      held.clear();
      await Promise.all(
        left.map(async ([d, t]) => {
          const signal = AbortSignal.timeout(RPC_TIMEOUT_MS);
          await jsonRpc(nodes[d]!.http, 'admin_removePeer', [nodes[t]!.enode], RPC_TIMEOUT_MS, signal).catch(() => undefined);
          if (opts.trusted) await jsonRpc(nodes[d]!.http, 'admin_removeTrustedPeer', [nodes[t]!.enode], RPC_TIMEOUT_MS, signal).catch(() => undefined);
        }),
      );
    },

    progress(): WorkloadProgress {
      return { sent, accepted, failed, latency: hist };
    },

    stats(): WorkloadStats {
      return windowStats('geth-peer-churn', { sent, accepted, failed, windowMs, hist, errors, extra: { ...extra, cycles: cyclesDone } });
    },
  };
}
