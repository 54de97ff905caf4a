/**
 * simd: a real Cosmos SDK chain, the SDK's simulation app (simapp) with CometBFT in process. The SDK's own
 * simapp module is not served by the Go module proxy and `go install` refuses a module with replace
 * directives, so chainsoak carries one tiny wrapper module per SDK line (harness/nodes/simd/sdk-*: go.mod,
 * go.sum, main.go) and builds it with `go build` into the cache, versioned `<line>-src-<hash>`.
 *
 * A user names the SDK line (`simd`, `simd@v0.50`); each node of the flavor in a scenario is a validator of
 * one chain (simd-genesis.ts). CometBFT's side (config.toml, readiness, chain figures) is the CometBFT
 * flavor's mechanism (tendermint-family.ts); the app's side (app.toml: gRPC, REST, minimum gas prices) is
 * here.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import { answersHttp } from '../probes/http.ts';
import type { NodeSite } from '../runtimes/runtime.ts';
import { durationMs } from '../scenario/fields.ts';
import { cometbftBuild, cometbftVersions } from './cometbft.ts';
import type { EndpointTemplate, GoBuildRecipe, LaunchPlan, NodeDetails, NodeFlavor, PrepareContext } from './flavor.ts';
import { localVersion } from './install.ts';
import { withAbciLink } from './simd-abci.ts';
import { ACCOUNT_BALANCE, prepareSimdGenesis, SIMD_CHAIN_ID, SIMD_DENOM, SIMD_PREFIX } from './simd-genesis.ts';
import { cometBoundedFrames, cometEndpoints, cometListenerSettings, cometNodeProbes, nodeIdOf, quorumIndex, readyHeight, setTomlKeys, tomlSettings, traitsFor, type VersionTraits } from './tendermint-family.ts';

/** One SDK line chainsoak builds: its wrapper module and what that module pins. */
interface SdkLine {
  /** Folder of the wrapper module under harness/nodes/simd/. */
  dir: string;
  /** The Cosmos SDK and CometBFT versions the wrapper's go.mod resolves to. */
  sdk: string;
  cometbft: string;
  /** Where its simapp comes from. */
  simapp: string;
}

export const SDK_LINES: Readonly<Record<string, SdkLine>> = {
  'v0.50': { dir: 'sdk-v0.50', sdk: 'v0.50.9', cometbft: 'v0.38.11', simapp: 'github.com/cosmos/ibc-go/v8 v8.8.0 testing/simapp' },
  // ibc-go v10's simapp ships no simd command: the wrapper carries a root command of its own.
  'v0.53': { dir: 'sdk-v0.53', sdk: 'v0.53.4', cometbft: 'v0.38.17', simapp: 'github.com/cosmos/ibc-go/v10 v10.7.0 testing/simapp' },
};

const DEFAULT_LINE = 'v0.50';

/** The wrappers' folder, found from this file: `harness/nodes/` in a checkout and `dist/nodes/` in the package are at the same depth. */
const WRAPPERS = new URL('../../harness/nodes/simd/', import.meta.url);

function recipeOf(line: string): GoBuildRecipe & { localDir: string } {
  const sdk = SDK_LINES[line];
  if (!sdk) throw new UsageError(`unknown simd SDK line '${line}'; known lines: ${Object.keys(SDK_LINES).join(', ')}`);
  return { module: `chainsoak.local/simd-${sdk.dir}`, cmdPath: '.', binary: 'simd', localDir: fileURLToPath(new URL(sdk.dir, WRAPPERS)), versionLabel: line };
}

// ---------------------------------------------------------------------------------------------------
// Options

const MAX_ACCOUNTS = 100_000;

export const simdOptions = z.strictObject({
  /**
   * Test accounts funded in genesis: cosmos-accounts.ts indices 0..accounts-1, account number = index, each
   * with 10^15 stake. One genesis for the chain, so every simd node of a scenario must say the same.
   */
  accounts: z.number().int().min(1).max(MAX_ACCOUNTS).default(200),
  /** Milliseconds (or '500ms', '1s') CometBFT waits after a commit: `consensus.timeout_commit`; 0 skips the wait. */
  blockTime: durationMs().default(500),
  /** app.toml `minimum-gas-prices`, in stake per gas unit: a tx whose fee is below gas × this is refused. */
  minGasPrice: z.number().finite().min(0).max(1_000_000).default(0.001),
  /** config.toml keys (`section.key`) set after chainsoak's own, as for cometbft. */
  config: tomlSettings('config.toml', 'mempool.size').default({}),
  /** app.toml keys (`section.key`, top-level keys bare: `iavl-cache-size`, `api.max-open-connections`) set after chainsoak's own. */
  appConfig: tomlSettings('app.toml', 'iavl-cache-size').default({}),
  /** `--log_level` ("info", "debug", "consensus:debug,*:info" ...). */
  logLevel: z.string().min(1).default('info'),
  /** More flags for `simd start`, appended as given. */
  extraArgs: z.array(z.string()).default([]),
});

export type SimdOptions = z.input<typeof simdOptions>;
type ParsedOptions = z.output<typeof simdOptions>;

// ---------------------------------------------------------------------------------------------------
// What a node tells workloads

/** What a simd node's details carry (RunningNode.details): everything a Cosmos workload needs to sign and pay. */
export interface SimdNodeInfo {
  /** Marks a Cosmos SDK node. */
  chain: 'cosmos-sdk';
  /** The SDK line the node's binary was built from; undefined for a developer's binary. */
  sdkLine: string | undefined;
  chainId: string;
  /** Bond and fee denom. */
  denom: string;
  /** Bech32 account prefix. */
  prefix: string;
  /** The funded test accounts: indices 0..count-1 of cosmos-accounts.ts, account number = index, `balance` each (decimal string). */
  accounts: { count: number; balance: string };
  /** The node's minimum gas price as cosmjs GasPrice.fromString takes it (`0.001stake`). */
  gasPrice: string;
  /** This node's validator: its account address (key `validator` in the home's test keyring). */
  validatorAddress: string;
  /** Height from which the node counts as ready (1 from the node that completes a quorum on). */
  minHeight: number;
}

/** A simd node's details, or undefined for another flavor's node. */
export function simdNodeInfo(node: { details: NodeDetails }): SimdNodeInfo | undefined {
  return node.details.chain === 'cosmos-sdk' ? (node.details as unknown as SimdNodeInfo) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// The flavor

/** REST (the SDK's API server, gRPC-gateway and grpc-web), gRPC, and p2p beside CometBFT's own endpoints. */
const simdEndpoints: Readonly<Record<string, EndpointTemplate>> = {
  ...cometEndpoints,
  rest: { port: 'api', scheme: 'http' },
  grpc: { port: 'grpc', scheme: 'tcp' },
  p2p: { port: 'p2p', scheme: 'tcp' },
};

export const simd: NodeFlavor = withAbciLink({
  name: 'simd',
  defaultVersion: DEFAULT_LINE,
  build: recipeOf(DEFAULT_LINE),
  portNames: ['p2p', 'rpc', 'pprof', 'prometheus', 'api', 'grpc'],
  optionsSchema: simdOptions,

  boundedFrames: (version) => [
    // The CometBFT inside simd (its module path is CometBFT's own): mempool cache and block-store LRUs.
    ...cometBoundedFrames(cometbftBuild.module, cometTraits(lineOf(version))),
    // iavl's LRUs of tree nodes (app.toml iavl-cache-size nodes per store, passed by cosmossdk.io/store's
    // rootmulti to iavl.NewMutableTree) and of fast nodes (100,000 per store: iavl nodedb.go).
    ['github.com/cosmos/iavl/cache.', "iavl's node and fast-node LRU caches (app.toml iavl-cache-size)"],
    // The inter-block cache (app.toml inter-block-cache): an ARC of 1,000 entries per store
    // (cosmossdk.io/store/cache DefaultCommitKVStoreCacheSize); values it reads through are kept there.
    ['cosmossdk.io/store/cache.(*CommitKVStoreCache)', 'the inter-block cache (1,000 entries per store)'],
  ],

  parseVersion(text) {
    const line = /^\d/.test(text) ? `v${text}` : text;
    if (!SDK_LINES[line]) throw new UsageError(`unknown simd SDK line '${text}'; known lines: ${Object.keys(SDK_LINES).join(', ')}`);
    return line;
  },

  buildOf(version) {
    const recipe = recipeOf(version);
    return { recipe, version: localVersion(recipe) };
  },

  async prepare(ctx) {
    return (await prepareNetwork([ctx]))[0]!;
  },

  prepareNetwork,

  ...cometNodeProbes,

  /**
   * CometBFT's readiness (readyHeight), then REST: the SDK starts gRPC and then REST after
   * CometBFT (server/start.go), and REST's gRPC-gateway answers 503 until its gRPC connection is up, for
   * seconds after height 1 on a big genesis (100,000 accounts). Once the chain has a block, a query must
   * succeed; before it (a node started before the quorum) any answer of the listener counts, as every
   * query fails without a block. A node without REST (CometBFT of an ABCI pair, simd-abci.ts) is ready
   * on CometBFT's readiness alone.
   */
  async isReady(endpoints, signal, details) {
    const height = await readyHeight(endpoints, signal, details);
    if (height === undefined) return false;
    return endpoints.rest === undefined || answersHttp(`${endpoints.rest}/cosmos/base/tendermint/v1beta1/node_info`, 3_000, signal, height < 1);
  },
}, simdOptions);

const CONFIG_TOML = 'home/config/config.toml';
const APP_TOML = 'home/config/app.toml';

async function prepareNetwork(nodes: readonly PrepareContext[]): Promise<LaunchPlan[]> {
  if (nodes.length === 0) return [];
  const sites = nodes.map((n) => n.site);
  const opts = nodes.map((n) => simdOptions.parse(n.options));
  const accounts = opts[0]!.accounts;
  opts.forEach((o, i) => {
    if (o.accounts !== accounts) throw new UsageError(`simd nodes of one scenario form one chain with one genesis: ${sites[0]!.name} has accounts ${accounts}, ${sites[i]!.name} has ${o.accounts}`);
  });
  const { validators } = await prepareSimdGenesis(sites, accounts);
  const ids = await Promise.all(sites.map((site) => nodeIdOf(site.files)));
  const quorumAt = quorumIndex(nodes.map(() => ({ role: 'validator' as const })));
  return Promise.all(
    nodes.map(async (node, i): Promise<LaunchPlan> => {
      const o = opts[i]!;
      const line = lineOf(node.version);
      const peers = sites.flatMap((other, j) => (j === i ? [] : [`${ids[j]}@${node.dial(other, 'p2p')}`])).join(',');
      await writeConfigs(node.site, o, line, peers);
      const details: SimdNodeInfo = {
        chain: 'cosmos-sdk',
        sdkLine: line,
        chainId: SIMD_CHAIN_ID,
        denom: SIMD_DENOM,
        prefix: SIMD_PREFIX,
        accounts: { count: accounts, balance: String(ACCOUNT_BALANCE) },
        gasPrice: `${decimal(o.minGasPrice)}${SIMD_DENOM}`,
        validatorAddress: validators[i]!,
        minHeight: i >= quorumAt ? 1 : 0,
      };
      // CometBFT runs in the app's process (`start` without --with-comet=false): one program, one heap.
      return { args: ['start', '--home', node.site.home, '--log_level', o.logLevel, '--log_no_color', ...o.extraArgs], endpoints: { ...simdEndpoints }, details: { ...details } };
    }),
  );
}

/** config.toml (CometBFT) and app.toml (the SDK): every listener where the site says, then the user's keys. */
async function writeConfigs(site: NodeSite, o: ParsedOptions, line: string | undefined, peers: string): Promise<void> {
  const traits = cometTraits(line);
  const comet = { ...cometListenerSettings({ site, peers, blockTime: o.blockTime, logLevel: o.logLevel, skipTimeoutCommit: traits.skipTimeoutCommit }) };
  for (const key of traits.disabledListeners) comet[key] = '';
  const app = {
    'minimum-gas-prices': `${decimal(o.minGasPrice)}${SIMD_DENOM}`,
    // The REST server also serves gRPC-gateway and grpc-web (app.toml grpc-web.enable): no listener of their own.
    'api.enable': true,
    'api.address': `tcp://${site.listen('api')}`,
    'grpc.enable': true,
    'grpc.address': site.listen('grpc'),
  };
  for (const [file, settings, own] of [
    [CONFIG_TOML, o.config, comet],
    [APP_TOML, o.appConfig, app],
  ] as const) {
    const what = `${site.name}: simd ${line ?? '(own binary)'} ${file.split('/').pop()}`;
    await site.files.write(file, setTomlKeys(setTomlKeys(await site.files.read(file), own, what), settings, what));
  }
}

/** The SDK line of a node's version; undefined for a developer's binary ('custom'). */
function lineOf(version: string): string | undefined {
  return SDK_LINES[version] ? version : undefined;
}

/** What the line's CometBFT release needs; a developer's binary (no line) is read as the default line: every line pins CometBFT v0.38. */
function cometTraits(line: string | undefined): VersionTraits {
  return traitsFor(cometbftVersions, SDK_LINES[line ?? DEFAULT_LINE]!.cometbft);
}

/** A non-negative number as the SDK's decimal parser takes it: no exponent (1e-7 → 0.0000001). */
function decimal(n: number): string {
  return n.toFixed(18).replace(/\.?0+$/, '');
}
