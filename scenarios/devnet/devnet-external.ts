// The compose devnet (docker-compose.yml at the top of the repository), attached by URL: a geth dev node
// and four CometBFT validators under two floods at once; heap floor and goroutines must stay flat.
//
//   node harness/bin.mjs images build geth cometbft && docker-compose up -d
//   node harness/bin.mjs run scenarios/devnet/devnet-external.ts --nodes docker-compose.nodes.json
//
// chainsoak neither starts nor stops these nodes, so no faults here, and RSS budgets are skipped (the
// process is in a container chainsoak does not run): the heap and goroutine budgets are the verdict.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'devnet-external',
  description: 'geth-tx-flood at 100 tx/s into the devnet geth and comet-tx-flood at 100 tx/s over its 4 validators, attached by URL.',
  tags: ['external'],
  runtime: 'external',
  seed: 1,
  nodes: [
    // Names match docker-compose.nodes.json: geth, val0..val3.
    { name: 'geth', node: 'geth' },
    { name: 'val', node: 'cometbft', count: 4 },
  ],
  warmup: '15s',
  phases: [
    {
      name: 'flood',
      duration: '45s',
      workloads: [
        { kind: 'geth-tx-flood', rate: 100, senders: 50, maxTxs: 100_000 },
        { kind: 'comet-tx-flood', rate: 100, maxTxs: 100_000, mode: 'sync', keys: 'unique' },
      ],
    },
  ],
  cooldown: '10s',
  sampleInterval: '2s',
  budgets: {
    heapInuseGrowth: { bytes: '64MB' },
    goroutineGrowth: 30,
    // Reported as skipped, with the reason: the RSS of an external node cannot be read.
    rssGrowth: { bytes: '256MB' },
    errorRate: 0.001,
    // Through docker's port publishing on a shared machine: more room than for local processes.
    p95LatencyMs: 500,
  },
});
