// A CometBFT e2e-app validator taking snapshots every 10 blocks while fresh nodes state-sync from it again and again.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-state-sync',
  description: 'One e2e-app validator under a tx flood; a full node wipes itself and joins through state sync 4 times.',
  tags: ['cometbft', 'nightly', 'state-sync', 'multi-node'],
  seed: 1,
  nodes: [
    { name: 'val', node: 'cometbft', options: { app: 'e2e', snapshotInterval: 10, blockTime: '200ms' } },
    { name: 'joiner', node: 'cometbft', options: { app: 'e2e', role: 'full', stateSync: true, blockTime: '200ms' }, start: 'fault' },
  ],
  warmup: '10s',
  phases: [
    {
      name: 'sync',
      duration: '90s',
      workloads: [
        { kind: 'comet-tx-flood', rate: 50, maxTxs: 100_000, mode: 'sync' },
        { kind: 'comet-state-sync', joins: 4, intervalMs: '2s' },
      ],
    },
  ],
  cooldown: '5s',
  sampleOn: ['pre-snapshot'],
  budgets: { heapInuseGrowth: { bytes: '48MB' }, goroutineGrowth: 30, errorRate: 0.01 },
});
