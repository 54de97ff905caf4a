// Positive control: geth --dev with no datadir keeps every block in its in-memory database, so a flood
// must fail the heap budget, with the memory database's frames at the top of the growth. --dev.period 0
// seals a block per handful of transactions: many blocks, so the database (not geth's bounded block
// caches) dominates the growth.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-memdb-control',
  seed: 3,
  nodes: [{ name: 'geth', node: 'geth', options: { datadir: false, devPeriod: 0 } }],
  warmup: '10s',
  phases: [{ name: 'flood', duration: '45s', workloads: [{ kind: 'geth-tx-flood', rate: 300, senders: 60, maxTxs: 100_000 }] }],
  cooldown: '5s',
  budgets: { heapInuseGrowth: { bytes: '16MB' } },
});
