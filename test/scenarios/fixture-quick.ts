// A few seconds of the leak fixture, healthy, with a node restart: the cheap run the self-leak test repeats
// (test/e2e/self-leak.test.ts) to see that a run gives back everything it took from the harness process.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'fixture-quick',
  seed: 3,
  // Two nodes: the restarted one is not judged (disrupted), so the steady one gives the run its verdict.
  nodes: [
    { name: 'fixture', node: 'leaky-node', options: { leaks: {} } },
    { name: 'steady', node: 'leaky-node', options: { leaks: {} } },
  ],
  warmup: '500ms',
  sampleInterval: '500ms',
  phases: [
    {
      name: 'ops',
      duration: '2s',
      workloads: [{ kind: 'fixture-ops', rate: 200, maxOps: 2_000 }],
      faults: [{ at: '1s', action: 'restart', node: 'fixture' }],
    },
  ],
  cooldown: '200ms',
  budgets: { goroutineGrowth: 50 },
});
