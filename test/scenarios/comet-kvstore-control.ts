// Positive control: the built-in in-memory kvstore keeps every unique key, so a unique-key flood must
// fail the heap budget with the app's store frames in the top growth. The same flood with reused keys passes.
// 4 KiB values make the app's growth (~48 MB of values) stand well above the block store's bounded
// goleveldb buffers (memtable, buffer pool: ~30 MB on 2026-11 measurements, in both runs).
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-kvstore-control',
  seed: 7,
  nodes: [{ name: 'comet', node: 'cometbft', options: { app: 'kvstore', blockTime: '200ms' } }],
  warmup: '10s',
  phases: [{ name: 'flood', duration: '40s', workloads: [{ kind: 'comet-tx-flood', rate: 300, maxTxs: 100_000, mode: 'async', keys: 'unique', valueBytes: 4096 }] }],
  cooldown: '5s',
  budgets: { heapInuseGrowth: { bytes: '48MB' } },
});
