/**
 * The scenario manifest: nodes → warm-up → phases of workloads → cool-down → budgets.
 * Strict everywhere: an unknown key is an error, so a typo never silently turns a budget off.
 */
import { z } from 'zod';
import { BUDGETS, budgetsSchema } from '../analysis/budget-table.ts';
import { MIN_TREND_POINTS } from '../analysis/trend.ts';
import { anyFaultSchema } from '../faults/timeline.ts';
import { externalEndpointsSchema } from '../runtimes/external.ts';
import { eventTriggers } from '../probes/sampler.ts';
import { workloadEntrySchema } from '../workloads/schemas.ts';
import { duration, regexSource, seed, size, waitDuration } from './fields.ts';
import type { Duration, Size } from './units.ts';

const name = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,40}$/, 'expected a name of letters, digits, - and _');

const nodeDecl = z.strictObject({
  /** Node name in reports; with count > 1 a number is appended (geth0, geth1...). */
  name,
  /** 'geth', 'geth@v1.17.10' or 'geth@/path/to/your/build/geth'. */
  node: z.string().min(1),
  count: z.number().int().min(1).max(16).default(1),
  /** Flavor options, checked against the flavor's own schema. */
  options: z.record(z.string(), z.unknown()).default({}),
  /** How long the node may take to answer after start. */
  readyTimeout: waitDuration(1_000).default(60_000),
  /** 'setup' (default) starts the node with the network; 'fault' leaves it down until a `start` fault. */
  start: z.enum(['setup', 'fault']).default('setup'),
  /**
   * runtime 'container': the container's memory limit ('512MB'; no swap). Going over it is an OOM kill,
   * reported as a failed `noOomKill` budget with the memory and time it happened at.
   */
  memLimit: size.optional(),
  /** runtime 'container': CPUs the container may use (1.5 = one and a half cores). */
  cpus: z.number().positive().max(256).optional(),
  /** runtime 'container': an image to run instead of one built from the spec's binary ('ethereum/client-go:v1.17.10'). */
  image: z.string().regex(/^[a-z0-9][a-z0-9._/:@-]*$/, 'an image reference such as ethereum/client-go:v1.17.10').optional(),
  /** runtime 'external': where the running node answers (pprof required), instead of a nodes file. */
  endpoints: externalEndpointsSchema.optional(),
  /** runtime 'external': host:port other nodes reach its p2p port at (peer-churn workloads). */
  p2p: z.string().regex(/^[^\s:]+:\d+$/, 'host:port').optional(),
  /**
   * Build the node with GOEXPERIMENT=goroutineleakprofile (Go 1.26+, its own cache entry) and take its
   * goroutine leak profile at every snapshot: goroutines a GC cycle proved can never run again. Only for a
   * node chainsoak builds (a release or the fixture), not a binary path, an image or an external node.
   */
  provenLeaks: z.boolean().optional(),
});

const phase = z.strictObject({
  name,
  duration: waitDuration(1),
  workloads: z.array(workloadEntrySchema).default([]),
  /**
   * Faults injected at set times in this phase: on a node (kill, stop, start, restart, pause, resume;
   * partition, heal in containers) or on its links through Toxiproxy (latency, bandwidth, timeout,
   * reset_peer, slicer, slow_close, down).
   */
  faults: z.array(anyFaultSchema).default([]),
  /**
   * Split the phase into this many equal cycles: the workloads run once per cycle, and after each one
   * every node gets a forced-GC sample (heap profile, MemStats, goroutines, RSS) for the trend verdict.
   */
  cycles: z.number().int().min(1).max(500).default(1),
});

/** Budgets: one row each in analysis/budget-table.ts (what it reads, how it judges). */
const budgets = budgetsSchema();

export const scenarioSchema = z.strictObject({
  name: name.optional(),
  description: z.string().optional(),
  /** Labels to pick scenarios by: `chainsoak run scenarios/ --tag nightly` runs those with any of the tags. */
  tags: z.array(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,40}$/, 'expected a tag of lower-case letters, digits, - and _')).default([]),
  seed: seed.default(1),
  nodes: z.array(nodeDecl).min(1),
  /**
   * Where the nodes run: 'process' (local child processes, the default), 'container' (Docker), 'external'
   * (nodes already running, by URL: `nodes[].endpoints` or `--nodes nodes.json`).
   */
  runtime: z.enum(['process', 'container', 'external']).default('process'),
  warmup: duration.default(15_000),
  phases: z.array(phase).min(1),
  cooldown: duration.default(5_000),
  /** Release the workloads' clients after the final snapshot, wait this long, and snapshot again. */
  afterRelease: duration.optional(),
  /** At least 100 ms: faster sampling measures the sampler more than the node. */
  sampleInterval: waitDuration(100).default(2_000),
  /** Also sample right after each block ('block', at most every 250 ms per node), on the block before an
   * app snapshot ('pre-snapshot'), and when a node reaches a new peak of peers ('peer-peak'). */
  sampleOn: z.array(z.enum(eventTriggers)).default([]),
  budgets,
  /** Goroutine stacks to leave out of the goroutine diff (regular expressions on frame names). */
  goroutineIgnore: z.array(regexSource).default([]),
  /**
   * Heap profile sampling: one sample per this many allocated bytes (Go's default 524288). Smaller is
   * finer attribution and more overhead; nodes get GODEBUG=memprofilerate=N.
   */
  memProfileRate: z.number().int().min(1).max(64 << 20).optional(),
}).superRefine((s, ctx) => {
  // Trend budgets need a trend: the 'before' snapshot plus at least 4 forced-GC cycle samples.
  const cycles = s.phases.reduce((n, p) => n + (p.cycles > 1 ? p.cycles : 0), 0);
  for (const key of BUDGETS.filter((b) => b.needsTrend).map((b) => b.key!)) {
    if (s.budgets[key] !== undefined && s.budgets[key] !== false && cycles < MIN_TREND_POINTS - 1) {
      ctx.addIssue({ code: 'custom', path: ['budgets', key], message: `needs a trend: give the phases at least ${MIN_TREND_POINTS - 1} cycles in all (phases[].cycles)` });
    }
  }
  if (s.budgets.noProvenLeaks && !s.nodes.some((n) => n.provenLeaks)) {
    ctx.addIssue({ code: 'custom', path: ['budgets', 'noProvenLeaks'], message: 'needs a node built with provenLeaks: true (its goroutine leak profile is what it judges)' });
  }
  // A date to OOM needs a limit: the scenario's, or each node's own.
  const unlimited = s.nodes.filter((n) => n.memLimit === undefined).map((n) => n.name);
  if (s.budgets.oomAfter && s.budgets.oomAfter.limit === undefined && unlimited.length) {
    ctx.addIssue({ code: 'custom', path: ['budgets', 'oomAfter', 'limit'], message: `needs a memory limit: set oomAfter.limit, or memLimit on every node (${unlimited.join(', ')} has none)` });
  }
});

/** What a scenario file exports: durations and sizes may be strings, defaults may be left out. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario: durations in ms, sizes in bytes, defaults filled in. */
export type Scenario = z.output<typeof scenarioSchema> & { name: string; file?: string };
export type BudgetsInput = z.input<typeof budgets>;
export type { Duration, Size };
