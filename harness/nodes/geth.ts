/**
 * geth in one of two shapes, every port where the runtime says (127.0.0.1 for a process):
 *
 * - `network: 'dev'` (the default): `--dev`, one node per chain, a block every `devPeriod` seconds, no p2p
 *   (geth's --dev sets MaxPeers 0 and no listener). A datadir is on by default: `--dev` without one keeps
 *   the whole chain in memory, which grows by design and is what the positive-control scenario uses.
 * - `network: 'p2p'`: every p2p geth node of a scenario is one network. They share a genesis (fixed
 *   chain ID, post-merge from block 0: `terminalTotalDifficulty: 0`), each home is `geth init`ed from it,
 *   and the nodes run without --dev, listening for devp2p on their own port (loopback for processes). Nothing produces
 *   blocks (there is no consensus client); peers still handshake on the genesis hash and fork ID, so they
 *   can be connected and disconnected with admin_addPeer / admin_removePeer (geth-peer-churn) and gossip
 *   transactions. Discovery stays off: `--nodiscover` (no UDP socket, no v4/v5, no DNS lists), no
 *   bootnodes (empty lists in the config file), `--nat none`. Peers connect only when asked.
 *
 * geth has no flag for the p2p listen address, so a config file (`[Node.P2P] ListenAddr`) pins it to
 * loopback. `--port` must not be passed in p2p mode: it overrides ListenAddr with ":<port>", which is
 * every interface.
 */
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import { ethNewHeads, watchBlocks } from '../probes/block-watch.ts';
import { jsonRpc, jsonRpcBatch } from '../probes/http.ts';
import { pickMemStats } from '../probes/memstats.ts';
import type { NodeSite } from '../runtimes/runtime.ts';
import type { EndpointTemplate, LaunchPlan, NodeFlavor, PrepareContext } from './flavor.ts';
import { gethBuild } from './geth-build.ts';
import { gethVersions, type GethTraits } from './geth-versions.ts';
import { nodeVersion, traitsFor } from './version-table.ts';

const gethOptions = z.strictObject({
  /** 'dev': a one-node --dev chain (no p2p). 'p2p': the scenario's p2p geth nodes form one network. */
  network: z.enum(['dev', 'p2p']).default('dev'),
  /** false: no --datadir, the in-memory database (keeps every block: grows by design). dev only. */
  datadir: z.boolean().default(true),
  /** Seconds between dev blocks (default 1); 0 mines a block as soon as a transaction arrives. dev only. */
  devPeriod: z.number().int().min(0).max(3600).optional(),
  /** Block gas limit: `--dev.gaslimit` (dev), the genesis gas limit (p2p). */
  gasLimit: z.number().int().positive().optional(),
  /** --cache in MB (geth's default is large; a smaller cache plateaus sooner). */
  cacheMB: z.number().int().positive().optional(),
  /** `--maxpeers` (p2p only; default 25). Peers added with admin_addPeer count against it. */
  maxPeers: z.number().int().min(1).max(1000).optional(),
  verbosity: z.number().int().min(0).max(5).default(3),
  /** Extra command-line flags, appended as given. */
  extraArgs: z.array(z.string()).default([]),
});

export type GethOptions = z.input<typeof gethOptions>;
type ParsedGethOptions = z.output<typeof gethOptions>;

const API = 'eth,net,web3,debug,admin,txpool';

/** Chain ID (and network ID) of every p2p network chainsoak creates: not a public chain's. */
export const GETH_P2P_CHAIN_ID = 7_357_001;
const DEFAULT_P2P_GAS_LIMIT = 30_000_000;
const DEFAULT_MAX_PEERS = 25;

/**
 * The genesis all p2p nodes of a scenario share: every fork up to Shanghai at block 0 / time 0 and
 * merged at genesis (TTD 0). geth v1.17 accepts it for `geth init`; older versions ignore the fields they
 * do not know (JSON), so the same file works back to v1.10. Cancun and later are left out: they need a
 * blobSchedule whose format changed between versions, and nothing here produces blocks.
 */
export function p2pGenesis(gasLimit = DEFAULT_P2P_GAS_LIMIT): Record<string, unknown> {
  return {
    config: {
      chainId: GETH_P2P_CHAIN_ID,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      muirGlacierBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      arrowGlacierBlock: 0,
      grayGlacierBlock: 0,
      mergeNetsplitBlock: 0,
      shanghaiTime: 0,
      terminalTotalDifficulty: 0,
    },
    nonce: '0x0',
    timestamp: '0x0',
    difficulty: '0x0',
    gasLimit: `0x${gasLimit.toString(16)}`,
    extraData: '0x',
    alloc: {},
  };
}

/** `host:port` → [host, port] as geth's separate address and port flags want them. */
function hostAndPort(address: string): [string, string] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), address.slice(at + 1)];
}

function commonArgs(site: NodeSite, opts: ParsedGethOptions, traits: GethTraits): string[] {
  const flags = (name: string, port: string) => {
    const [host, number] = hostAndPort(site.listen(port));
    return [`--${name}.addr`, host, `--${name}.port`, number];
  };
  return [
    ...(opts.cacheMB ? ['--cache', String(opts.cacheMB)] : []),
    '--http', ...flags('http', 'http'), '--http.api', API,
    '--ws', ...flags('ws', 'ws'), '--ws.api', API,
    // Before v1.10.17 there is no engine API listener to pin (and no flag for it).
    ...(traits.authRpc ? flags('authrpc', 'authrpc') : []),
    '--ipcdisable',
    '--pprof', ...flags('pprof', 'pprof'),
    '--verbosity', String(opts.verbosity),
  ];
}

const rpcEndpoints: Record<string, EndpointTemplate> = {
  http: { port: 'http', scheme: 'http' },
  ws: { port: 'ws', scheme: 'ws' },
  pprof: { port: 'pprof', scheme: 'http' },
};

/** The traits of the geth a node runs: its spec's tag, or what a developer's binary says (`geth version`). */
async function traitsOf(ctx: PrepareContext): Promise<{ version: string | undefined; traits: GethTraits }> {
  const version = await nodeVersion(ctx);
  return { version, traits: traitsFor(gethVersions, version) };
}

async function prepareDev(ctx: PrepareContext, opts: ParsedGethOptions): Promise<LaunchPlan> {
  const { site } = ctx;
  if (opts.maxPeers !== undefined) throw new UsageError(`geth option maxPeers needs network: 'p2p' (--dev has no p2p)`);
  const { version, traits } = await traitsOf(ctx);
  if (opts.gasLimit !== undefined && !traits.devGasLimit) {
    throw new UsageError(`${site.name}: geth option gasLimit needs --dev.gaslimit, which geth ${version} does not have (v1.10.13 and later)`);
  }
  // --dev turns p2p off (no listener, MaxPeers 0); the config file pins the address anyway.
  await site.files.write('home/config.toml', `[Node.P2P]\nListenAddr = "${site.listen('p2p')}"\n`);
  const args = [
    '--config', site.path('home/config.toml'),
    '--dev', '--dev.period', String(opts.devPeriod ?? 1),
    ...(opts.datadir ? ['--datadir', site.path('home/data')] : []),
    ...(opts.gasLimit ? ['--dev.gaslimit', String(opts.gasLimit)] : []),
    '--port', hostAndPort(site.listen('p2p'))[1], '--nat', 'none', '--nodiscover', '--maxpeers', '0',
    ...commonArgs(site, opts, traits),
    ...opts.extraArgs,
  ];
  return { args, endpoints: rpcEndpoints, details: { devConsensus: traits.devConsensus } };
}

/** `geth init` every home from one genesis and return each node's command line (no --dev, p2p on its site's address). */
async function prepareP2p(nodes: readonly PrepareContext[], opts: readonly ParsedGethOptions[]): Promise<LaunchPlan[]> {
  nodes.forEach(({ site: n }, i) => {
    const o = opts[i]!;
    if (!o.datadir) throw new UsageError(`${n.name}: geth option datadir: false needs network: 'dev' (a p2p node is initialised from a genesis in its datadir)`);
    if (o.devPeriod !== undefined) throw new UsageError(`${n.name}: geth option devPeriod needs network: 'dev' (nothing produces blocks on a p2p network)`);
  });
  const gasLimits = new Set(opts.map((o) => o.gasLimit ?? DEFAULT_P2P_GAS_LIMIT));
  if (gasLimits.size > 1) throw new UsageError(`geth p2p nodes ${nodes.map((n) => n.site.name).join(', ')} share one genesis and need one gasLimit, got ${[...gasLimits].join(', ')}`);
  const genesis = JSON.stringify(p2pGenesis([...gasLimits][0]), null, 2) + '\n';

  return Promise.all(
    nodes.map(async (ctx, i): Promise<LaunchPlan> => {
      const { site } = ctx;
      const o = opts[i]!;
      const { traits } = await traitsOf(ctx);
      const datadir = site.path('home/data');
      await site.files.write('home/genesis.json', genesis);
      await site.exec(['init', '--datadir', datadir, site.path('home/genesis.json')]);
      const maxPeers = o.maxPeers ?? DEFAULT_MAX_PEERS;
      await site.files.write(
        'home/config.toml',
        [
          '[Node.P2P]',
          `ListenAddr = "${site.listen('p2p')}"`,
          `MaxPeers = ${maxPeers}`,
          'NoDiscovery = true',
          'BootstrapNodes = []',
          'BootstrapNodesV5 = []',
          '',
        ].join('\n'),
      );
      const args = [
        '--config', site.path('home/config.toml'),
        '--datadir', datadir,
        '--networkid', String(GETH_P2P_CHAIN_ID),
        // No --port: it would override ListenAddr with ":<port>" (every interface).
        '--nodiscover', '--nat', 'none', '--maxpeers', String(maxPeers), '--bootnodes', '',
        ...commonArgs(site, o, traits),
        ...o.extraArgs,
      ];
      return { args, endpoints: { ...rpcEndpoints, p2p: { port: 'p2p', scheme: 'tcp' } } };
    }),
  );
}

export const geth: NodeFlavor = {
  name: 'geth',
  defaultVersion: 'v1.17.10',
  oldestVersion: gethVersions[0]!.from,
  build: gethBuild,
  portNames: ['http', 'ws', 'authrpc', 'p2p', 'pprof'],
  optionsSchema: gethOptions,
  // core/blockchain.go: blockCacheLimit and bodyCacheLimit = 256 (decoded blocks and their transactions).
  fillsUntilBlock: () => ({ blocks: 256, what: "geth's caches of the last 256 blocks and bodies (core/blockchain.go)" }),

  async prepare(ctx) {
    const opts = gethOptions.parse(ctx.options);
    return opts.network === 'p2p' ? (await prepareP2p([ctx], [opts]))[0]! : prepareDev(ctx, opts);
  },

  /** dev nodes are prepared one by one; all p2p nodes of the scenario form one network (one genesis). */
  async prepareNetwork(nodes) {
    const opts = nodes.map((n) => gethOptions.parse(n.options));
    const p2p = nodes.flatMap((_, i) => (opts[i]!.network === 'p2p' ? [i] : []));
    const plans: LaunchPlan[] = new Array(nodes.length);
    const p2pPlans = await prepareP2p(p2p.map((i) => nodes[i]!), p2p.map((i) => opts[i]!));
    p2p.forEach((n, k) => (plans[n] = p2pPlans[k]!));
    for (let i = 0; i < nodes.length; i++) if (opts[i]!.network === 'dev') plans[i] = await prepareDev(nodes[i]!, opts[i]!);
    return plans;
  },

  /** dev: eth_blockNumber answers. p2p: admin_nodeInfo answers with a devp2p listener. */
  async isReady(endpoints, signal) {
    try {
      if (endpoints.p2p) {
        const info = await jsonRpc<{ ports?: { listener?: number } }>(endpoints.http!, 'admin_nodeInfo', [], 2000, signal);
        return Number(info.ports?.listener ?? 0) > 0;
      }
      await jsonRpc<string>(endpoints.http!, 'eth_blockNumber', [], 2000, signal);
      return true;
    } catch {
      return false;
    }
  },

  watchBlocks(endpoints, onBlock, signal) {
    return watchBlocks(endpoints.ws!, ethNewHeads, onBlock, signal);
  },

  async readMemStats(endpoints, signal) {
    return pickMemStats(await jsonRpc<Record<string, unknown>>(endpoints.http!, 'debug_memStats', [], 5000, signal));
  },

  async readChainStats(endpoints, signal) {
    const [height, peers, pool] = (await jsonRpcBatch(endpoints.http!, [{ method: 'eth_blockNumber' }, { method: 'net_peerCount' }, { method: 'txpool_status' }], 5000, signal)) as [
      string,
      string,
      { pending: string; queued: string },
    ];
    return { height: Number(height), peers: Number(peers), txpoolPending: Number(pool.pending), txpoolQueued: Number(pool.queued) };
  },
};
