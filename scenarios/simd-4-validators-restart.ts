// Four simd validators (a Cosmos SDK chain, one genesis); val3 is restarted mid-run: the other three must
// stay flat while it leaves and catches up.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'simd-4-validators-restart',
  description: 'four simd validators under a 50 tx/s bank-send flood and NewBlock subscriptions; val3 is restarted at 20 s and catches up.',
  tags: ['simd', 'cosmos', 'nightly', 'faults', 'multi-node'],
  seed: 1,
  nodes: [{ name: 'val', node: 'simd', count: 4, options: { accounts: 40, blockTime: '500ms' } }],
  warmup: '15s',
  phases: [
    {
      name: 'restart',
      duration: '60s',
      workloads: [
        // Transfers from 40 genesis-funded accounts spread over the validators; those sent to val3 while it
        // restarts fail by design.
        { kind: 'cosmos-bank-send', rate: 50, maxTxs: 100_000, senders: 40, mode: 'sync', signing: 'offline' },
        // Block subscriptions over each validator's CometBFT websocket, paced so the slot whose connects to
        // val3 are refused while it is down does not burn its cycles.
        { kind: 'ws-streams', clients: 4, cycles: 30, holdMs: '2s', rate: 2 },
      ],
      faults: [{ at: '20s', action: 'restart', node: 'val3' }],
    },
  ],
  // CometBFT closes a keep-alive RPC connection idle for 10 s: the flood's sockets are gone before the final snapshot.
  cooldown: '12s',
  budgets: {
    heapInuseGrowth: { bytes: '64MB' },
    goroutineGrowth: 40,
    rssGrowth: { bytes: '200MB' },
    // Transactions and subscriptions to val3 while it restarts fail by design: a quarter of the flood for
    // the restart's 10-15 s, about 6% of the requests over 60 s (8.5% when the run is shortened to 40 s).
    errorRate: 0.15,
  },
});
