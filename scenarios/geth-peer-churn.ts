// Three geth p2p nodes on one genesis; one seeded pair is connected and dropped with admin_addPeer/removePeer each cycle.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-peer-churn',
  description: 'admin_addPeer / admin_removePeer cycles (geth re-dials a peer only after ~35 s, so cycles are slow by design).',
  tags: ['geth', 'nightly', 'p2p', 'multi-node'],
  seed: 1,
  nodes: [{ name: 'geth', node: 'geth', count: 3, options: { network: 'p2p' } }],
  warmup: '5s',
  phases: [{ name: 'churn', duration: '150s', workloads: [{ kind: 'geth-peer-churn', cycles: 4, pairs: 1, intervalMs: '2s' }] }],
  cooldown: '5s',
  sampleOn: ['peer-peak'],
  budgets: { goroutineGrowth: 10, heapInuseGrowth: { bytes: '32MB' }, errorRate: 0 },
});
