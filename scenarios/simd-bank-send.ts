// One Cosmos SDK validator (simd, SDK v0.50) under a bank-send flood: pre-signed MsgSend transfers from
// 20 genesis-funded accounts at 100 tx/s, in 6 cycles so the heap floor's trend is judged, not two
// snapshots. Sequences are tracked per sender; a mismatch would be a failed tx (errorRate).
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'simd-bank-send',
  description: 'cosmos-bank-send (broadcast_tx_sync, offline signing) at 100 tx/s from 20 accounts into one simd validator.',
  tags: ['simd', 'cosmos', 'nightly', 'flood', 'trend'],
  seed: 1,
  nodes: [{ name: 'simd', node: 'simd', options: { accounts: 20, blockTime: '500ms' } }],
  warmup: '15s',
  phases: [
    {
      name: 'flood',
      duration: '60s',
      cycles: 6,
      workloads: [{ kind: 'cosmos-bank-send', rate: 100, maxTxs: 100_000, senders: 20, mode: 'sync', signing: 'offline' }],
    },
  ],
  // CometBFT closes a keep-alive RPC connection idle for 10 s: the flood's sockets are gone (and their
  // goroutines in the node) before the final snapshot.
  cooldown: '12s',
  budgets: {
    noLeakTrend: true,
    heapInuseGrowth: { bytes: '64MB' },
    goroutineGrowth: 20,
    rssGrowth: { bytes: '256MB' },
    errorRate: 0.001,
    p95LatencyMs: 250,
  },
});
