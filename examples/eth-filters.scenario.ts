// geth under many clients polling filters (examples/workloads/eth-filters.ts, a workload of the user's
// own): block filters renewed every 50 polls by 50 clients, beside a chain that makes a block a second.
// Goroutines and the heap floor must stay flat: a filter that outlives its uninstall would show here.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'eth-filters',
  description: '50 clients polling eth_getFilterChanges on block filters, renewing them every 50 polls.',
  tags: ['geth', 'example'],
  nodes: [{ name: 'geth', node: 'geth', options: { devPeriod: 1 } }],
  warmup: '10s',
  phases: [
    {
      name: 'filters',
      duration: '60s',
      workloads: [
        {
          kind: './workloads/eth-filters.ts',
          filter: 'blocks',
          renewEvery: 50,
          executor: { type: 'constant-concurrency', clients: 50, pause: '50ms', maxOps: 1_000_000 },
        },
      ],
    },
  ],
  cooldown: '5s',
  budgets: {
    goroutineGrowth: 25,
    heapInuseGrowth: { bytes: '64MB' },
    errorRate: 0.001,
    p95LatencyMs: 1_000,
  },
});
