/**
 * simd with its app out of process: the ABCI link as a thing to cut. Two nodes of the scenario make one
 * validator:
 *
 *  - the app node (`abci: 'app'`) runs `simd start --with-comet=false`, serving ABCI on a socket
 *    (`--transport socket --address tcp://<its abci port>`), plus its REST and gRPC listeners;
 *  - the consensus node (`abci: { app: '<app node>' }`) runs CometBFT of the version the simd binary was
 *    built with (`simd version --long`: v0.38.11 for SDK v0.50.9, v0.38.17 for v0.53.4) as a program of its own, with
 *    `--proxy_app tcp://<the app's abci port>` dialed through ctx.dial, so with network faults the ABCI
 *    connection goes through a Toxiproxy proxy (`link: { node, of: 'abci' }`).
 *
 * Each is a node of the run with its own pprof, profiles, samples and trend. The in-process flavor prepares
 * the consensus node as an ordinary simd validator (its home: genesis, validator key, node key in
 * CometBFT's formats, config.toml, app.toml); the app node gets a copy of that home with its own ports.
 * CometBFT stops itself when it loses its ABCI connection: a fault that cuts the link says so
 * (`expect: { nodeExits: [...] }`, faults/expected-exits.ts).
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import { readMemStatsFromPprof } from '../probes/memstats.ts';
import type { NodeSite } from '../runtimes/runtime.ts';
import { cometbftBuild } from './cometbft.ts';
import type { EndpointTemplate, LaunchPlan, NodeDetails, NodeFlavor, PrepareContext } from './flavor.ts';
import { ensureBinary } from './install.ts';
import { setTomlKeys } from './tendermint-family.ts';

/** `abci`: 'app' runs only the app; `{ app }` runs CometBFT in front of that app node. */
export const abciOption = z.union([z.literal('app'), z.strictObject({ app: z.string().min(1) })], { error: "expected 'app' (this node runs the app) or { app: '<app node>' } (this node runs CometBFT for it)" });
type AbciOption = z.output<typeof abciOption>;

/** What a node of a pair tells about itself (RunningNode.details.abci). */
export type AbciSide = { side: 'app'; consensus: string } | { side: 'consensus'; app: string; cometbft: string };

export function abciSideOf(details: NodeDetails): AbciSide | undefined {
  return details.abci as AbciSide | undefined;
}

/** The port the app serves ABCI on. */
const ABCI_PORT = 'abci';
/** The app's own listeners (REST, gRPC): they move to the app node; everything else is CometBFT's. */
const APP_PORTS = ['api', 'grpc'] as const;
const APP_TOML = 'home/config/app.toml';
const CONFIG_TOML = 'home/config/config.toml';
const GENESIS = 'home/config/genesis.json';
/** The env var each simd wrapper module serves net/http/pprof at (harness/nodes/simd/sdk-<line>/pprof.go). */
const PPROF_ENV = 'CHAINSOAK_PPROF_LADDR';

/**
 * The in-process flavor with the ABCI link: the `abci` option, an `abci` port on every node, and the
 * pairs prepared as above. Nodes without `abci` are the flavor's own, unchanged.
 */
export function withAbciLink(inProcess: NodeFlavor, options: z.ZodObject): NodeFlavor {
  const prepareAll = (nodes: PrepareContext[]) => (inProcess.prepareNetwork ? inProcess.prepareNetwork(nodes) : Promise.all(nodes.map((n) => inProcess.prepare(n))));
  return {
    ...inProcess,
    optionsSchema: options.extend({ abci: abciOption.optional() }),
    portNames: [...inProcess.portNames, ABCI_PORT],
    prepare: (ctx) => prepareWithAbci([ctx], prepareAll).then((plans) => plans[0]!),
    prepareNetwork: (nodes) => prepareWithAbci(nodes, prepareAll),
    async isReady(endpoints, signal, details) {
      // The app is ready once its ABCI socket accepts a connection (it opens last, after REST and gRPC).
      if (details && abciSideOf(details)?.side === 'app') return accepts(endpoints.abci!, signal);
      return inProcess.isReady(endpoints, signal, details);
    },
    // The app has no Prometheus listener (that is CometBFT's): its MemStats come from pprof.
    readMemStats: (endpoints, signal) => (endpoints.abci || !inProcess.readMemStats ? readMemStatsFromPprof(endpoints, signal) : inProcess.readMemStats(endpoints, signal)),
  };
}

async function prepareWithAbci(nodes: PrepareContext[], prepareAll: (nodes: PrepareContext[]) => Promise<LaunchPlan[]>): Promise<LaunchPlan[]> {
  const abci = nodes.map((n) => n.options.abci as AbciOption | undefined);
  const pairs = pairsOf(nodes, abci);
  // The in-process flavor prepares every node but the apps, and never sees the option.
  const others = nodes.flatMap((n, i) => (abci[i] === 'app' ? [] : [{ ...n, options: withoutAbci(n.options) }]));
  const prepared = await prepareAll(others);
  const plans = new Map(others.map((n, i) => [n.site.name, prepared[i]!]));
  for (const { app, consensus } of pairs) {
    const [appPlan, consensusPlan] = await splitPair(app, consensus, plans.get(consensus.site.name)!);
    plans.set(app.site.name, appPlan);
    plans.set(consensus.site.name, consensusPlan);
  }
  return nodes.map((n) => plans.get(n.site.name)!);
}

function withoutAbci(options: Record<string, unknown>): Record<string, unknown> {
  const { abci: _, ...rest } = options;
  return rest;
}

/** Each consensus node with the app node it names: one each, the app first (it is started first). */
function pairsOf(nodes: readonly PrepareContext[], abci: ReadonlyArray<AbciOption | undefined>): Array<{ app: PrepareContext; consensus: PrepareContext }> {
  const names = nodes.map((n) => n.site.name);
  const pairs = nodes.flatMap((consensus, i) => {
    const option = abci[i];
    if (option === undefined || option === 'app') return [];
    const j = names.indexOf(option.app);
    if (j < 0 || abci[j] !== 'app') throw new UsageError(`${names[i]}: abci.app names '${option.app}', which is not a simd node with abci: 'app' (${names.filter((_, k) => abci[k] === 'app').join(', ') || 'there is none'})`);
    if (j > i) throw new UsageError(`${names[i]}: its app node ${option.app} must come before it in nodes (the app is started first: CometBFT connects to it at start)`);
    return [{ app: nodes[j]!, consensus }];
  });
  nodes.forEach((n, j) => {
    if (abci[j] !== 'app') return;
    const mine = pairs.filter((p) => p.app === n).map((p) => p.consensus.site.name);
    if (mine.length !== 1) throw new UsageError(`${n.site.name}: abci: 'app' needs exactly one node with abci: { app: '${n.site.name}' }, found ${mine.length ? mine.join(', ') : 'none'}`);
  });
  return pairs;
}

/**
 * Turn the consensus node's in-process plan into two: CometBFT alone on the consensus node, the app alone
 * on the app node (a copy of the home, with the app's listeners moved to the app node's ports).
 */
async function splitPair(app: PrepareContext, consensus: PrepareContext, inProcess: LaunchPlan): Promise<[LaunchPlan, LaunchPlan]> {
  const appSite = app.site;
  const home = consensus.site;
  await appSite.files.importTree('home', await home.files.exportTree('home'));
  // The app's REST and gRPC listeners: wherever the in-process flavor wrote the consensus node's address for
  // them (app.toml, the command line), the app node's instead.
  const moved = APP_PORTS.map((port) => [home.listen(port), appSite.listen(port)] as const);
  const move = (text: string) => moved.reduce((t, [from, to]) => t.split(from).join(to), text);
  await appSite.files.write(APP_TOML, move(await appSite.files.read(APP_TOML)));
  // The app's tx and CometBFT services query CometBFT's RPC at config.toml rpc.laddr: the consensus node's.
  await appSite.files.write(CONFIG_TOML, setTomlKeys(await appSite.files.read(CONFIG_TOML), { 'rpc.laddr': `tcp://${app.dial(home, 'rpc')}` }, `${appSite.name}: config.toml`));

  // The SDK's genesis.json (AppGenesis) is not CometBFT's: in process the SDK converts it on the fly.
  await home.files.write(GENESIS, cometGenesis(await home.files.read(GENESIS), home.name));

  const cometbft = await cometbftVersionOf(home);
  const abciAddress = `tcp://${consensus.dial(appSite, ABCI_PORT)}`;
  const appEndpoints: Record<string, EndpointTemplate> = { pprof: { port: 'pprof', scheme: 'http' }, [ABCI_PORT]: { port: ABCI_PORT, scheme: 'tcp' } };
  const consensusEndpoints: Record<string, EndpointTemplate> = {};
  for (const [name, template] of Object.entries(inProcess.endpoints)) {
    if ((APP_PORTS as readonly string[]).includes(template.port)) appEndpoints[name] = template;
    else consensusEndpoints[name] = template;
  }
  const appPlan: LaunchPlan = {
    args: [...inProcess.args.map((a) => (a === home.home ? appSite.home : move(a))), '--with-comet=false', '--transport', 'socket', '--address', `tcp://${appSite.listen(ABCI_PORT)}`],
    env: { ...inProcess.env, [PPROF_ENV]: appSite.listen('pprof') },
    endpoints: appEndpoints,
    details: { ...inProcess.details, abci: { side: 'app', consensus: home.name } satisfies AbciSide },
  };
  const consensusPlan: LaunchPlan = {
    ...inProcess,
    program: { name: 'cometbft', binary: await ensureBinary('cometbft', cometbftBuild, cometbft, consensus.goExperiment ? { goExperiment: consensus.goExperiment } : {}) },
    args: ['start', '--home', home.home, '--proxy_app', abciAddress],
    endpoints: consensusEndpoints,
    details: { ...inProcess.details, abci: { side: 'consensus', app: appSite.name, cometbft } satisfies AbciSide },
    // Before every start (a restart fault too): the app must be there, or CometBFT exits at once.
    beforeStart: async (context) => {
      await inProcess.beforeStart?.(context);
      const node = context.network.node(appSite.name);
      const at = node?.endpoints.abci;
      while (!(at && node.isRunning() && (await accepts(at, context.signal)))) {
        if (context.signal.aborted) throw new Error(`its app node ${appSite.name} does not serve ABCI${node?.isRunning() ? ` at ${at}` : ' (not running)'}`);
        await sleep(250);
      }
    },
  };
  return [appPlan, consensusPlan];
}

/**
 * An SDK v0.50 genesis (x/genutil AppGenesis: `initial_height` a number, the consensus part under
 * `consensus`) as CometBFT's GenesisDoc, which a CometBFT process reads: AppGenesis.ToGenesisDoc, in JSON.
 * The consensus part is already in CometBFT's JSON (the SDK writes it with cmtjson); `app_hash`, base64 in
 * AppGenesis, is hex in a GenesisDoc.
 */
export function cometGenesis(appGenesis: string, node: string): string {
  const g = JSON.parse(appGenesis) as { genesis_time: string; chain_id: string; initial_height: number | string; app_hash: string | null; app_state?: unknown; consensus?: { validators?: unknown[]; params?: unknown } };
  // Already a GenesisDoc (an older SDK line): CometBFT reads it as it is.
  if (g.consensus === undefined) return appGenesis;
  const doc = {
    genesis_time: g.genesis_time,
    chain_id: g.chain_id,
    initial_height: String(g.initial_height),
    ...(g.consensus.params !== undefined ? { consensus_params: g.consensus.params } : {}),
    validators: g.consensus.validators ?? [],
    app_hash: g.app_hash ? Buffer.from(g.app_hash, 'base64').toString('hex').toUpperCase() : '',
    ...(g.app_state !== undefined ? { app_state: g.app_state } : {}),
  };
  if (!doc.chain_id) throw new UsageError(`${node}: config/genesis.json has no chain_id`);
  return JSON.stringify(doc, null, 2) + '\n';
}

/** The CometBFT version the simd binary was built with: the one its app speaks ABCI with. */
async function cometbftVersionOf(site: NodeSite): Promise<string> {
  const { stdout, stderr } = await site.exec(['version', '--long']);
  const m = /github\.com\/cometbft\/cometbft@(v[^\s]+)(?:\s*=>\s*github\.com\/cometbft\/cometbft@(v[^\s]+))?/.exec(stdout + stderr);
  if (!m) throw new UsageError(`${site.name}: \`simd version --long\` names no github.com/cometbft/cometbft dependency, so the CometBFT to run against its app is unknown`);
  return m[2] ?? m[1]!;
}

/** Whether host:port (or tcp://host:port) accepts a TCP connection now. */
function accepts(address: string, signal: AbortSignal): Promise<boolean> {
  const hostPort = address.replace(/^tcp:\/\//, '');
  const colon = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const socket = connect({ host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) });
    const done = (ok: boolean) => {
      socket.destroy();
      signal.removeEventListener('abort', abort);
      resolve(ok);
    };
    const abort = () => done(false);
    signal.addEventListener('abort', abort, { once: true });
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
