// A healthy node the old trend verdict called a leak (issue #12): one CometBFT node (persistent_kvstore,
// 1 s blocks), five websocket subscriptions re-opened every 5 s beside a 10 tx/s flood of reused keys,
// 150 s in 6 cycles. Its heap floor rises slowly (goleveldb's memtable filling toward its flush) with
// nothing in the heap profiles growing: 'rising, unattributed', a warning, not a failed budget.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-healthy-subs',
  seed: 3,
  nodes: [{ name: 'comet', node: 'cometbft', options: { blockTime: '1s', app: 'persistent_kvstore' } }],
  warmup: '10s',
  phases: [
    {
      name: 'subs',
      duration: '150s',
      cycles: 6,
      workloads: [
        { kind: 'comet-tx-flood', rate: 10, maxTxs: 10_000, mode: 'sync', keys: 'reused' },
        { kind: 'ws-streams', clients: 5, cycles: 5, holdMs: '5s', end: [{ mode: 'unsubscribe' }, { mode: 'close' }] },
      ],
    },
  ],
  cooldown: '2s',
  budgets: { noLeakTrend: true, goroutineGrowth: 10, maxGrowthPerDay: '1GB' },
});
