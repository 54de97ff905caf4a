/**
 * comet-state-sync: CometBFT/Tendermint nodes joining the chain by state sync, again and again.
 *
 * The joiners are the scenario's nodes with `stateSync: true` (role 'full', app 'e2e'), usually declared
 * `start: 'fault'` so they stay down until this workload starts them; `node` picks one by name, otherwise
 * they take turns. Each join, at most `joins` of them, `intervalMs` apart, never past the phase:
 *
 *  1. stop the joiner if it runs, and empty its data dir (block store, state, app state and snapshots;
 *     priv_validator_state.json stays) — CometBFT only state-syncs a node at height 0;
 *  2. restart() it: the flavor's beforeStart hook takes a fresh trust point from a running node (its
 *     latest height and header hash; `rpc_servers` = two running nodes) and writes it to config.toml;
 *     the runtime then waits for readiness (height >= 1, which a state-syncing node reaches only once the
 *     snapshot is restored);
 *  3. wait, bounded by syncTimeoutMs from the restart, until /status says `catching_up: false` at a height
 *     >= the trust height;
 *  4. judge it: a join completes only when it was a state sync — the node's log since the restart has
 *     "Snapshot restored" (CometBFT's statesync/syncer.go) and /status `earliest_block_height` is above 1
 *     (the block store starts after the snapshot: a block-synced node holds the chain from height 1);
 *  5. stop it.
 *
 * latency = restart() called → caught up (includes the process start and CometBFT's snapshot discovery
 * wait, `statesync.discovery_time`, 5 s as the flavor sets it). `extra.snapshotsTaken` counts the
 * "created state sync snapshot" lines the validators' e2e app logged during the window.
 */
import { z } from 'zod';
import {
  familyNodeInfo,
  logHeights,
  rpcStatus,
  SNAPSHOT_RESTORED_RE,
  SNAPSHOT_TAKEN_RE,
  wipeNodeData,
  type StatusResult,
  type StateSyncJoiner,
} from '../nodes/tendermint-family.ts';
import type { RunningNode } from '../runtimes/runtime.ts';
import { ErrorSample, LatencyHistogram, sleep, windowStats } from './stats.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from './workload.ts';
import { durationMs } from '../scenario/fields.ts';


export const cometStateSyncSchema = z.strictObject({
  kind: z.literal('comet-state-sync'),
  /** How many joins (each: wipe, start, state-sync, stop). */
  joins: z.number().int().positive().max(1_000),
  /** Pause between one join's stop and the next one's start: milliseconds or '5s'. */
  intervalMs: durationMs().default(0),
  /** The joiner to use (a node with stateSync: true); default every such node, in turn. */
  node: z.string().min(1).optional(),
  /** Bound on one join, from restart() to caught up: milliseconds or '2m'. */
  syncTimeoutMs: durationMs().default(120_000),
});

export type CometStateSyncOptions = z.output<typeof cometStateSyncSchema>;

interface Joiner {
  node: RunningNode;
  stateSync: StateSyncJoiner;
}

/** Where a node's log ends now (its size). */
function logEnd(node: RunningNode): Promise<number> {
  return node.scanLog(Number.MAX_SAFE_INTEGER, () => undefined);
}

/** Heights in the matches of `re` in a node's log from byte `offset` on. */
async function logHeightsSince(node: RunningNode, offset: number, re: RegExp): Promise<number[]> {
  const heights: number[] = [];
  await node.scanLog(offset, (line) => heights.push(...logHeights(line, re)));
  return heights;
}

export function cometStateSync(opts: CometStateSyncOptions): Workload {
  const hist = new LatencyHistogram();
  const errors = new ErrorSample();
  let joiners: Joiner[] = [];
  let validators: Array<{ node: RunningNode; offset: number }> = [];
  let attempted = 0;
  let completed = 0;
  let failed = 0;
  let snapshotsTaken = 0;
  let windowMs = 0;
  const restoredHeights: number[] = [];
  const trustHeights: number[] = [];
  const earliestHeights: number[] = [];

  /** One join; resolves with the restored snapshot height, throws why it was not a state sync. */
  async function join(j: Joiner, ctx: WorkloadContext): Promise<number> {
    const { node } = j;
    ctx.disrupted?.(node.name);
    if (node.isRunning()) await node.stop();
    if (!node.files) throw new Error(`${node.name}: its runtime does not give chainsoak its files (a state-sync join empties its data dir)`);
    await wipeNodeData(node.files);
    const logOffset = await logEnd(node);
    const t0 = performance.now();
    const deadline = Date.now() + opts.syncTimeoutMs;
    const started = Date.now();
    await node.restart();
    const trust = j.stateSync.trust;
    if (!trust || trust.at < started) throw new Error(`${node.name}: no trust point was taken for this start`);
    trustHeights.push(trust.height);

    let status: StatusResult | undefined;
    let synced = false;
    while (!ctx.signal.aborted && Date.now() < deadline) {
      status = await rpcStatus(node.endpoints.rpc!, ctx.signal).catch(() => status);
      const height = Number(status?.sync_info?.latest_block_height ?? 0);
      if (status?.sync_info?.catching_up === false && height >= trust.height) {
        synced = true;
        break;
      }
      await sleep(250, ctx.signal);
    }
    if (!synced) {
      if (ctx.signal.aborted) throw new Error(`${node.name}: aborted while syncing`);
      throw new Error(`${node.name}: not caught up to the trust height ${trust.height} within ${opts.syncTimeoutMs} ms (at ${status?.sync_info?.latest_block_height ?? '?'}, catching_up ${status?.sync_info?.catching_up})`);
    }
    const ms = performance.now() - t0;
    const restored = await logHeightsSince(node, logOffset, SNAPSHOT_RESTORED_RE);
    const earliest = Number(status?.sync_info?.earliest_block_height ?? 0);
    if (restored.length === 0) throw new Error(`${node.name}: caught up without "Snapshot restored" in its log: it block-synced, not state-synced`);
    if (!(earliest > 1)) throw new Error(`${node.name}: earliest block ${earliest} after the join: its block store starts at genesis, not at a snapshot`);
    hist.record(ms);
    earliestHeights.push(earliest);
    return restored[restored.length - 1]!;
  }

  return {
    kind: 'comet-state-sync',

    async prepare(ctx) {
      joiners = ctx.nodes.flatMap((node) => {
        const info = familyNodeInfo(node);
        return info?.stateSync && (opts.node === undefined || opts.node === node.name) ? [{ node, stateSync: info.stateSync }] : [];
      });
      if (joiners.length === 0) {
        const what = "with stateSync: true (role 'full', app 'e2e') in a CometBFT/Tendermint network";
        throw new Error(opts.node ? `comet-state-sync: ${opts.node} is not a node ${what}` : `comet-state-sync: the run has no node ${what}`);
      }
      validators = [];
      for (const node of ctx.nodes) {
        const info = familyNodeInfo(node);
        if (info?.role === 'validator' && info.app === 'e2e') validators.push({ node, offset: await logEnd(node) });
      }
    },

    async run(ctx, durationMs) {
      const t0 = performance.now();
      const end = t0 + durationMs;
      for (let k = 0; k < opts.joins && !ctx.signal.aborted && performance.now() < end; k++) {
        if (k > 0 && opts.intervalMs > 0) {
          await sleep(Math.min(opts.intervalMs, end - performance.now()), ctx.signal);
          if (ctx.signal.aborted || performance.now() >= end) break;
        }
        const j = joiners[k % joiners.length]!;
        attempted++;
        try {
          const height = await join(j, ctx);
          completed++;
          restoredHeights.push(height);
          ctx.log(`comet-state-sync: ${j.node.name} state-synced from the snapshot at height ${height} (join ${k + 1}/${opts.joins})`);
        } catch (error) {
          failed++;
          errors.add((error as Error).message);
          ctx.log(`comet-state-sync: join ${k + 1} failed: ${(error as Error).message}`);
        } finally {
          await j.node.stop().catch(() => j.node.kill());
        }
      }
      windowMs += performance.now() - t0; // run() may be called once per cycle
      snapshotsTaken = 0;
      for (const v of validators) snapshotsTaken += (await logHeightsSince(v.node, v.offset, SNAPSHOT_TAKEN_RE)).length;
    },

    async release() {
      await Promise.all(joiners.map((j) => j.node.stop().catch(() => undefined)));
    },

    progress(): WorkloadProgress {
      return { sent: attempted, accepted: completed, failed, latency: hist };
    },

    stats(): WorkloadStats {
      return windowStats('comet-state-sync', {
        sent: attempted,
        accepted: completed,
        failed,
        windowMs,
        hist,
        errors,
        extra: {
          joinsCompleted: completed,
          joinsFailed: failed,
          snapshotsTaken,
          restoredHeights: restoredHeights.join(','),
          trustHeights: trustHeights.join(','),
          earliestHeights: earliestHeights.join(','),
        },
      });
    },
  };
}
