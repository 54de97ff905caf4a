// One simd validator with its app out of process: `app` runs `simd start --with-comet=false` (ABCI on a
// socket), `comet` runs CometBFT v0.38.11 (the SDK's pin) against it, each profiled on its own. 20 s on a
// clean ABCI link, then 40 s with 50 ms of latency each way on it (Toxiproxy): every ABCI call of a block
// pays a round trip, so blocks come slower; both sides must stay within their budgets through it.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'simd-abci-slow-link',
  tags: ['simd', 'abci'],
  seed: 3,
  nodes: [
    { name: 'app', node: 'simd', options: { abci: 'app', blockTime: '300ms' } },
    { name: 'comet', node: 'simd', options: { abci: { app: 'app' }, blockTime: '300ms' } },
  ],
  warmup: '5s',
  sampleInterval: '1s',
  phases: [
    {
      name: 'slow-abci',
      duration: '60s',
      faults: [{ at: '20s', action: 'latency', latency: '50ms', link: { node: 'app', of: 'abci' } }],
    },
  ],
  cooldown: '2s',
  budgets: { heapInuseGrowth: { bytes: '64MB' }, goroutineGrowth: 40 },
});
