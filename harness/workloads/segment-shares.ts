/**
 * Which workloads can run as a segment (`--segment i/n`) and what a segment's declaration is: its share
 * of the rate and of the count bound. The items a segment owns (geth senders, comet keys) the workload
 * picks itself from WorkloadContext.segment; the shares are taken here, once for every workload, so a
 * flood only learns which of its items are its own.
 *
 * A workload missing from SHARES (peer churn, state sync, websocket streams...) acts on the nodes as a
 * whole: two processes each doing a share of it is not a share of its load, so `--segment` refuses it.
 * Nothing here loads a workload's client: the checks run before anything starts.
 */
import { UsageError } from '../errors.ts';
import type { Scenario } from '../scenario/schema.ts';
import { isDefinedEntry } from './define.ts';
import type { ParsedWorkload, WorkloadEntry } from './schemas.ts';
import { countShare, formatSegment, rateShare, type Segment } from './segment.ts';

interface Shares {
  /** Fields split by rate (per second). */
  rate: readonly string[];
  /** Count bounds: the segments' bounds add up to the declared one exactly. */
  count: readonly string[];
  /** Items split by index (segment i owns index i-1 mod n): each segment must own at least one. */
  items?: { field: string; default: number };
}

const SHARES: Partial<Record<ParsedWorkload['kind'], Shares>> = {
  'geth-tx-flood': { rate: ['rate'], count: ['maxTxs'], items: { field: 'senders', default: 50 } },
  'comet-tx-flood': { rate: ['rate'], count: ['maxTxs', 'reusedKeys'] },
};

/**
 * Workloads that take their segment's share themselves, from WorkloadContext.segment: the built-ins on the
 * shared executor (executor/run.ts: the rate, the count bound and the clients), as every workload a user
 * defines, and cosmos-bank-send (its owned senders, and their share of the rate and of maxTxs). Their
 * declarations stay whole.
 */
const SPLITS_ITSELF: ReadonlySet<string> = new Set<ParsedWorkload['kind']>(['fixture-ops', 'geth-state-iteration', 'cosmos-queries', 'cosmos-bank-send']);

const splitByExecutor = (decl: WorkloadEntry): boolean => isDefinedEntry(decl) || SPLITS_ITSELF.has(decl.kind);

export const SEGMENTABLE_KINDS = [...Object.keys(SHARES), ...SPLITS_ITSELF, 'a workload file (defineWorkload)'];

/** The declaration segment `s` runs: rate and count bounds scaled to its share; whole when s is absent. */
export function segmentDecl<T extends WorkloadEntry>(decl: T, s: Segment | undefined): T {
  if (splitByExecutor(decl)) return decl;
  const shares = SHARES[(decl as ParsedWorkload).kind];
  if (!s || s.count === 1 || !shares) return decl;
  const out: Record<string, unknown> = { ...decl };
  for (const f of shares.rate) if (typeof out[f] === 'number') out[f] = rateShare(s, out[f] as number);
  for (const f of shares.count) if (typeof out[f] === 'number') out[f] = countShare(s, out[f] as number);
  return out as T;
}

/**
 * Every workload of the scenario can be split into `s.count` segments: one line naming the first that
 * cannot (its kind is not segmentable, or it has fewer senders or a smaller count bound than segments).
 */
export function checkSegmentable(scenario: Scenario, s: Segment, flag = `--segment ${formatSegment(s)}`): void {
  const where = scenario.file ?? scenario.name;
  scenario.phases.forEach((phase, p) =>
    phase.workloads.forEach((decl, w) => {
      if (splitByExecutor(decl)) return;
      const kind = (decl as ParsedWorkload).kind;
      const at = `${where}: phases[${p}].workloads[${w}] (${kind})`;
      const shares = SHARES[kind];
      if (!shares) throw new UsageError(`${at}: cannot be split into segments (${flag}); segmentable workloads: ${SEGMENTABLE_KINDS.join(', ')}`);
      const fields = decl as Record<string, unknown>;
      const small = [...shares.count, ...(shares.items ? [shares.items.field] : [])].find((f) => {
        const value = (fields[f] as number | undefined) ?? (f === shares.items?.field ? shares.items.default : undefined);
        return value !== undefined && value < s.count;
      });
      if (small) throw new UsageError(`${at}: ${small} ${String(fields[small] ?? shares.items?.default)} is less than the ${s.count} segments of ${flag}`);
    }),
  );
}

/** Budgets that divide growth by the operations sent over time, which a judging run learns only of its own. */
const PER_OPERATION_BUDGETS = ['heapGrowthPer1kOps', 'goroutineGrowthPer1kOps'] as const;

/**
 * A scenario a judging run can fold load segments into (`run --load-stats`): every workload segmentable,
 * and no per-operation budget (the segments report their operations once, at their end, not per cycle).
 */
export function checkFoldable(scenario: Scenario, own: Segment | undefined): void {
  checkSegmentable(scenario, own ?? { index: 0, count: 1 }, own ? undefined : '--load-stats');
  const budgets = scenario.budgets as Record<string, unknown>;
  const perOp = PER_OPERATION_BUDGETS.find((key) => budgets[key] !== undefined);
  if (perOp) {
    throw new UsageError(`${scenario.file ?? scenario.name}: budgets.${perOp}: with --load-stats the operations come from the load segments only at their end, not cycle by cycle; judge the trend without it`);
  }
}

/** The checks `--segment` and `--load-stats` need, as the CLI and runScenario make them before anything starts. */
export function checkSegmentOptions(scenario: Scenario, options: { segment?: Segment | undefined; loadStats?: string | undefined }): void {
  if (options.loadStats !== undefined) checkFoldable(scenario, options.segment);
  else if (options.segment) checkSegmentable(scenario, options.segment);
}
