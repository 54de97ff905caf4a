// Long-lived CometBFT subscribers (as indexers, relayers and explorers keep them) beside a tx flood, judged on
// the goroutine trend.
//
// The subscribers are opened once and kept across every cycle and through the 'after' snapshot, so whatever
// lives as long as a subscription is in the trend and in 'after'; afterRelease ('released' in the report) shows
// whether it goes when they go. The held streams cost 3 goroutines each on v0.38 (the connection's read and
// write loops, the subscription's forwarder): goroutineGrowth allows for 40 of them plus the flood's noise.
//
// The heap is not judged: on every pinned CometBFT the forwarder keeps one 10 s write context per event
// delivered until its subscription ends (rpc/core/events.go, `defer cancel()` inside its loop; proposed fixes
// cometbft#5808 and #6077 were closed unmerged, in no release yet), ~40 MB a minute here, gone on release. test/scenarios/
// comet-long-lived-subs-leak.ts is that positive control; add noLeakTrend here once a release has the fix.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-long-lived-subs',
  description: "20 subscribers to tm.event='Tx' and 20 to tm.event='NewBlock', held for the whole run, beside a 100 tx/s flood.",
  tags: ['cometbft', 'nightly', 'subscriptions', 'trend'],
  seed: 1,
  nodes: [{ name: 'comet', node: 'cometbft', options: { blockTime: '500ms' } }],
  warmup: '10s',
  phases: [
    {
      name: 'subscribed',
      duration: '2m',
      cycles: 8,
      workloads: [
        { kind: 'comet-tx-flood', rate: 100, maxTxs: 100_000 },
        { kind: 'ws-streams', longLived: 20, subscription: "tm.event='Tx'" },
        { kind: 'ws-streams', longLived: 20, subscription: "tm.event='NewBlock'" },
      ],
    },
  ],
  cooldown: '5s',
  afterRelease: '5s',
  budgets: { goroutineGrowthPer1kOps: 0.5, goroutineGrowth: 140, errorRate: 0.001 },
});
