// Ground truth for the trend verdict: two leak-fixture nodes under the same operations, one with a small
// steady leak (256 bytes per operation into a map never pruned), one healthy with a bounded cache that
// fills in the first cycles (1,000 entries of 2 KB). The first must be judged a leak, the second bounded.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'fixture-small-leak',
  seed: 11,
  nodes: [
    { name: 'leaky', node: 'leaky-node', options: { leaks: { map: 256 } } },
    { name: 'cached', node: 'leaky-node', options: { leaks: {}, cacheEntries: 1000, cacheEntryBytes: 2048 } },
  ],
  warmup: '3s',
  phases: [{ name: 'ops', duration: '32s', cycles: 8, workloads: [{ kind: 'fixture-ops', rate: 400, maxOps: 20_000 }] }],
  cooldown: '1s',
  memProfileRate: 8192,
  budgets: { noLeakTrend: true, heapGrowthPer1kOps: '64KB', goroutineGrowthPer1kOps: 1 },
});
