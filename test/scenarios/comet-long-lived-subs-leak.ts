// Positive control: CometBFT's websocket subscription forwarder (rpc/core/events.go Subscribe) creates a
// 10 s write context per event and defers its cancel inside its loop, so every event delivered keeps a
// context and its timer until the subscription ends (every pinned version; fixes cometbft#5808 and
// #6077 were closed unmerged).
// Long-lived tm.event='Tx' subscribers beside a flood show it as a rising heap trend (300-400 bytes per
// event: 20 subscribers x 100 tx/s is ~40 MB a minute); afterRelease shows it going with them.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'comet-long-lived-subs-leak',
  seed: 1,
  nodes: [{ name: 'comet', node: 'cometbft', options: { blockTime: '500ms' } }],
  // The leak spreads over a few sites (context, timer, the forwarder's deferred closures) of ~1 MB each per
  // tail: at the default 512 KB sampling a site needs 2 MB to show, so a busy run can come out 'rising,
  // unattributed' (what the report then advises); 64 KB sampling shows each of them.
  memProfileRate: 65536,
  warmup: '3s',
  phases: [
    {
      name: 'subscribed',
      duration: '24s',
      cycles: 6,
      workloads: [
        { kind: 'comet-tx-flood', rate: 100, maxTxs: 100_000 },
        { kind: 'ws-streams', longLived: 20, subscription: "tm.event='Tx'" },
      ],
    },
  ],
  cooldown: '2s',
  afterRelease: '3s',
  // The goroutine budgets pass (the held streams' goroutines are flat across the cycles); the heap trend fails.
  budgets: { noLeakTrend: true, goroutineGrowthPer1kOps: 0.5, goroutineGrowth: 80, errorRate: 0.001 },
});
