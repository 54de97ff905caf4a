// One CometBFT validator (persistent_kvstore) under a kvstore transaction flood: heap floor, goroutines and RSS stay flat.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-single-flood',
  description: 'broadcast_tx_sync at 200 tx/s with unique keys into a single CometBFT node with persistent_kvstore.',
  tags: ['cometbft', 'nightly', 'smoke', 'flood'],
  seed: 1,
  nodes: [{ name: 'comet', node: 'cometbft', options: { app: 'persistent_kvstore', blockTime: '500ms' } }],
  warmup: '15s',
  phases: [{ name: 'flood', duration: '60s', workloads: [{ kind: 'comet-tx-flood', rate: 200, maxTxs: 100_000, mode: 'sync', keys: 'unique' }] }],
  cooldown: '10s',
  budgets: {
    heapInuseGrowth: { bytes: '32MB' },
    goroutineGrowth: 20,
    rssGrowth: { bytes: '128MB' },
    errorRate: 0.001,
    p95LatencyMs: 250,
  },
});
