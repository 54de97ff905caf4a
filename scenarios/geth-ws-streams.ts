// geth websocket subscriptions opened and ended every way clients end them, plus abandoned requests: goroutines must come back.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-ws-streams',
  description: '10 slots × 30 cycles of newHeads subscriptions ended by unsubscribe, close, abrupt close and TCP reset, beside a small flood.',
  tags: ['geth', 'nightly', 'subscriptions'],
  seed: 1,
  nodes: [{ name: 'geth', node: 'geth', options: { devPeriod: 1 } }],
  warmup: '15s',
  phases: [
    {
      name: 'streams',
      duration: '60s',
      workloads: [
        { kind: 'geth-tx-flood', rate: 50, senders: 20, maxTxs: 100_000 },
        {
          kind: 'ws-streams',
          clients: 10,
          cycles: 30,
          holdMs: '1s',
          end: [{ mode: 'unsubscribe' }, { mode: 'close' }, { mode: 'abrupt' }, { mode: 'reset' }],
          abandon: 'http',
          abandonCount: 4,
        },
      ],
    },
  ],
  // Abandoned traces run on in geth for seconds after their clients left (see README): let them finish.
  cooldown: '20s',
  budgets: { goroutineGrowth: 10, heapInuseGrowth: { bytes: '64MB' }, errorRate: 0.001 },
});
