// The scenario `compare` gates the leak fixture on: operations in 4 cycles, so the compared figures
// include the trend's slope per 1,000 operations as well as the two-snapshot growth.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'fixture-compare',
  seed: 7,
  nodes: [{ name: 'fixture', node: 'leaky-node' }],
  warmup: '2s',
  phases: [{ name: 'ops', duration: '8s', cycles: 4, workloads: [{ kind: 'fixture-ops', rate: 500, maxOps: 10_000 }] }],
  cooldown: '1s',
  memProfileRate: 4096,
  budgets: { errorRate: 0.01 },
});
