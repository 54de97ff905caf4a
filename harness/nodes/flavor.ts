import type { z } from 'zod';
import type { BoundedFrames } from '../analysis/attribution.ts';
import type { MemStats } from '../probes/memstats.ts';
import type { NetworkView, NodeSite } from '../runtimes/runtime.ts';

/**
 * A node flavor knows one kind of node: how to build it from the Go module proxy, how to lay out its
 * home directory and command line, and how to tell it is ready. Everything else (processes, probes,
 * analysis, reports) is shared, so adding a flavor means adding one file and one line in registry.ts.
 */

/** How `go install` builds this flavor's binary. */
export interface GoBuildRecipe {
  /** Go module path, e.g. github.com/ethereum/go-ethereum */
  module: string;
  /** Package path inside the module, e.g. cmd/geth; empty when the module root is the command. */
  cmdPath: string;
  /** Name of the binary go install produces, e.g. geth */
  binary: string;
  /** Extra -ldflags some versions need with a new Go toolchain (old geth: -checklinkname=0). */
  ldflags?(version: string): string | undefined;
  /**
   * Absolute path of a Go module that ships with chainsoak (the leaky-node fixture): it is built from that
   * directory with `go build` instead of fetched from the module proxy, and its versions are content
   * hashes of the source (install.ts sourceVersion), so an edited source is built again.
   */
  localDir?: string;
  /**
   * A local build's version reads `<versionLabel>-src-<hash>` instead of `src-<hash>`: which of a flavor's
   * several local modules it is (simd: `v0.50`, one wrapper module per SDK line).
   */
  versionLabel?: string;
}

/** URLs the harness reaches a started node at. pprof is mandatory: it is how chainsoak sees the Go heap. */
export interface NodeEndpoints {
  pprof: string;
  http?: string;
  ws?: string;
  [name: string]: string | undefined;
}

/** An endpoint as a flavor names it: one of its ports, a scheme and a path; the runtime makes the URL. */
export interface EndpointTemplate {
  port: string;
  /** 'tcp' resolves to a bare host:port (a p2p address). */
  scheme: 'http' | 'ws' | 'tcp';
  path?: string;
}

/** What a flavor tells about a node beyond its command line (role, app, state-sync joiner...). */
export type NodeDetails = Readonly<Record<string, unknown>>;

/** What the runtime needs to start a node: the flavor turned options and the node's site into a command line. */
export interface LaunchPlan {
  args: string[];
  /**
   * A program to run instead of the spec's binary (CometBFT's e2e app node for `snapshotInterval`): a
   * host binary, which a container runtime puts into an image of its own.
   */
  program?: { name: string; binary: string };
  /**
   * Called by the runtime before every start of the node (setup, a `start`/`restart` fault, a workload's
   * restart()): settings that must come from the running network at that moment (a state-sync trust point).
   */
  beforeStart?(context: { signal: AbortSignal; network: NetworkView }): Promise<void>;
  /** Blocks between the app's state snapshots, where the node takes them (for pre-snapshot samples). */
  snapshotInterval?: number;
  env?: Record<string, string>;
  endpoints: Record<string, EndpointTemplate>;
  details?: NodeDetails;
}

export interface PrepareContext {
  /** Where the node runs: its paths, addresses, files and commands, given by the runtime. */
  site: NodeSite;
  /** The spec's version (`v1.17.10`, or `custom` for a developer's binary). */
  version: string;
  /** Flavor-specific options from the scenario, already validated against optionsSchema. */
  options: Record<string, unknown>;
  /**
   * The address this node dials another node's port at: the other's own (`to.peer(port)`), or a link proxy
   * in between when the scenario has network faults.
   */
  dial(to: NodeSite, port: string): string;
  /** GOEXPERIMENT the node's binary was built with: a program the flavor builds itself gets it too. */
  goExperiment?: string;
}

export interface NodeFlavor {
  readonly name: string;
  /** Strict schema of the flavor's scenario options (`nodes[].options`); unknown keys are errors. */
  readonly optionsSchema: z.ZodType<Record<string, unknown>>;
  /** Version used when a scenario or flag says only the flavor name. Pinned here, in one place. */
  readonly defaultVersion: string;
  /**
   * The oldest release chainsoak runs (the first row of the flavor's version table): an older tag is a
   * usage error when the spec is parsed, before anything is built. A developer's binary is not checked.
   */
  readonly oldestVersion?: string;
  /**
   * For a flavor whose versions are not release tags (simd: the SDK lines `v0.50`, `v0.53`): the version
   * a spec names after '@', in its canonical form, or a UsageError listing the ones it knows. Without it a
   * version is a release tag.
   */
  parseVersion?(text: string): string;
  /** How `build` is built, at the flavor's default version (simd: the default SDK line's module). */
  readonly build: GoBuildRecipe;
  /**
   * The recipe and the cache version of one of the flavor's versions, when they are not `build` at that
   * version (simd: one wrapper module per SDK line). install.ts flavorBuild() applies the default.
   */
  buildOf?(version: string): { recipe: GoBuildRecipe; version: string };
  /** Ports the node opens; the runtime decides where each is bound and reached. */
  readonly portNames: readonly string[];
  /**
   * Memory the node holds per recent block, by design, up to this many blocks (caches of the last N
   * blocks): until the chain is that high, a rising heap floor may be those caches filling, so the trend
   * calls no leak before it (trend.ts judgeHeapTrend). Needs `sampleChain` to report `height`. Only for
   * caches whose allocating frames are not known: known ones belong in boundedFrames, which keeps their
   * growth out of the evidence without hiding a leak elsewhere while they fill.
   */
  fillsUntilBlock?(version: string): { blocks: number; what: string } | undefined;
  /**
   * Frames of the node's own structures bounded by construction (caches of a fixed size): growth under
   * them is a cache filling, never a leak's evidence (analysis/attribution.ts; libraries' are listed there).
   */
  boundedFrames?(version: string): BoundedFrames;
  /** Initialise the node's home through its site and return the command line. */
  prepare(ctx: PrepareContext): Promise<LaunchPlan>;
  /**
   * Prepare every node of this flavor in a scenario at once, when they form one network (shared genesis,
   * validator keys, peers). Plans come back in the order of `nodes`. Without it, prepare() runs per node.
   */
  prepareNetwork?(nodes: PrepareContext[]): Promise<LaunchPlan[]>;
  /** One readiness check; the runtime calls it until it returns true or a timeout passes. */
  isReady(endpoints: NodeEndpoints, signal: AbortSignal, details?: NodeDetails): Promise<boolean>;
  /** A cheaper MemStats source than pprof's heap?debug=1, where the node has one. */
  readMemStats?(endpoints: NodeEndpoints, signal?: AbortSignal): Promise<MemStats>;
  /** Call onBlock with each new block's height until the connection or the signal ends. */
  watchBlocks?(endpoints: NodeEndpoints, onBlock: (height: number) => void, signal: AbortSignal): Promise<void>;
  /** Chain figures sampled beside memory (height, mempool size, peers...), where the node exposes them. */
  readChainStats?(endpoints: NodeEndpoints, signal?: AbortSignal): Promise<Record<string, number>>;
}
