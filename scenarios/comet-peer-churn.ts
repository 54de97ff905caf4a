// Three CometBFT validators dial a full node through dial_peers (unsafe RPC, loopback) and drop it by stopping it, in cycles.
import { defineScenario } from 'chainsoak';

const validator = { app: 'persistent_kvstore', blockTime: '300ms', config: { 'rpc.unsafe': true } } as const;

export default defineScenario({
  name: 'comet-peer-churn',
  description: 'dial_peers to an unpeered full node, hold, stop it; 8 cycles beside a small flood. The full node is not judged (restarted each cycle).',
  tags: ['cometbft', 'nightly', 'p2p', 'multi-node'],
  seed: 1,
  nodes: [
    { name: 'val', node: 'cometbft', count: 3, options: validator },
    { name: 'full', node: 'cometbft', options: { role: 'full', blockTime: '300ms', peering: 'none' }, start: 'fault' },
  ],
  warmup: '10s',
  phases: [
    {
      name: 'churn',
      duration: '60s',
      workloads: [
        { kind: 'comet-tx-flood', rate: 30, maxTxs: 100_000 },
        { kind: 'comet-peer-churn', cycles: 8, intervalMs: '2s', target: 'full' },
      ],
    },
  ],
  cooldown: '5s',
  sampleOn: ['peer-peak'],
  budgets: { goroutineGrowth: 15, heapInuseGrowth: { bytes: '32MB' }, errorRate: 0.01 },
});
