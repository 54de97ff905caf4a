// A cache that fills to its bound: geth's transaction pool. The miner takes only transactions tipping
// at least 2 gwei (--miner.gasprice; the funding transactions get that tip from geth's gas price oracle)
// while the flood tips 1 gwei, so every flood transaction stays in the pool until the pool's caps
// (4096 executable + 1024 queued) refuse more. A block every 12 s (the funding needs one): with a block
// a second, geth's own per-block structures (256-block caches, 128 in-memory state layers, log index
// rows) are still filling two minutes in, and the heap floor rightly keeps rising. --txpool.nolocals: without it, every transaction refused because the pool is full
// is kept by geth's local transaction tracker for resubmission, which grows with the flood (see the
// README's findings). The trend must call the heap bounded, not a leak.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-txpool-cap',
  seed: 5,
  nodes: [
    {
      name: 'geth',
      node: 'geth',
      options: {
        devPeriod: 12,
        extraArgs: ['--miner.gasprice', '2000000000', '--txpool.nolocals', '--txpool.globalslots', '4096', '--txpool.globalqueue', '1024', '--txpool.accountslots', '64', '--txpool.accountqueue', '64'],
      },
    },
  ],
  warmup: '8s',
  phases: [{ name: 'fill', duration: '64s', cycles: 8, workloads: [{ kind: 'geth-tx-flood', rate: 300, senders: 64, maxTxs: 30_000 }] }],
  cooldown: '2s',
  budgets: { noLeakTrend: true, heapGrowthPer1kOps: '64KB' },
});
