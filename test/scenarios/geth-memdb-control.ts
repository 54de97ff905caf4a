// Positive control: geth --dev with no datadir keeps every block in its in-memory database, so a flood
// must fail the heap budget, with the memory database's frames at the top of the growth.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-memdb-control',
  seed: 3,
  nodes: [{ name: 'geth', node: 'geth', options: { datadir: false, devPeriod: 1 } }],
  warmup: '10s',
  phases: [{ name: 'flood', duration: '60s', workloads: [{ kind: 'geth-tx-flood', rate: 300, senders: 60, maxTxs: 100_000 }] }],
  cooldown: '5s',
  budgets: { heapInuseGrowth: { bytes: '16MB' } },
});
