// geth dev chain under a steady transaction flood: the heap floor, goroutines and RSS must stay flat.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-tx-flood',
  description: 'Pre-signed value transfers at 150 tx/s from 50 senders into a geth dev chain with a datadir.',
  tags: ['geth', 'nightly', 'smoke', 'flood'],
  seed: 1,
  nodes: [{ name: 'geth', node: 'geth', options: { datadir: true, devPeriod: 1 } }],
  warmup: '20s',
  phases: [
    {
      name: 'flood',
      duration: '60s',
      workloads: [{ kind: 'geth-tx-flood', rate: 150, senders: 50, maxTxs: 100_000 }],
    },
  ],
  cooldown: '10s',
  sampleInterval: '2s',
  budgets: {
    heapInuseGrowth: { bytes: '64MB' },
    goroutineGrowth: 25,
    rssGrowth: { bytes: '256MB' },
    errorRate: 0.001,
    p95LatencyMs: 250,
  },
});
