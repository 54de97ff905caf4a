// geth state iteration (debug_accountRange, debug_dumpBlock, debug_traceBlockByNumber) under a tx flood.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-state-iteration',
  description: 'A 100 tx/s flood with 20 req/s of state iteration and block tracing on recent blocks.',
  tags: ['geth', 'nightly', 'state'],
  seed: 1,
  nodes: [{ name: 'geth', node: 'geth', options: { devPeriod: 1 } }],
  warmup: '15s',
  phases: [
    {
      name: 'iterate',
      duration: '60s',
      workloads: [
        { kind: 'geth-tx-flood', rate: 100, senders: 40, maxTxs: 100_000 },
        { kind: 'geth-state-iteration', rate: 20, maxRequests: 100_000, block: 'recent' },
      ],
    },
  ],
  cooldown: '10s',
  budgets: { heapInuseGrowth: { bytes: '64MB' }, goroutineGrowth: 25, rssGrowth: { bytes: '256MB' }, errorRate: 0.001 },
});
