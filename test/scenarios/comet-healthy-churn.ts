// A healthy node the old trend verdict called a leak (issue #12): a full node in a 3-node CometBFT v0.38
// network (two validators and it) beside a churned peer that every node dials and drops, under a small
// reused-key flood, 150 s in 6 cycles. Its heap went down over the run; no budget may fail.
import { defineScenario } from 'chainsoak';

const unsafe = { config: { 'rpc.unsafe': true } } as const;

export default defineScenario({
  name: 'comet-healthy-churn',
  seed: 5,
  nodes: [
    { name: 'val', node: 'cometbft', count: 2, options: { app: 'persistent_kvstore', blockTime: '1s', ...unsafe } },
    { name: 'full', node: 'cometbft', options: { role: 'full', blockTime: '1s', ...unsafe } },
    { name: 'churned', node: 'cometbft', options: { role: 'full', blockTime: '1s', peering: 'none' }, start: 'fault' },
  ],
  warmup: '10s',
  phases: [
    {
      name: 'churn',
      duration: '150s',
      cycles: 6,
      workloads: [
        { kind: 'comet-tx-flood', rate: 10, maxTxs: 10_000, mode: 'sync', keys: 'reused' },
        { kind: 'comet-peer-churn', cycles: 30, intervalMs: '2s', target: 'churned' },
      ],
    },
  ],
  cooldown: '2s',
  budgets: { noLeakTrend: true, goroutineGrowth: 15, maxGrowthPerDay: '1GB' },
});
