// Four CometBFT validators under a flood; one is killed mid-run and restarted: the others must stay flat.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-4val-kill',
  description: 'broadcast_tx_sync at 100 tx/s spread over 4 validators; val3 is killed at 20 s and restarted at 35 s.',
  tags: ['cometbft', 'nightly', 'faults', 'multi-node'],
  seed: 1,
  nodes: [{ name: 'val', node: 'cometbft', count: 4, options: { app: 'persistent_kvstore', blockTime: '500ms' } }],
  warmup: '20s',
  phases: [
    {
      name: 'flood',
      duration: '60s',
      workloads: [{ kind: 'comet-tx-flood', rate: 100, maxTxs: 100_000, mode: 'sync', keys: 'unique' }],
      faults: [
        { at: '20s', action: 'kill', node: 'val3' },
        { at: '35s', action: 'restart', node: 'val3' },
      ],
    },
  ],
  cooldown: '10s',
  budgets: {
    heapInuseGrowth: { bytes: '48MB' },
    goroutineGrowth: 30,
    rssGrowth: { bytes: '160MB' },
    // Transactions sent to val3 while it is down fail by design.
    errorRate: 0.05,
  },
});
