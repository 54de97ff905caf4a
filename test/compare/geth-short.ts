// A short geth dev-chain flood for the compare and history tests: long enough for stable figures,
// short enough that a dozen runs fit in a few minutes. memProfileRate 4096 samples the heap finely, so
// heap in-use growth is not dominated by profile sampling (at Go's default 512 KB it moves by ±5 MB).
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-compare-short',
  seed: 11,
  nodes: [{ name: 'geth', node: 'geth', options: { datadir: true, devPeriod: 1 } }],
  warmup: '3s',
  phases: [{ name: 'flood', duration: '8s', workloads: [{ kind: 'geth-tx-flood', rate: 100, senders: 20, maxTxs: 10_000 }] }],
  cooldown: '2s',
  memProfileRate: 4096,
  budgets: {
    heapInuseGrowth: { bytes: '64MB' },
    goroutineGrowth: 25,
    rssGrowth: { bytes: '256MB' },
    errorRate: 0.01,
    p95LatencyMs: 500,
  },
});
