// Four simd validators (a Cosmos SDK chain, one genesis) under a bank-send flood; val3 is restarted mid-run:
// the other three must stay flat while it leaves and catches up.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'simd-4-validators-restart',
  description: 'four simd validators under a bank-send flood and NewBlock subscriptions; val3 is restarted at 20 s and catches up.',
  tags: ['simd', 'cosmos', 'nightly', 'faults', 'multi-node'],
  seed: 1,
  nodes: [{ name: 'val', node: 'simd', count: 4, options: { blockTime: '500ms' } }],
  warmup: '15s',
  phases: [
    {
      name: 'restart',
      duration: '60s',
      // Bank transfers from 40 accounts spread over the four validators (sender s goes to node s % 4), and
      // block subscriptions over each validator's CometBFT websocket, paced so the slot whose connects to
      // val3 are refused while it is down does not burn its cycles.
      workloads: [
        { kind: 'cosmos-bank-send', rate: 40, maxTxs: 5_000, senders: 40 },
        { kind: 'ws-streams', clients: 4, cycles: 30, holdMs: '2s', rate: 2 },
      ],
      faults: [{ at: '20s', action: 'restart', node: 'val3' }],
    },
  ],
  cooldown: '10s',
  budgets: {
    heapInuseGrowth: { bytes: '64MB' },
    goroutineGrowth: 40,
    rssGrowth: { bytes: '200MB' },
    // Transfers and subscriptions to val3 while it restarts fail by design: 9.5% of requests in a run here
    // (its senders' transfers refused while it is down, then re-synced on 'account sequence mismatch').
    errorRate: 0.2,
  },
});
