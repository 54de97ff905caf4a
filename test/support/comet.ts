/**
 * Real CometBFT / Tendermint nodes for tests, started through chainsoak's own parts: the cache
 * (ensureBinary), the flavor's prepareNetwork, the process runtime. Every node binds 127.0.0.1 only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cometbft } from '../../harness/nodes/cometbft.ts';
import type { NodeFlavor } from '../../harness/nodes/flavor.ts';
import { ensureBinary } from '../../harness/nodes/install.ts';
import { rpcStatus, type TendermintFamilyOptions } from '../../harness/nodes/tendermint-family.ts';
import { tendermint } from '../../harness/nodes/tendermint.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { startTestNetwork } from './network.ts';

export type CometFlavorName = 'cometbft' | 'tendermint';
const FLAVORS: Record<CometFlavorName, NodeFlavor> = { cometbft, tendermint };

/** Build times seen by this test process (seconds), for the report. */
export const buildTimes: Record<string, number> = {};

/** The binary of `flavor@version` (default: the flavor's pinned version), built into the cache on first use. */
export async function cometBinary(flavor: CometFlavorName = 'cometbft', version?: string): Promise<string> {
  const f = FLAVORS[flavor];
  const v = version ?? f.defaultVersion;
  const started = Date.now();
  try {
    return await ensureBinary(f.name, f.build, v);
  } finally {
    buildTimes[`${f.name}@${v}`] = (Date.now() - started) / 1000;
  }
}

export interface TestCometNetwork {
  nodes: RunningNode[];
  homes: string[];
  dir: string;
  stop(): Promise<void>;
}

export interface TestCometNode {
  name?: string;
  options?: TendermintFamilyOptions;
  /** 'fault': prepared but not started (a late joiner); restart() brings it up. Default 'setup'. */
  start?: 'setup' | 'fault';
}

/**
 * Start a network of one flavor: validators and full nodes in the given order, one shared genesis, every
 * node a persistent peer of every other. Stop it with stop() (always, e.g. in `after`).
 */
export async function startTestCometNetwork(
  members: TestCometNode[],
  opts: { flavor?: CometFlavorName; version?: string; readyTimeoutMs?: number } = {},
): Promise<TestCometNetwork> {
  const flavor = FLAVORS[opts.flavor ?? 'cometbft'];
  const binary = await cometBinary(opts.flavor ?? 'cometbft', opts.version);
  const net = await startTestNetwork(
    members.map((m, i) => ({
      name: m.name ?? `${flavor.name}${i}`,
      // The binary by path, so a test's version is the one it asked for.
      node: `${flavor.name}@${binary}`,
      options: m.options ?? {},
      ...(m.start ? { start: m.start } : {}),
      ...(opts.readyTimeoutMs ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
    })),
  );
  return { nodes: net.nodes, homes: net.homes, dir: net.dir, stop: () => net.stop() };
}

export async function startTestComet(options: TendermintFamilyOptions = {}, opts: { flavor?: CometFlavorName; version?: string } = {}): Promise<TestCometNetwork> {
  return startTestCometNetwork([{ options }], opts);
}

/** The node's latest block height from /status. */
export async function cometHeight(node: RunningNode): Promise<number> {
  return Number((await rpcStatus(node.endpoints.rpc!)).sync_info?.latest_block_height ?? 0);
}

/** Wait (bounded) until the node's latest block height reaches `height`; returns the height seen. */
export async function waitForHeight(node: RunningNode, height: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = await cometHeight(node).catch(() => seen);
    if (seen >= height) return seen;
    await sleep(200);
  }
  throw new Error(`${node.name} did not reach height ${height} within ${timeoutMs} ms (at ${seen}); log tail:\n${node.logTail()}`);
}

/** A JSON-RPC-over-GET call (`/net_info`, `/num_unconfirmed_txs`, `/broadcast_tx_sync?tx=...`); the result. */
export async function cometGet<T>(node: RunningNode, pathAndQuery: string, timeoutMs = 5_000): Promise<T> {
  // RPC errors come with HTTP 500 and a JSON-RPC error body: read the body whatever the status.
  const response = await fetch(`${node.endpoints.rpc}${pathAndQuery}`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json()) as { result?: T; error?: { message?: string; data?: string } };
  if (body.error) throw new Error(`${pathAndQuery}: ${body.error.message ?? ''} ${body.error.data ?? ''}`.trim());
  return body.result as T;
}

/** Wait (bounded) until /net_info shows `peers` peers; returns /net_info's result. Early dials may back off for a moment. */
export async function waitForPeers(node: RunningNode, peers: number, timeoutMs = 30_000): Promise<{ n_peers: string; peers: Array<{ remote_ip: string }> }> {
  const deadline = Date.now() + timeoutMs;
  let info: { n_peers: string; peers: Array<{ remote_ip: string }> } | undefined;
  while (Date.now() < deadline) {
    info = await cometGet<{ n_peers: string; peers: Array<{ remote_ip: string }> }>(node, '/net_info').catch(() => info);
    if (info && Number(info.n_peers) >= peers) return info;
    await sleep(200);
  }
  throw new Error(`${node.name} has ${info?.n_peers ?? '?'} peers after ${timeoutMs} ms, expected ${peers}`);
}
