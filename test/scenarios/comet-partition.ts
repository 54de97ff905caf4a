// Four CometBFT validators in containers; val3 is cut off from the others for 20 s, then healed. The
// three others keep a quorum and go on; val3 loses its peers, stalls, and catches up after the heal.
// Needs --runtime container (a partition moves the container to a network of its own).
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-partition',
  seed: 3,
  runtime: 'container',
  nodes: [{ name: 'val', node: 'cometbft', count: 4, options: { app: 'persistent_kvstore', blockTime: '300ms' } }],
  warmup: '5s',
  sampleInterval: '1s',
  phases: [
    {
      name: 'partition',
      duration: '45s',
      workloads: [{ kind: 'comet-tx-flood', rate: 20, maxTxs: 2_000, mode: 'sync', keys: 'unique' }],
      faults: [{ at: '10s', action: 'partition', node: 'val3', for: '20s' }],
    },
  ],
  cooldown: '5s',
  budgets: { goroutineGrowth: 40, heapInuseGrowth: { bytes: '64MB' } },
});
