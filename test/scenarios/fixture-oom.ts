// A container whose memory limit is below what the leak fixture grows to: 64 KB leaked per operation at
// 100 operations a second is ~6 MB/s, so a 48 MB limit is crossed within ~10 s of the flood. The healthy
// node beside it, under the same limit and operations, must not be OOM-killed. Needs --runtime container.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'fixture-oom',
  seed: 5,
  runtime: 'container',
  nodes: [
    { name: 'leaky', node: 'leaky-node', options: { leaks: { map: 65_536 } }, memLimit: '48MB' },
    { name: 'healthy', node: 'leaky-node', options: { leaks: {} }, memLimit: '48MB' },
  ],
  warmup: '2s',
  sampleInterval: '1s',
  phases: [{ name: 'ops', duration: '30s', workloads: [{ kind: 'fixture-ops', rate: 100, maxOps: 3_000 }] }],
  cooldown: '1s',
  budgets: { goroutineGrowth: 50 },
});
