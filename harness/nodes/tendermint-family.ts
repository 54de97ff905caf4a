/**
 * The mechanism shared by CometBFT and Tendermint Core: one chain per scenario from the binary's own
 * `testnet` subcommand, config.toml edited line by line (comments and layout kept, so a user can diff it
 * against production), every listener where the runtime's site says (127.0.0.1 for processes), readiness
 * over `/status`, MemStats over Prometheus.
 * The flavors (cometbft.ts, tendermint.ts) are data: a build recipe, a default version and a per-version
 * table of what differs (VersionTraits). Nothing here is specific to one of them.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { BoundedFrames } from '../analysis/attribution.ts';
import { InfraError, UsageError } from '../errors.ts';
import { fetchBytes } from '../probes/http.ts';
import { cometNewBlock, watchBlocks } from '../probes/block-watch.ts';
import { readChainFigures, readMemStatsFromPrometheus } from '../probes/prometheus.ts';
import type { NetworkView, NodeFiles, NodeSite, RunningNode } from '../runtimes/runtime.ts';
import type { EndpointTemplate, GoBuildRecipe, LaunchPlan, NodeDetails, NodeEndpoints, NodeFlavor, PrepareContext } from './flavor.ts';
import { ensureBinary } from './install.ts';
import { isSemverTag } from './node-spec.ts';
import { nodeVersion, traitsFor, type VersionRow as GenericVersionRow } from './version-table.ts';
import { durationMs } from '../scenario/fields.ts';

// ---------------------------------------------------------------------------------------------------
// Per-version differences

/** What differs between versions of the family. One row per first version where a value changed. */
export interface VersionTraits {
  /**
   * How "don't wait after commit" (blockTime 0) is said. 'skip-flag': `consensus.skip_timeout_commit =
   * true` (Tendermint v0.34, CometBFT v0.37–v0.40; there `timeout_commit = "0s"` alone still goes through
   * the timeout path). 'zero-timeout': `timeout_commit = "0s"` means skip (CometBFT v1.x, where
   * skip_timeout_commit is deprecated).
   */
  skipTimeoutCommit: 'skip-flag' | 'zero-timeout';
  /** Listeners chainsoak does not use; set to "" so nothing else is opened (gRPC moved in v1.0). */
  disabledListeners: readonly string[];
  /**
   * The block store's caches of recent blocks (store/store.go), which fill by design, and the BlockStore
   * loads whose results they keep. Growth under those loads is a cache filling (NodeFlavor.boundedFrames);
   * as the frames are known, a leak elsewhere is still called while they fill (no fillsUntilBlock).
   */
  blockCaches?: { what: string; loads: readonly string[] };
  /** The subcommand that runs the node: `node` in Tendermint v0.34.0 only, `start` (with `node` as an alias) from v0.34.1. Default 'start'. */
  startCommand?: 'node';
}

export type VersionRow = GenericVersionRow<VersionTraits>;

export interface TendermintFamilyData {
  name: string;
  defaultVersion: string;
  build: GoBuildRecipe;
  /** Ascending; the last row whose `from` <= the binary's version applies (the first row below it). */
  versions: readonly VersionRow[];
}

export { traitsFor };

// ---------------------------------------------------------------------------------------------------
// Options

const tomlScalar = z.union([z.string(), z.number().finite(), z.boolean()]);
const tomlValue = z.union([tomlScalar, z.array(tomlScalar)]);
export type TomlValue = z.infer<typeof tomlValue>;

/** Settings for a TOML file, by dotted key (`section.key`, top-level keys bare), as setTomlKeys applies them. */
export function tomlSettings(file: string, example: string) {
  return z.record(z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, `a dotted ${file} key like ${example}`), tomlValue);
}


export const familyOptions = z.strictObject({
  /**
   * The ABCI application compiled into the binary. 'kvstore' keeps its state in memory and grows with
   * every unique key by design (a positive control); 'persistent_kvstore' stores it in goleveldb; 'e2e' is
   * the end-to-end test app (persists state, takes a state-sync snapshot every 100 blocks, or every
   * `snapshotInterval` blocks).
   */
  app: z.enum(['kvstore', 'persistent_kvstore', 'e2e']).default('persistent_kvstore'),
  /** 'validator' holds voting power in the genesis; 'full' follows the chain without voting. */
  role: z.enum(['validator', 'full']).default('validator'),
  /**
   * app 'e2e' only: take a state-sync snapshot every this many blocks. The app built into `<bin> start
   * --proxy_app e2e` hard-codes 100 (test/e2e/app DefaultConfig, every version), so with this option the
   * node runs the e2e app's own node program instead (`<module>/test/e2e/node` at the same version, built
   * into the cache as `<flavor>-e2e-node`): the same CometBFT node code with the same app in process,
   * configured by an app TOML (`config/e2e-app.toml`, `snapshot_interval`). `extraArgs` do not apply then.
   */
  snapshotInterval: z.number().int().positive().max(1_000_000).optional(),
  /**
   * role 'full', app 'e2e' only: join by state sync. `statesync.enable`, `discovery_time` 5s (the least
   * CometBFT allows), and at every start of the node (before the process is spawned) a trust point from a
   * running node of the network: `rpc_servers` = two running nodes' RPC (the same one twice when only one
   * is up), `trust_height` = its latest height, `trust_hash` = that block's hash. State sync only happens
   * on an empty data dir (CometBFT skips it when it has state): the comet-state-sync workload wipes it.
   */
  stateSync: z.boolean().optional(),
  /**
   * 'mesh' (default): the node and every other node list each other as persistent peers. 'none': nobody
   * lists it and it lists nobody, so only an explicit dial (dial_peers, a peer-churn workload) connects it.
   */
  peering: z.enum(['mesh', 'none']).default('mesh'),
  /** Milliseconds (or '500ms', '1s') to wait after a commit before the next height: `consensus.timeout_commit`. 0 = go on as soon as every precommit is in. */
  blockTime: durationMs().default(300),
  /**
   * config.toml keys (`section.key`, top-level keys bare: `moniker`, `mempool.size`, `p2p.send_rate`,
   * `storage.pruning.interval`) set after everything else, so a production config can be reproduced.
   * Every key must exist in the version's generated config.toml: a typo is an error, not a silent no-op.
   */
  config: tomlSettings('config.toml', 'mempool.size').default({}),
  /** `log_level` ("info", "debug", "consensus:debug,*:info" ...). */
  logLevel: z.string().min(1).default('info'),
  /** More flags for `<bin> start`, appended as given. */
  extraArgs: z.array(z.string()).default([]),
});

export type TendermintFamilyOptions = z.input<typeof familyOptions>;
type ParsedOptions = z.output<typeof familyOptions>;

// ---------------------------------------------------------------------------------------------------
// config.toml, line by line

function tomlLiteral(value: TomlValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => tomlLiteral(v)).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value); // JSON string escapes are TOML basic-string escapes
  return String(value);
}

function headerOf(line: string): string | undefined {
  const m = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
  if (!m) return undefined;
  // Arrays of tables can't be addressed by a dotted key; give them a name no key matches.
  return line.trim().startsWith('[[') ? `[[${m[1]}]]` : m[1]!;
}

/** How many lines the value starting on line `i` spans (multi-line arrays). */
function valueSpan(lines: readonly string[], i: number): number {
  const value = lines[i]!.slice(lines[i]!.indexOf('=') + 1).trim();
  if (!value.startsWith('[')) return 1;
  let depth = 0;
  let inString = false;
  for (let k = i; k < lines.length; k++) {
    const text = k === i ? value : lines[k]!;
    for (let c = 0; c < text.length; c++) {
      const ch = text[c];
      if (inString) {
        if (ch === '\\') c++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '#') break;
      else if (ch === '[') depth++;
      else if (ch === ']') depth--;
    }
    if (depth <= 0) return k - i + 1;
  }
  return lines.length - i;
}

/** Where `section.key` is defined: [line index, lines spanned], or undefined. */
function findKey(lines: readonly string[], dotted: string): [number, number] | undefined {
  const dot = dotted.lastIndexOf('.');
  const section = dot === -1 ? '' : dotted.slice(0, dot);
  const key = dot === -1 ? dotted : dotted.slice(dot + 1);
  const keyRe = new RegExp(`^\\s*${key.replace(/[-]/g, '\\-')}\\s*=`);
  let current = '';
  for (let i = 0; i < lines.length; i++) {
    const header = headerOf(lines[i]!);
    if (header !== undefined) {
      current = header;
      continue;
    }
    if (current === section && keyRe.test(lines[i]!)) return [i, valueSpan(lines, i)];
  }
  return undefined;
}

/** The dotted keys a config.toml defines (`moniker`, `p2p.laddr`, ...). */
export function tomlKeys(text: string): string[] {
  const keys: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const header = headerOf(line);
    if (header !== undefined) {
      current = header;
      continue;
    }
    const m = /^\s*([A-Za-z0-9_-]+)\s*=/.exec(line);
    if (m && !current.startsWith('[[')) keys.push(current === '' ? m[1]! : `${current}.${m[1]}`);
  }
  return keys;
}

/**
 * Set existing keys of a TOML document in place, keeping every other line. Throws UsageError for a key
 * the document does not define (`what` names the document in the message).
 */
export function setTomlKeys(text: string, values: Readonly<Record<string, TomlValue>>, what = 'config.toml'): string {
  const lines = text.split('\n');
  for (const [dotted, value] of Object.entries(values)) {
    const at = findKey(lines, dotted);
    if (!at) throw new UsageError(`${what} has no key '${dotted}' (keys are section.key as in the file, e.g. mempool.size)`);
    const [i, span] = at;
    const key = dotted.slice(dotted.lastIndexOf('.') + 1);
    lines.splice(i, span, `${key} = ${tomlLiteral(value)}`);
  }
  return lines.join('\n');
}

/** Read one key's raw value text (for tests and reports), or undefined. */
export function getTomlValue(text: string, dotted: string): string | undefined {
  const lines = text.split('\n');
  const at = findKey(lines, dotted);
  if (!at) return undefined;
  return lines.slice(at[0], at[0] + at[1]).join('\n').replace(/^[^=]*=\s*/, '').trim();
}

// ---------------------------------------------------------------------------------------------------
// Keys and peers

/** The p2p node ID: hex of the first 20 bytes of sha256(ed25519 public key), as `<bin> show-node-id` prints. */
export async function nodeIdOf(files: NodeFiles): Promise<string> {
  const file = 'home/config/node_key.json';
  const key = JSON.parse(await files.read(file)) as { priv_key?: { type?: string; value?: string } };
  const raw = Buffer.from(key.priv_key?.value ?? '', 'base64');
  if (!/ed25519/i.test(key.priv_key?.type ?? '') || raw.length !== 64) {
    throw new InfraError(`${file}: expected an ed25519 node key`);
  }
  return createHash('sha256').update(raw.subarray(32)).digest('hex').slice(0, 40);
}

// ---------------------------------------------------------------------------------------------------
// Readiness

export interface StatusResult {
  node_info?: { id?: string; network?: string; moniker?: string };
  sync_info?: { latest_block_height?: string; earliest_block_height?: string; catching_up?: boolean };
}

/** GET /status of a node's RPC (JSON-RPC over HTTP GET; the result, unwrapped). */
export async function rpcStatus(rpc: string, signal?: AbortSignal): Promise<StatusResult> {
  const body = JSON.parse((await fetchBytes(`${rpc}/status`, 3_000, signal)).toString('utf8')) as { result?: StatusResult } & StatusResult;
  return body.result ?? body;
}

// ---------------------------------------------------------------------------------------------------
// The flavor

export function tendermintFamilyFlavor(data: TendermintFamilyData): NodeFlavor {
  const flavor: NodeFlavor = {
    name: data.name,
    defaultVersion: data.defaultVersion,
    oldestVersion: data.versions[0]!.from,
    build: data.build,
    portNames: ['p2p', 'rpc', 'pprof', 'prometheus'],
    optionsSchema: familyOptions,
    boundedFrames: (version) => cometBoundedFrames(data.build.module, traitsFor(data.versions, version)),

    async prepare(ctx) {
      return (await prepareNetwork(data, [ctx]))[0]!;
    },

    prepareNetwork(nodes) {
      return prepareNetwork(data, nodes);
    },

    ...cometNodeProbes,
  };
  return flavor;
}

/**
 * What chainsoak reads from any node that runs CometBFT (this family, and a Cosmos SDK chain: simd.ts),
 * through the endpoints of cometEndpoints.
 */
export const cometNodeProbes: Pick<NodeFlavor, 'isReady' | 'readMemStats' | 'watchBlocks' | 'readChainStats'> = {
  async isReady(endpoints, signal, details) {
    return (await readyHeight(endpoints, signal, details)) !== undefined;
  },

  readMemStats(endpoints, signal) {
    return readMemStatsFromPrometheus(endpoints, signal);
  },

  watchBlocks(endpoints, onBlock, signal) {
    return watchBlocks(endpoints.ws!, cometNewBlock, onBlock, signal);
  },

  async readChainStats(endpoints, signal) {
    const { latestBlockHeight, mempoolSize, peers } = await readChainFigures(endpoints, signal);
    return { height: latestBlockHeight, mempoolSize, peers };
  },
};

/**
 * The node's latest height once it is ready, else undefined. Nodes started before enough voting power is
 * online just answer /status; from the node that completes a quorum (> 2/3 of the power, in start order =
 * the order of prepareNetwork's nodes) on, a node is ready at height >= 1 (its details' minHeight).
 */
export async function readyHeight(endpoints: NodeEndpoints, signal: AbortSignal, details?: NodeDetails): Promise<number | undefined> {
  try {
    const height = Number((await rpcStatus(endpoints.rpc!, signal)).sync_info?.latest_block_height ?? 0);
    return height >= Number(details?.minHeight ?? 0) ? height : undefined;
  } catch {
    return undefined;
  }
}

/** CometBFT's caches bounded by construction, in the package paths of `module` (the node's CometBFT module). */
export function cometBoundedFrames(module: string, traits: VersionTraits): BoundedFrames {
  const caches = traits.blockCaches;
  return [
    // The mempool's cache of seen transactions: an LRU of mempool.cache_size entries (10,000 by default).
    [`${module}/mempool.(*LRUTxCache)`, 'mempool tx cache (mempool.cache_size entries)'],
    ...(caches?.loads ?? []).map((load) => [`${module}/store.(*BlockStore).${load}`, caches!.what] as const),
  ];
}

/** CometBFT's own endpoints, on the ports cometListenerSettings binds. */
export const cometEndpoints: Readonly<Record<string, EndpointTemplate>> = {
  rpc: { port: 'rpc', scheme: 'http' },
  ws: { port: 'rpc', scheme: 'ws', path: '/websocket' },
  pprof: { port: 'pprof', scheme: 'http' },
  prometheus: { port: 'prometheus', scheme: 'http', path: '/metrics' },
};

const CONFIG_TOML = 'home/config/config.toml';

async function prepareNetwork(data: TendermintFamilyData, nodes: readonly PrepareContext[]): Promise<LaunchPlan[]> {
  if (nodes.length === 0) return [];
  const sites = nodes.map((n) => n.site);
  const opts = nodes.map((n) => familyOptions.parse(n.options));
  const app = opts[0]!.app;
  opts.forEach((o, i) => {
    if (o.app !== app) throw new UsageError(`${data.name} nodes of one scenario form one chain and need one app: ${sites[0]!.name} has '${app}', ${sites[i]!.name} has '${o.app}'`);
    checkSnapshotOptions(data, sites[i]!.name, o);
  });
  const validators = nodes.flatMap((_, i) => (opts[i]!.role === 'validator' ? [i] : []));
  const fulls = nodes.flatMap((_, i) => (opts[i]!.role === 'full' ? [i] : []));
  if (validators.length === 0) throw new UsageError(`${data.name} network (${sites.map((n) => n.name).join(', ')}) has no validator: at least one node needs role 'validator'`);

  // testnet puts validators in node0..node{V-1} and full nodes after them.
  const dirIndex = new Map<number, number>();
  validators.forEach((n, k) => dirIndex.set(n, k));
  fulls.forEach((n, k) => dirIndex.set(n, validators.length + k));

  const versions = await Promise.all(nodes.map((node) => nodeVersion(node)));
  // Keys and one genesis for everyone, from the first node's program (same format across its network),
  // written into that node's folder and handed from there to every node's home.
  const first = sites[0]!;
  await first.files.remove('testnet');
  try {
    // --home: a home of its own, or the command reads (and creates) ~/.tendermint or ~/.cometbft, where
    // another version's config.toml breaks it (v0.34.0 refuses v0.34.24's max_batch_bytes = 0).
    await first.exec(['testnet', '--home', first.path('testnet/home'), '--v', String(validators.length), '--n', String(fulls.length), '--o', first.path('testnet'), '--populate-persistent-peers=false']);
    const ids: string[] = [];
    for (const [i, site] of sites.entries()) {
      if ((await site.files.list('home')).length > 0) throw new InfraError(`${site.name}: home ${site.home} is not empty`);
      await site.files.importTree('home', await first.files.exportTree(`testnet/node${dirIndex.get(i)}`));
      if (app === 'e2e') await setGenesisAppVersion(site.files, E2E_APP_VERSION);
      ids.push(await nodeIdOf(site.files));
    }
    return await Promise.all(sites.map((site, i) => planNode(data, { site, dial: nodes[i]!.dial, opts, i, ids, sites, versions, quorumAt: quorumIndex(opts), goExperiment: nodes[i]!.goExperiment })));
  } finally {
    await first.files.remove('testnet').catch(() => undefined);
  }
}

/** From which node on (start order) > 2/3 of the voting power (1 per validator) is online. */
export function quorumIndex(opts: ReadonlyArray<{ role: 'validator' | 'full' }>): number {
  const validators = opts.filter((o) => o.role === 'validator').length;
  let online = 0;
  for (let i = 0; i < opts.length; i++) {
    if (opts[i]!.role === 'validator') online++;
    if (3 * online > 2 * validators) return i;
  }
  return opts.length;
}

/** One node's config.toml, app files and command line, once every home holds its keys and the genesis. */
async function planNode(
  data: TendermintFamilyData,
  net: { site: NodeSite; dial: PrepareContext['dial']; opts: readonly ParsedOptions[]; i: number; ids: readonly string[]; sites: readonly NodeSite[]; versions: ReadonlyArray<string | undefined>; quorumAt: number; goExperiment: string | undefined },
): Promise<LaunchPlan> {
  const { site, opts, i, ids, sites, versions } = net;
  const o = opts[i]!;
  const version = versions[i];
  const traits = traitsFor(data.versions, version);
  const peers =
    o.peering === 'none' ? '' : sites.flatMap((other, j) => (j === i || opts[j]!.peering === 'none' ? [] : [`${ids[j]}@${net.dial(other, 'p2p')}`])).join(',');
  const settings = nodeSettings({ site, opts: o, traits, peers });
  // A placeholder trust point: CometBFT refuses to start with it ("trusted_height is required"), so a
  // start that skipped beforeStart fails loudly instead of block-syncing.
  if (o.stateSync) Object.assign(settings, { 'statesync.enable': true, 'statesync.rpc_servers': '', 'statesync.trust_height': 0, 'statesync.trust_hash': '', 'statesync.discovery_time': '5s' });
  const what = `${site.name}: ${data.name} ${version ?? '(unknown version)'} config.toml`;
  await site.files.write(CONFIG_TOML, setTomlKeys(setTomlKeys(await site.files.read(CONFIG_TOML), settings, what), o.config, what));

  const details: FamilyNodeInfo = { family: data.name, role: o.role, app: o.app, minHeight: i >= net.quorumAt ? 1 : 0 };
  const plan: LaunchPlan = { args: [traits.startCommand ?? 'start', '--home', site.home, ...o.extraArgs], endpoints: { ...cometEndpoints }, details };
  if (o.app === 'e2e') plan.snapshotInterval = details.snapshotInterval = o.snapshotInterval ?? E2E_BUILTIN_SNAPSHOT_INTERVAL;
  if (o.snapshotInterval !== undefined) {
    if (version === undefined || !isSemverTag(version)) {
      throw new UsageError(`${site.name}: snapshotInterval runs ${data.build.module}/${E2E_NODE_RECIPE.cmdPath} at the binary's version, and \`${data.build.binary} version\` names none`);
    }
    plan.program = { name: `${data.name}-e2e-node`, binary: await e2eNodeBinary(data, version, net.goExperiment) };
    await site.files.write('home/config/e2e-app.toml', await e2eAppToml(site, o.snapshotInterval));
    plan.args = [site.path('home/config/e2e-app.toml')];
    // The e2e node reads config.toml from $CMTHOME/config (Tendermint's from $TMHOME).
    plan.env = { CMTHOME: site.home, TMHOME: site.home };
  }
  if (o.stateSync) {
    // Trust sources: every other node that is not a state-sync joiner itself, validators first.
    const sources = sites
      .flatMap((other, j) => (j === i || opts[j]!.stateSync ? [] : [{ name: other.name, validator: opts[j]!.role === 'validator' }]))
      .sort((a, b) => Number(b.validator) - Number(a.validator))
      .map((x) => x.name);
    const joiner: StateSyncJoiner = { sources };
    details.stateSync = joiner;
    plan.beforeStart = async ({ signal, network }) => {
      joiner.trust = await setTrustPoint(site.files, runningSources(network, sources), signal);
    };
  }
  return plan;
}

/** The trust sources that run now, in preference order. */
function runningSources(network: NetworkView, names: readonly string[]): RunningNode[] {
  return names.flatMap((name) => {
    const node = network.node(name);
    return node?.isRunning() ? [node] : [];
  });
}

function durationLiteral(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** chainsoak's own settings for one node: listeners where its site says, peers, app, block time, metrics. */
function nodeSettings(args: { site: NodeSite; opts: ParsedOptions; traits: VersionTraits; peers: string }): Record<string, TomlValue> {
  const { site, opts, traits, peers } = args;
  const settings: Record<string, TomlValue> = { proxy_app: opts.app, ...cometListenerSettings({ site, peers, blockTime: opts.blockTime, logLevel: opts.logLevel, skipTimeoutCommit: traits.skipTimeoutCommit }) };
  for (const key of traits.disabledListeners) settings[key] = '';
  return settings;
}

/**
 * The config.toml settings of any CometBFT node chainsoak starts (this family, and the CometBFT inside a
 * Cosmos SDK chain): every listener where the node's site says, persistent peers, block time, Prometheus.
 */
export function cometListenerSettings(args: { site: NodeSite; peers: string; blockTime: number; logLevel: string; skipTimeoutCommit: VersionTraits['skipTimeoutCommit'] }): Record<string, TomlValue> {
  const { site, peers } = args;
  const settings: Record<string, TomlValue> = {
    moniker: site.name,
    log_level: args.logLevel,
    'rpc.laddr': `tcp://${site.listen('rpc')}`,
    'rpc.pprof_laddr': site.listen('pprof'),
    'p2p.laddr': `tcp://${site.listen('p2p')}`,
    'p2p.external_address': '',
    'p2p.persistent_peers': peers,
    'p2p.addr_book_strict': false,
    'p2p.allow_duplicate_ip': true,
    // Every node already dials every other one; PEX would only add an address book to the heap being
    // measured, gossip about addresses, and dial-backoff noise in the logs. The mesh stays exact.
    'p2p.pex': false,
    'instrumentation.prometheus': true,
    'instrumentation.prometheus_listen_addr': site.listen('prometheus'),
    // Empty blocks keep heights advancing without load, so readiness and liveness checks work on an idle chain.
    'consensus.create_empty_blocks': true,
    'consensus.timeout_commit': durationLiteral(args.blockTime),
  };
  if (args.skipTimeoutCommit === 'skip-flag') settings['consensus.skip_timeout_commit'] = args.blockTime === 0;
  return settings;
}

// ---------------------------------------------------------------------------------------------------
// Snapshots and state-sync joiners

/** The snapshot interval of the e2e app that `<bin> start --proxy_app e2e` runs (test/e2e/app DefaultConfig). */
export const E2E_BUILTIN_SNAPSHOT_INTERVAL = 100;

/** The e2e app's own node program (CometBFT's e2e tests run it): CometBFT with the app in process, configurable. */
const E2E_NODE_RECIPE = { cmdPath: 'test/e2e/node', binary: 'node' } as const;

/** The app's log line for each snapshot it takes (`app.go` Commit; the app logs to stdout whatever log_level says). */
export const SNAPSHOT_TAKEN_RE = /created state sync snapshot\s+height=(\d+)/g;
/** CometBFT's log line when a state-sync snapshot has been restored (statesync/syncer.go). */
export const SNAPSHOT_RESTORED_RE = /Snapshot restored\s+.*?height=(\d+)/g;

/** What a joiner's beforeStart took from the running network. */
export interface TrustPoint {
  height: number;
  /** Header hash at `height`, upper-case hex as CometBFT prints it. */
  hash: string;
  /** The two RPC servers written to `statesync.rpc_servers` (one server twice when only one was up). */
  rpcServers: [string, string];
  at: number;
}

export interface StateSyncJoiner {
  /** Names of the nodes a trust point may come from, in preference order (validators first). */
  readonly sources: readonly string[];
  /** The trust point of the latest start. */
  trust?: TrustPoint;
}

/** What the family tells of a node it prepared: the plan's details (RunningNode.details). */
export type FamilyNodeInfo = {
  /** The flavor that prepared it ('cometbft', 'tendermint'). */
  family: string;
  role: 'validator' | 'full';
  /** Height at which the node counts as ready (1 from the node that completes a quorum on). */
  minHeight: number;
  app: ParsedOptions['app'];
  /** Blocks between the app's snapshots (app 'e2e' only). */
  snapshotInterval?: number;
  stateSync?: StateSyncJoiner;
};

/** The app version the e2e app reports in Info (test/e2e/app: appVersion = 1). */
const E2E_APP_VERSION = 1;

/**
 * Set `consensus_params.version.app` (Tendermint v0.34: `app_version`) in a node's genesis.json. The e2e
 * app answers Info with app version 1 while `testnet` writes 0; block headers carry the genesis value, and
 * a state-sync restore compares the two and fails ("app version mismatch. Expected: 0, got: 1").
 * CometBFT's own e2e runner sets 1 the same way. Every node gets the same edit, so the genesis stays one.
 */
async function setGenesisAppVersion(files: NodeFiles, appVersion: number): Promise<void> {
  const file = 'home/config/genesis.json';
  const genesis = JSON.parse(await files.read(file)) as { consensus_params?: { version?: Record<string, unknown> } };
  const params = genesis.consensus_params;
  if (!params) throw new InfraError(`${file}: no consensus_params`);
  const version = (params.version ??= {});
  const key = 'app_version' in version ? 'app_version' : 'app';
  version[key] = String(appVersion);
  await files.write(file, JSON.stringify(genesis, null, 2) + '\n');
}

/** The family's record of a node (role, app, snapshot interval, state-sync joiner), or undefined for other nodes. */
export function familyNodeInfo(node: { details: NodeDetails }): FamilyNodeInfo | undefined {
  return typeof node.details.family === 'string' ? (node.details as unknown as FamilyNodeInfo) : undefined;
}

function checkSnapshotOptions(data: TendermintFamilyData, name: string, o: ParsedOptions): void {
  if (o.snapshotInterval !== undefined && o.app !== 'e2e') {
    throw new UsageError(`${name}: snapshotInterval needs app 'e2e' (the only built-in app that takes state-sync snapshots), not '${o.app}'`);
  }
  if (o.snapshotInterval !== undefined && o.extraArgs.length > 0) {
    throw new UsageError(`${name}: extraArgs are flags of \`${data.build.binary} start\`, which a node with snapshotInterval does not run (it runs the e2e app's node program)`);
  }
  if (o.stateSync && o.role !== 'full') throw new UsageError(`${name}: stateSync needs role 'full' (a validator of the genesis cannot join late)`);
  if (o.stateSync && o.app !== 'e2e') throw new UsageError(`${name}: stateSync needs app 'e2e' (the only built-in app that serves snapshots), not '${o.app}'`);
}

const e2eBuilds = new Map<string, Promise<string>>();

/**
 * The e2e node program of the flavor's module at `version`, built into the cache on first use; with the
 * node's Go experiment, since it replaces the node's own binary (provenLeaks).
 */
function e2eNodeBinary(data: TendermintFamilyData, version: string, goExperiment: string | undefined): Promise<string> {
  const key = `${data.name}@${version}${goExperiment ? `+${goExperiment}` : ''}`;
  let built = e2eBuilds.get(key);
  if (!built) {
    built = ensureBinary(`${data.name}-e2e-node`, { module: data.build.module, ...E2E_NODE_RECIPE }, version, goExperiment ? { goExperiment } : {});
    built.catch(() => e2eBuilds.delete(key));
    e2eBuilds.set(key, built);
  }
  return built;
}

/** The e2e node's app config: the app in process (`builtin`), state in `<home>/data` like `--proxy_app e2e`. */
async function e2eAppToml(site: NodeSite, snapshotInterval: number): Promise<string> {
  const genesis = JSON.parse(await site.files.read('home/config/genesis.json')) as { chain_id?: string };
  if (!genesis.chain_id) throw new InfraError(`${site.name}: config/genesis.json has no chain_id`);
  return [
    '# written by chainsoak: the e2e app node (test/e2e/node) with its app in process',
    `chain_id = ${tomlLiteral(genesis.chain_id)}`,
    'protocol = "builtin"',
    `dir = ${tomlLiteral(site.path('home/data'))}`,
    'persist_interval = 1',
    `snapshot_interval = ${snapshotInterval}`,
    '',
  ].join('\n');
}

async function rpcResult<T>(url: string, signal?: AbortSignal): Promise<T> {
  const body = JSON.parse((await fetchBytes(url, 5_000, signal)).toString('utf8')) as { result?: T; error?: { message?: string; data?: string } };
  if (body.error || body.result === undefined) throw new Error(`${url}: ${body.error?.message ?? 'no result'} ${body.error?.data ?? ''}`.trim());
  return body.result;
}

/**
 * Take a trust point from the running network and write it to a joiner's config.toml: the first source
 * that answers /status at height >= 1 gives its latest height and that header's hash (`/commit`); the
 * first two that answer become `rpc_servers`, at the addresses the joiner reaches them at. Retries every
 * 500 ms until `signal` aborts.
 */
export async function setTrustPoint(files: NodeFiles, sources: readonly RunningNode[], signal: AbortSignal): Promise<TrustPoint> {
  let last = sources.length === 0 ? 'the network has no running node to trust' : 'no answer yet';
  while (!signal.aborted) {
    const up: Array<{ node: RunningNode; height: number }> = [];
    for (const node of sources) {
      if (up.length === 2) break;
      const rpc = node.endpoints.rpc!;
      try {
        const height = Number((await rpcStatus(rpc, signal)).sync_info?.latest_block_height ?? 0);
        if (height >= 1) up.push({ node, height });
        else last = `${node.name} is at height ${height}`;
      } catch (error) {
        last = `${node.name}: ${(error as Error).message}`;
      }
    }
    if (up.length > 0) {
      const { node, height } = up[0]!;
      try {
        const commit = await rpcResult<{ signed_header?: { commit?: { block_id?: { hash?: string } } } }>(`${node.endpoints.rpc}/commit?height=${height}`, signal);
        const hash = commit.signed_header?.commit?.block_id?.hash;
        if (!hash || !/^[0-9A-Fa-f]{64}$/.test(hash)) throw new Error(`${node.name}/commit?height=${height}: no block hash`);
        const servers = [node, up[1]?.node ?? node].map((n) => `http://${n.peerAddress('rpc')}`);
        const rpcServers: [string, string] = [servers[0]!, servers[1]!];
        const text = await files.read(CONFIG_TOML);
        await files.write(
          CONFIG_TOML,
          setTomlKeys(text, { 'statesync.rpc_servers': rpcServers.join(','), 'statesync.trust_height': height, 'statesync.trust_hash': hash.toUpperCase() }, CONFIG_TOML),
        );
        return { height, hash: hash.toUpperCase(), rpcServers, at: Date.now() };
      } catch (error) {
        last = (error as Error).message;
      }
    }
    await delay(500, signal);
  }
  throw new Error(`no state-sync trust point: ${last}`);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Empty a stopped node's data dir (block store, state, evidence, tx index, WAL, the app's state and
 * snapshots) so its next start begins at height 0 — the condition for state sync. priv_validator_state.json
 * stays: the node refuses to start without it. Returns the entries removed.
 */
export async function wipeNodeData(files: NodeFiles): Promise<string[]> {
  const removed = (await files.list('home/data')).filter((e) => e !== 'priv_validator_state.json');
  for (const entry of removed) await files.remove(`home/data/${entry}`);
  return removed;
}

/** Heights of the snapshots the e2e app holds now (`<home>/data/snapshots/metadata.json`; it keeps the last 10). */
export async function readAppSnapshots(files: NodeFiles): Promise<number[]> {
  try {
    const list = JSON.parse(await files.read('home/data/snapshots/metadata.json')) as Array<{ height?: number | string }> | null;
    return (list ?? []).map((s) => Number(s.height)).filter((h) => Number.isFinite(h));
  } catch {
    return [];
  }
}

/** Heights in every match of a /g regex with one height group (SNAPSHOT_TAKEN_RE, SNAPSHOT_RESTORED_RE) in `text`. */
export function logHeights(text: string, re: RegExp): number[] {
  return [...text.matchAll(new RegExp(re.source, 'g'))].map((m) => Number(m[1]));
}
