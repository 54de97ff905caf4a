/** Every node flavor chainsoak knows. Adding a flavor: one file in this folder and one line here. */
import type { NodeFlavor } from './flavor.ts';
import { cometbft } from './cometbft.ts';
import { geth } from './geth.ts';
import { leakyNode } from './leaky-node.ts';
import { simd } from './simd.ts';
import { tendermint } from './tendermint.ts';

export const flavors: ReadonlyMap<string, NodeFlavor> = new Map([geth, cometbft, tendermint, simd, leakyNode].map((f) => [f.name, f]));
