// Websocket clients that subscribe to newHeads and then stop reading, held through the final snapshot:
// goroutines must grow with the number of clients, on geth's RPC/websocket frames.
import { defineScenario } from 'chainsoak';

export default defineScenario({
  name: 'geth-ws-zombies',
  seed: 5,
  nodes: [{ name: 'geth', node: 'geth', options: { devPeriod: 1 } }],
  warmup: '5s',
  phases: [{ name: 'zombies', duration: '15s', workloads: [{ kind: 'geth-ws-zombies', clients: 20, subscription: 'newHeads' }] }],
  cooldown: '3s',
  budgets: { goroutineGrowth: 10 },
});
