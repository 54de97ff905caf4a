// Nightly: the flood of geth-tx-flood for 12 minutes in 12 cycles, judged on the trend of the post-GC
// heap floor rather than on two snapshots. geth's caches (256-block LRUs, pebble's block cache and
// memtables, the state layers) fill for the first minutes; a leak keeps rising after they are full.
// --cache 64: with geth's default (1024 MB, half of it pebble's), pebble's memtables (growing 16, 32,
// 64 MB... in pure-Go builds, on the Go heap) and block cache keep stepping up for hours: a bounded
// cache whose bound a 12-minute run never reaches, which the trend rightly calls still rising.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-flood-trend',
  tags: ['geth', 'nightly', 'flood', 'trend', 'long'],
  seed: 1,
  nodes: [{ name: 'geth', node: 'geth', options: { datadir: true, devPeriod: 1, cacheMB: 64 } }],
  warmup: '20s',
  phases: [{ name: 'flood', duration: '12m', cycles: 12, workloads: [{ kind: 'geth-tx-flood', rate: 150, senders: 50, maxTxs: 200_000 }] }],
  cooldown: '5s',
  budgets: { noLeakTrend: true, heapGrowthPer1kOps: '64KB', goroutineGrowthPer1kOps: 0.5, errorRate: 0.001 },
});
