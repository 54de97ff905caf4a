/**
 * The mechanism shared by CometBFT and Tendermint Core: one chain per scenario from the binary's own
 * `testnet` subcommand, config.toml edited line by line (comments and layout kept, so a user can diff it
 * against production), every listener on 127.0.0.1, readiness over `/status`, MemStats over Prometheus.
 * The flavors (cometbft.ts, tendermint.ts) are data: a build recipe, a default version and a per-version
 * table of what differs (VersionTraits). Nothing here is specific to one of them.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { InfraError, UsageError } from '../errors.ts';
import { fetchBytes } from '../probes/http.ts';
import { readChainFigures, readMemStatsFromPrometheus } from '../probes/prometheus.ts';
import { parseDuration } from '../scenario/units.ts';
import type { GoBuildRecipe, LaunchPlan, NodeEndpoints, NodeFlavor, PrepareContext } from './flavor.ts';
import { compareSemver, isSemverTag } from './node-spec.ts';

const execFileP = promisify(execFile);

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
}

export interface VersionRow {
  /** First version (semver tag) the traits apply to; rows are sorted ascending. */
  from: string;
  traits: VersionTraits;
}

export interface TendermintFamilyData {
  name: string;
  defaultVersion: string;
  build: GoBuildRecipe;
  /** Ascending; the last row whose `from` <= the binary's version applies (the first row below it). */
  versions: readonly VersionRow[];
}

/** The traits for a version: the last row at or below it (the first row for older or unknown versions). */
export function traitsFor(rows: readonly VersionRow[], version: string | undefined): VersionTraits {
  let hit = rows[0]!;
  if (version === undefined || !isSemverTag(version)) return rows[rows.length - 1]!.traits;
  for (const row of rows) if (compareSemver(version, row.from) >= 0) hit = row;
  return hit.traits;
}

/**
 * The version a binary says it is (`<bin> version`: "0.38.26", "1.0.1", "0.34.24"), as a tag `v0.38.26`.
 * A developer's build may print more ("0.38.26-abcdef"); the leading X.Y.Z is kept. undefined if none.
 */
export async function binaryVersion(binary: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP(binary, ['version'], { timeout: 20_000 });
    const m = /(\d+)\.(\d+)\.(\d+)/.exec(stdout);
    return m ? `v${m[1]}.${m[2]}.${m[3]}` : undefined;
  } catch (error) {
    throw new InfraError(`cannot run \`${binary} version\`: ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Options

const tomlScalar = z.union([z.string(), z.number().finite(), z.boolean()]);
const tomlValue = z.union([tomlScalar, z.array(tomlScalar)]);
export type TomlValue = z.infer<typeof tomlValue>;

const durationMs = z
  .union([z.number().int().min(0), z.string()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < 0) {
      ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (e.g. 300, '500ms', '2s')` });
      return z.NEVER;
    }
    return ms;
  });

export const familyOptions = z.strictObject({
  /**
   * The ABCI application compiled into the binary. 'kvstore' keeps its state in memory and grows with
   * every unique key by design (a positive control); 'persistent_kvstore' stores it in goleveldb; 'e2e' is
   * the end-to-end test app (persists state, takes a state-sync snapshot every 100 blocks).
   */
  app: z.enum(['kvstore', 'persistent_kvstore', 'e2e']).default('persistent_kvstore'),
  /** 'validator' holds voting power in the genesis; 'full' follows the chain without voting. */
  role: z.enum(['validator', 'full']).default('validator'),
  /** Milliseconds (or '500ms', '1s') to wait after a commit before the next height: `consensus.timeout_commit`. 0 = go on as soon as every precommit is in. */
  blockTime: durationMs.default(300),
  /**
   * config.toml keys (`section.key`, top-level keys bare: `moniker`, `mempool.size`, `p2p.send_rate`,
   * `storage.pruning.interval`) set after everything else, so a production config can be reproduced.
   * Every key must exist in the version's generated config.toml: a typo is an error, not a silent no-op.
   */
  config: z.record(z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a dotted config.toml key like mempool.size'), tomlValue).default({}),
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
export async function nodeIdOf(home: string): Promise<string> {
  const file = path.join(home, 'config', 'node_key.json');
  const key = JSON.parse(await readFile(file, 'utf8')) as { priv_key?: { type?: string; value?: string } };
  const raw = Buffer.from(key.priv_key?.value ?? '', 'base64');
  if (!/ed25519/i.test(key.priv_key?.type ?? '') || raw.length !== 64) {
    throw new InfraError(`${file}: expected an ed25519 node key`);
  }
  return createHash('sha256').update(raw.subarray(32)).digest('hex').slice(0, 40);
}

// ---------------------------------------------------------------------------------------------------
// Readiness

/**
 * Readiness rule per started node, keyed by the endpoints object the plan carries (the runtime hands the
 * same object back to isReady). Nodes started before enough voting power is online just answer /status;
 * from the node that completes a quorum (> 2/3 of the power, in start order = the order of prepareNetwork's
 * nodes) on, a node is ready at height >= 1. Unknown endpoints (a copied object): /status only.
 */
const minHeight = new WeakMap<NodeEndpoints, number>();

interface StatusResult {
  node_info?: { id?: string; network?: string; moniker?: string };
  sync_info?: { latest_block_height?: string; catching_up?: boolean };
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
    build: data.build,
    portNames: ['p2p', 'rpc', 'pprof', 'prometheus'],
    optionsSchema: familyOptions,

    async prepare(ctx) {
      return (await prepareNetwork(data, [ctx]))[0]!;
    },

    prepareNetwork(nodes) {
      return prepareNetwork(data, nodes);
    },

    async isReady(endpoints, signal) {
      try {
        const status = await rpcStatus(endpoints.rpc!, signal);
        const want = minHeight.get(endpoints) ?? 0;
        return Number(status.sync_info?.latest_block_height ?? 0) >= want;
      } catch {
        return false;
      }
    },

    readMemStats(endpoints, signal) {
      return readMemStatsFromPrometheus(endpoints, signal);
    },

    async readChainStats(endpoints, signal) {
      const { latestBlockHeight, mempoolSize, peers } = await readChainFigures(endpoints, signal);
      return { height: latestBlockHeight, mempoolSize, peers };
    },
  };
  return flavor;
}

async function prepareNetwork(data: TendermintFamilyData, nodes: readonly PrepareContext[]): Promise<LaunchPlan[]> {
  if (nodes.length === 0) return [];
  const opts = nodes.map((n) => familyOptions.parse(n.options));
  const app = opts[0]!.app;
  opts.forEach((o, i) => {
    if (o.app !== app) throw new UsageError(`${data.name} nodes of one scenario form one chain and need one app: ${nodes[0]!.name} has '${app}', ${nodes[i]!.name} has '${o.app}'`);
  });
  const validators = nodes.flatMap((_, i) => (opts[i]!.role === 'validator' ? [i] : []));
  const fulls = nodes.flatMap((_, i) => (opts[i]!.role === 'full' ? [i] : []));
  if (validators.length === 0) throw new UsageError(`${data.name} network (${nodes.map((n) => n.name).join(', ')}) has no validator: at least one node needs role 'validator'`);

  // testnet puts validators in node0..node{V-1} and full nodes after them.
  const dirIndex = new Map<number, number>();
  validators.forEach((n, k) => dirIndex.set(n, k));
  fulls.forEach((n, k) => dirIndex.set(n, validators.length + k));

  const versions = await Promise.all(nodes.map((n) => binaryVersion(n.binary)));
  const scratch = await mkdtemp(path.join(os.tmpdir(), `chainsoak-${data.name}-testnet-`));
  try {
    // Keys and one genesis for everyone, from the first node's binary (same format across its network).
    const out = path.join(scratch, 'net');
    try {
      await execFileP(nodes[0]!.binary, ['testnet', '--v', String(validators.length), '--n', String(fulls.length), '--o', out, '--populate-persistent-peers=false'], {
        timeout: 60_000,
        cwd: scratch,
      });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new InfraError(`${nodes[0]!.binary} testnet failed: ${e.message.split('\n')[0]}`, { detail: e.stderr });
    }

    const ids: string[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const from = path.join(out, `node${dirIndex.get(i)}`);
      const home = nodes[i]!.home;
      await mkdir(home, { recursive: true });
      if ((await readdir(home)).length > 0) throw new InfraError(`${nodes[i]!.name}: home ${home} is not empty`);
      await cp(from, home, { recursive: true });
      ids.push(await nodeIdOf(home));
    }

    // From which node on (start order) > 2/3 of the voting power (1 per validator) is online.
    let online = 0;
    let quorumAt = nodes.length;
    for (let i = 0; i < nodes.length; i++) {
      if (opts[i]!.role === 'validator') online++;
      if (3 * online > 2 * validators.length) {
        quorumAt = i;
        break;
      }
    }

    const plans: LaunchPlan[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const { name, home, ports } = nodes[i]!;
      const o = opts[i]!;
      const traits = traitsFor(data.versions, versions[i]);
      const peers = nodes.flatMap((other, j) => (j === i ? [] : [`${ids[j]}@127.0.0.1:${other.ports.p2p}`])).join(',');
      const settings = nodeSettings({ name, ports, opts: o, traits, peers });
      const configPath = path.join(home, 'config', 'config.toml');
      const original = await readFile(configPath, 'utf8');
      const what = `${name}: ${data.name} ${versions[i] ?? '(unknown version)'} config.toml`;
      let text = setTomlKeys(original, settings, what);
      text = setTomlKeys(text, o.config, what);
      await writeFile(configPath, text);

      const endpoints: NodeEndpoints = {
        rpc: `http://127.0.0.1:${ports.rpc}`,
        ws: `ws://127.0.0.1:${ports.rpc}/websocket`,
        pprof: `http://127.0.0.1:${ports.pprof}`,
        prometheus: `http://127.0.0.1:${ports.prometheus}/metrics`,
      };
      minHeight.set(endpoints, i >= quorumAt ? 1 : 0);
      plans.push({ args: ['start', '--home', home, ...o.extraArgs], endpoints });
    }
    return plans;
  } finally {
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

function durationLiteral(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** chainsoak's own settings for one node: loopback listeners, peers, app, block time, metrics. */
function nodeSettings(args: { name: string; ports: Record<string, number>; opts: ParsedOptions; traits: VersionTraits; peers: string }): Record<string, TomlValue> {
  const { name, ports, opts, traits, peers } = args;
  const settings: Record<string, TomlValue> = {
    moniker: name,
    proxy_app: opts.app,
    log_level: opts.logLevel,
    'rpc.laddr': `tcp://127.0.0.1:${ports.rpc}`,
    'rpc.pprof_laddr': `127.0.0.1:${ports.pprof}`,
    'p2p.laddr': `tcp://127.0.0.1:${ports.p2p}`,
    'p2p.external_address': '',
    'p2p.persistent_peers': peers,
    'p2p.addr_book_strict': false,
    'p2p.allow_duplicate_ip': true,
    // Every node already dials every other one; PEX would only add an address book to the heap being
    // measured, gossip about addresses, and dial-backoff noise in the logs. The mesh stays exact.
    'p2p.pex': false,
    'instrumentation.prometheus': true,
    'instrumentation.prometheus_listen_addr': `127.0.0.1:${ports.prometheus}`,
    // Empty blocks keep heights advancing without load, so readiness and liveness checks work on an idle chain.
    'consensus.create_empty_blocks': true,
    'consensus.timeout_commit': durationLiteral(opts.blockTime),
  };
  if (traits.skipTimeoutCommit === 'skip-flag') settings['consensus.skip_timeout_commit'] = opts.blockTime === 0;
  for (const key of traits.disabledListeners) settings[key] = '';
  return settings;
}
