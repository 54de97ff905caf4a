/**
 * The external runtime: nodes someone else started (the compose devnet, a pod behind a port-forward, a
 * remote testnet), given by their URLs. chainsoak attaches to them: it neither builds, prepares, starts
 * nor stops them, and owns none of their files. Profiles, trend, patterns, budgets and the report are the
 * same as for nodes chainsoak runs; a figure it cannot read (the RSS of a remote process) is absent and
 * its budget is skipped with the reason.
 *
 * Endpoints come from a nodes file (`--nodes nodes.json`) or from the scenario (`nodes[].endpoints`):
 *
 *   { "nodes": [ { "name": "geth", "flavor": "geth", "endpoints": { "http": "http://127.0.0.1:8545",
 *     "ws": "ws://127.0.0.1:8546", "pprof": "http://127.0.0.1:6060" }, "p2p": "geth:30303" } ] }
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { InfraError, UsageError } from '../errors.ts';
import type { NodeEndpoints } from '../nodes/flavor.ts';
import { LINKS_NODE } from '../faults/links.ts';
import { tailOfFile } from './logs.ts';
import { ProcessRuntime } from './process.ts';
import type { AttachRequest, ExitInfo, NodeLaunch, NodeRuntime, NodeSite, PlaceRequest, RunningNode } from './runtime.ts';

const url = z.string().regex(/^(https?|wss?):\/\/[^\s/]+(\/\S*)?$/, 'a URL such as http://127.0.0.1:6060');

/** Endpoints of one external node: pprof is required (it is how chainsoak sees the Go heap). */
export const externalEndpointsSchema = z.strictObject({
  pprof: url,
  http: url.optional(),
  ws: url.optional(),
  rpc: url.optional(),
  prometheus: url.optional(),
});

const nodesFileSchema = z.strictObject({
  nodes: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        /** The flavor it is: its readiness check, MemStats and chain figures are the flavor's. */
        flavor: z.string().min(1),
        version: z.string().min(1).optional(),
        endpoints: externalEndpointsSchema,
        /** host:port other nodes reach its p2p port at, for peer-churn workloads. */
        p2p: z.string().regex(/^[^\s:]+:\d+$/).optional(),
      }),
    )
    .min(1),
});

export type ExternalNode = z.output<typeof nodesFileSchema>['nodes'][number];

/** Read and check a nodes file; every mistake is one line naming the file and the field. */
export function readNodesFile(file: string): ExternalNode[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new UsageError(`--nodes ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message.split('\n')[0]}`);
  }
  const parsed = nodesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`--nodes ${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const n of parsed.data.nodes) {
    if (seen.has(n.name)) throw new UsageError(`--nodes ${file}: duplicate node name "${n.name}"`);
    seen.add(n.name);
  }
  return parsed.data.nodes;
}

class ExternalNodeHandle implements RunningNode {
  readonly endpoints: NodeEndpoints;
  readonly details = {};
  readonly files = undefined;
  readonly logPath: string;
  private answering = true;

  constructor(
    readonly name: string,
    private readonly spec: ExternalNode,
    logPath: string,
  ) {
    this.endpoints = { ...spec.endpoints };
    this.logPath = logPath;
  }

  peerAddress(port: string): string {
    if (port === 'p2p' && this.spec.p2p) return this.spec.p2p;
    throw new UsageError(`${this.name}: the nodes file gives no '${port}' address (field "p2p") for this external node`);
  }

  pid(): undefined {
    return undefined;
  }

  isRunning(): boolean {
    return this.answering;
  }

  async rssBytes(): Promise<undefined> {
    return undefined;
  }

  async scanLog(offset: number): Promise<number> {
    return offset;
  }

  logTail(): string {
    return tailOfFile(this.logPath, 20);
  }

  onExit(_listener: (info: ExitInfo) => void): void {
    // chainsoak does not watch a process it did not start; an endpoint that stops answering fails the probe that needs it.
  }

  private noControl(what: string): Promise<never> {
    return Promise.reject(new UsageError(`${this.name}: cannot ${what} a node on the external runtime (chainsoak does not control it)`));
  }

  stop(): Promise<void> {
    return this.noControl('stop');
  }
  kill(): Promise<void> {
    return this.noControl('kill');
  }
  pause(): Promise<void> {
    return this.noControl('pause');
  }
  resume(): Promise<void> {
    return this.noControl('resume');
  }
  restart(): Promise<void> {
    return this.noControl('restart');
  }
}

/** How long an external node may take to answer: it is already running, so an unreachable URL fails fast. */
const ATTACH_TIMEOUT_MS = 20_000;

export class ExternalRuntime implements NodeRuntime {
  readonly kind = 'external' as const;
  /** chainsoak's own helper programs (Toxiproxy for link faults) run here, as local processes. */
  private readonly local = new ProcessRuntime();

  constructor(private readonly nodes: readonly ExternalNode[]) {}

  place(request: PlaceRequest): Promise<NodeSite> {
    if (request.name === LINKS_NODE) return this.local.place(request);
    return Promise.reject(new UsageError(`${request.name}: the external runtime attaches to running nodes and prepares none`));
  }

  start(site: NodeSite, launch: NodeLaunch): Promise<RunningNode> {
    if (launch.name === LINKS_NODE) return this.local.start(site, launch);
    return Promise.reject(new UsageError(`${launch.name}: the external runtime starts no node`));
  }

  create(_site: NodeSite, launch: NodeLaunch): RunningNode {
    throw new UsageError(`${launch.name}: the external runtime starts no node (start: 'fault' needs a runtime that controls nodes)`);
  }

  async attach(request: AttachRequest): Promise<RunningNode> {
    const spec = this.nodes.find((n) => n.name === request.name);
    if (!spec) {
      throw new UsageError(`${request.name}: no external node of that name (the nodes given are ${this.nodes.map((n) => n.name).join(', ') || 'none'})`);
    }
    if (spec.flavor !== request.flavor) throw new UsageError(`${request.name}: the scenario says ${request.flavor}, the nodes file says ${spec.flavor}`);
    const node = new ExternalNodeHandle(request.name, spec, request.logPath);
    // The report links every node's log: say where this one's really is.
    await mkdir(path.dirname(request.logPath), { recursive: true });
    await writeFile(request.logPath, `${request.name}: an external ${spec.flavor} node (${spec.endpoints.pprof}); chainsoak does not run it, its log is where it runs (e.g. \`docker-compose logs ${request.name}\`)\n`);
    const timeoutMs = Math.min(request.readyTimeoutMs, ATTACH_TIMEOUT_MS);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await request.isReady(node.endpoints, AbortSignal.timeout(3000), {}).catch(() => false)) return node;
      await sleep(500);
    }
    const where = Object.entries(spec.endpoints).map(([k, v]) => `${k} ${v}`).join(', ');
    throw new InfraError(`${request.name}: the external ${spec.flavor} node did not answer within ${Math.round(timeoutMs / 1000)} s (${where})`);
  }

  async shutdown(): Promise<void> {
    // The nodes are not ours; only the helpers are.
    await this.local.shutdown();
  }
}
