/**
 * Network faults through Toxiproxy, on whatever runtime the nodes run on. When a scenario has network
 * faults, Toxiproxy runs as one more program of the run, placed and started by the same runtime as the
 * nodes (a process on 127.0.0.1, or a container on the run's network), and every link a fault may touch
 * goes through a proxy of its own:
 *
 *  - peer links: one proxy per ordered pair of nodes of one flavor (a dials b), so the links of one node
 *    are exactly the proxies it dials through and those dialed to reach it; nodes are configured to dial
 *    each other at the proxies' addresses (PrepareContext.dial);
 *  - client links: one proxy per client port of each node (RPC, websocket; never the pprof or metrics
 *    ports: the harness keeps measuring a node whatever its links suffer), used for the node's endpoints;
 *  - ABCI links: one proxy per app node whose `abci` port another node dials (CometBFT in front of an
 *    out-of-process app, nodes/simd-abci.ts), made when the dialer is prepared; the link of both nodes.
 *
 * A fault adds toxics to the proxies of its node's links (latency, bandwidth, timeout, reset_peer, slicer,
 * slow_close), or disables them ('down'), and takes them away after `for` (or at the end of the phase).
 */
import type { EndpointTemplate, LaunchPlan } from '../nodes/flavor.ts';
import type { NetworkView, NodeRuntime, NodeSite, RunningNode } from '../runtimes/runtime.ts';
import { ensureToxiproxy, toxicFor, ToxiproxyAdmin, TOXIPROXY_CACHE_NAME, TOXIPROXY_VERSION, type NetworkFaultDecl } from './toxiproxy/index.ts';

/** The name of Toxiproxy's place in the run: reserved, a scenario's node may not take it. */
export const LINKS_NODE = 'toxiproxy';

interface Route {
  proxy: string;
  /** The address the dialer (a node, or the harness) uses: the proxy's. */
  address: string;
  /** host:port the proxy forwards to: the node's own port. */
  upstream: string;
  /** The nodes whose links this is (a peer link belongs to both ends). */
  nodes: readonly string[];
  kind: LinkKind;
}

type LinkKind = 'peers' | 'clients' | 'abci';

export interface LinkNodes {
  /** Each node's site, by name, and the flavor group it is in (peers are linked within a group). */
  sites: ReadonlyArray<{ site: NodeSite; group: string; portNames: readonly string[] }>;
}

export class Links {
  private readonly routes = new Map<string, Route>();
  private slotsUsed = 0;
  private admin: ToxiproxyAdmin | undefined;
  private node: RunningNode | undefined;
  private faults = 0;

  private constructor(
    private readonly runtime: NodeRuntime,
    private readonly site: NodeSite,
    private readonly slots: number,
  ) {}

  /**
   * Place Toxiproxy on the runtime with enough proxy ports for every peer pair and every client port, and
   * route each ordered pair of peers through a proxy of its own. Nothing runs yet: the nodes are prepared
   * with these routes, then start() runs Toxiproxy and creates the proxies.
   */
  static async place(runtime: NodeRuntime, dir: string, nodes: LinkNodes, signal?: AbortSignal, extraSlots = 0): Promise<Links> {
    const peerPairs = nodes.sites.flatMap((a) => nodes.sites.filter((b) => b !== a && b.group === a.group && b.portNames.includes('p2p')).map((b) => [a, b] as const));
    const slots = peerPairs.length + nodes.sites.reduce((n, s) => n + s.portNames.length, 0) + extraSlots;
    const binary = await ensureToxiproxy(signal ? { signal } : {});
    const portNames = ['admin', ...Array.from({ length: slots }, (_, k) => `p${k}`)];
    const site = await runtime.place({ name: LINKS_NODE, flavor: TOXIPROXY_CACHE_NAME, version: TOXIPROXY_VERSION, artifact: { binary }, portNames, dir });
    const links = new Links(runtime, site, slots);
    for (const [a, b] of peerPairs) links.route('peers', `${a.site.name}>${b.site.name}`, b.site.peer('p2p'), [a.site.name, b.site.name]);
    return links;
  }

  private route(kind: LinkKind, key: string, upstream: string, nodes: readonly string[]): Route {
    if (this.slotsUsed >= this.slots) throw new Error(`links: more routes than the ${this.slots} proxy ports placed`);
    const slot = `p${this.slotsUsed++}`;
    const route: Route = { proxy: `${kind}-${key.replace(/[^A-Za-z0-9_.-]/g, '_')}`, address: slot, upstream, nodes, kind };
    this.routes.set(`${kind}:${key}`, route);
    return route;
  }

  /**
   * The address node `from` dials `to`'s port at: through its own proxy for p2p, through the app's ABCI
   * proxy for 'abci' (made on the first dial: every node's ports have a slot, and an abci port is never
   * a client route), else directly.
   */
  dial(from: string, to: NodeSite, port: string): string {
    let route = port === 'p2p' ? this.routes.get(`peers:${from}>${to.name}`) : undefined;
    if (port === 'abci') route = this.routes.get(`abci:${to.name}`) ?? this.route('abci', to.name, to.peer(port), [to.name, from]);
    return route ? this.site.peer(route.address) : to.peer(port);
  }

  /**
   * Route a node's client ports (those its endpoints use, but not pprof's or metrics': the harness must
   * see the node whatever its links suffer) through proxies; returns the client address per port.
   */
  routeClients(site: NodeSite, plan: LaunchPlan): Record<string, string> {
    const templates = Object.entries(plan.endpoints) as Array<[string, EndpointTemplate]>;
    const measuring = new Set(templates.filter(([name]) => name === 'pprof' || name === 'prometheus').map(([, t]) => t.port));
    const ports = new Set(templates.filter(([, t]) => t.scheme !== 'tcp' && !measuring.has(t.port)).map(([, t]) => t.port));
    const out: Record<string, string> = {};
    for (const port of ports) out[port] = this.route('clients', `${site.name}:${port}`, site.peer(port), [site.name]).address;
    return out;
  }

  /**
   * Route the harness's connections to an external node (its endpoint URLs, but not pprof's or metrics':
   * the harness must see the node whatever its links suffer); returns a function giving the proxied
   * endpoints once Toxiproxy runs.
   */
  routeExternal(node: string, endpoints: Readonly<Record<string, string | undefined>>): () => Record<string, string> {
    const slots = new Map<string, string>();
    const routed: Array<{ name: string; value: string; url: URL; slot: string }> = [];
    for (const [name, value] of Object.entries(endpoints)) {
      if (!value || name === 'pprof' || name === 'prometheus') continue;
      const url = new URL(value);
      const upstream = `${url.hostname}:${url.port || (/^(https|wss):$/.test(url.protocol) ? '443' : '80')}`;
      let slot = slots.get(upstream);
      if (!slot) slots.set(upstream, (slot = this.route('clients', `${node}:${upstream.split(':')[1]}`, upstream, [node]).address));
      routed.push({ name, value, url, slot });
    }
    return () =>
      Object.fromEntries(
        routed.map(({ name, value, url, slot }) => [name, value.replace(`//${url.host}`, `//${this.clientAddress(slot)}`)]),
      );
  }

  /** The harness-side address of a client route's slot (after start). */
  clientAddress(slot: string): string {
    const address = this.node?.endpoints[slot];
    if (!address) throw new Error(`links: Toxiproxy is not running (slot ${slot})`);
    return address;
  }

  /** Run Toxiproxy and create every proxy. */
  async start(network: NetworkView): Promise<RunningNode> {
    const admin = this.site.listen('admin');
    const colon = admin.lastIndexOf(':');
    const endpoints: Record<string, EndpointTemplate> = { admin: { port: 'admin', scheme: 'http' } };
    for (let k = 0; k < this.slots; k++) endpoints[`p${k}`] = { port: `p${k}`, scheme: 'tcp' };
    this.node = await this.runtime.start(this.site, {
      name: LINKS_NODE,
      plan: { args: ['-host', admin.slice(0, colon), '-port', admin.slice(colon + 1)], endpoints },
      isReady: async (e, signal) => (await fetch(`${e.admin}/version`, { signal })).ok,
      readyTimeoutMs: 30_000,
      network,
    });
    this.admin = new ToxiproxyAdmin(this.node.endpoints.admin!, this.site.listen('admin').startsWith('0.0.0.0:'));
    for (const route of this.routes.values()) await this.admin.createProxy({ name: route.proxy, listen: this.site.listen(route.address), upstream: route.upstream });
    return this.node;
  }

  /** The proxies of a node's links of one kind. */
  private proxiesOf(node: string, kind: LinkKind | 'all'): Route[] {
    return [...this.routes.values()].filter((r) => r.nodes.includes(node) && (kind === 'all' || r.kind === kind));
  }

  /** Apply a network fault to its node's links; resolves with what undoes it. */
  async apply(fault: NetworkFaultDecl): Promise<{ proxies: number; heal: () => Promise<void> }> {
    const admin = this.admin;
    if (!admin) throw new Error('links: Toxiproxy is not running');
    const routes = this.proxiesOf(fault.link.node, fault.link.of);
    if (fault.action === 'down') {
      for (const r of routes) await admin.setEnabled(r.proxy, false);
      return { proxies: routes.length, heal: async () => {
        for (const r of routes) await admin.setEnabled(r.proxy, true);
      } };
    }
    const toxics = toxicFor(fault, `f${++this.faults}`);
    for (const r of routes) for (const t of toxics) await admin.addToxic(r.proxy, t);
    return {
      proxies: routes.length,
      heal: async () => {
        for (const r of routes) for (const t of toxics) await admin.removeToxic(r.proxy, t.name);
      },
    };
  }

  /** The routes, for the report: which proxy carries which link. */
  describe(): Array<{ proxy: string; kind: string; nodes: readonly string[]; upstream: string }> {
    return [...this.routes.values()].map((r) => ({ proxy: r.proxy, kind: r.kind, nodes: r.nodes, upstream: r.upstream }));
  }
}
