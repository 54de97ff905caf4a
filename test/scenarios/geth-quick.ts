// A short geth --dev run with a transaction flood, websocket subscribers and block-aligned samples: one of the self-leak test's
// runs (test/e2e/self-leak.test.ts), for the sockets and clients a geth workload opens.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-quick',
  seed: 3,
  nodes: [{ name: 'geth', node: 'geth', options: { devPeriod: 1 } }],
  warmup: '1s',
  sampleInterval: '1s',
  sampleOn: ['block'],
  phases: [
    {
      name: 'flood',
      duration: '4s',
      workloads: [
        { kind: 'geth-tx-flood', rate: 50, senders: 5, maxTxs: 500 },
        { kind: 'ws-streams', clients: 4, holdMs: '500ms', cycles: 3 },
      ],
    },
  ],
  cooldown: '500ms',
  budgets: { errorRate: 0.05 },
});
