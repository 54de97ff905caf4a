// CometBFT subscriptions opened and ended every way clients end them, plus abandoned broadcast_tx_commit: goroutines must come back.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-ws-streams',
  description: '10 slots × 30 cycles of NewBlock subscriptions ended by unsubscribe, unsubscribe_all, close, abrupt close and TCP reset, beside a small flood.',
  tags: ['cometbft', 'nightly', 'subscriptions'],
  seed: 1,
  nodes: [{ name: 'comet', node: 'cometbft', options: { blockTime: '300ms' } }],
  warmup: '10s',
  phases: [
    {
      name: 'streams',
      duration: '60s',
      workloads: [
        { kind: 'comet-tx-flood', rate: 50, maxTxs: 100_000 },
        {
          kind: 'ws-streams',
          clients: 10,
          cycles: 30,
          holdMs: '1s',
          end: [{ mode: 'unsubscribe' }, { mode: 'unsubscribe_all' }, { mode: 'close' }, { mode: 'abrupt' }, { mode: 'reset' }],
          abandon: 'ws',
          abandonCount: 10,
        },
      ],
    },
  ],
  cooldown: '10s',
  budgets: { goroutineGrowth: 10, heapInuseGrowth: { bytes: '32MB' }, errorRate: 0.001 },
});
