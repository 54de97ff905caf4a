// Three CometBFT validators: every block needs all three votes (> 2/3 of 3), so 200 ms of latency on the
// peer links of val2 (both directions, through Toxiproxy) slows the whole chain. 20 s calm, 20 s of
// latency, 20 s calm again: the block interval of the middle part must stand out.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-link-latency',
  seed: 9,
  nodes: [{ name: 'val', node: 'cometbft', count: 3, options: { app: 'persistent_kvstore', blockTime: '100ms' } }],
  warmup: '5s',
  sampleInterval: '1s',
  phases: [
    {
      name: 'latency',
      duration: '60s',
      workloads: [{ kind: 'comet-tx-flood', rate: 10, maxTxs: 1_000, mode: 'sync', keys: 'unique' }],
      faults: [{ at: '20s', for: '20s', action: 'latency', latency: '200ms', link: { node: 'val2' } }],
    },
  ],
  cooldown: '2s',
  budgets: { goroutineGrowth: 40 },
});
