/**
 * Summaries written before a field existed (older runs, or this version while the lead fills the new
 * fields in) lack it; the page treats absent as empty rather than failing on a re-render of an old run.
 */
import type { NodeReport, RunSummary } from '../summary.ts';

export function normalizeSummary(summary: RunSummary): RunSummary {
  const s = summary as Partial<RunSummary> & Pick<RunSummary, 'scenario' | 'reportDir'>;
  return {
    ...summary,
    nodes: (s.nodes ?? []).map(normalizeNode),
    workloads: s.workloads ?? [],
    budgets: s.budgets ?? [],
    events: s.events ?? [],
    timeline: s.timeline ?? [],
    throughput: s.throughput ?? [],
    samples: s.samples ?? 'samples.jsonl',
    error: s.error ?? null,
  };
}

function normalizeNode(node: NodeReport): NodeReport {
  const n = node as Partial<NodeReport> & Pick<NodeReport, 'name' | 'heap' | 'goroutines' | 'profiles'>;
  return {
    ...node,
    pprofCommands: n.pprofCommands ?? [],
    disrupted: n.disrupted ?? false,
    heapSampleRate: n.heapSampleRate ?? 0,
    phases: n.phases ?? [],
    patterns: n.patterns ?? [],
    outsideHeap: n.outsideHeap ?? { flagged: false, heapInuseGrowth: 0, sysGrowth: 0, rssGrowth: null, message: '' },
  };
}
