/** Every node flavor chainsoak knows. Adding a flavor: one file in this folder and one line here. */
import type { NodeFlavor } from './flavor.ts';
import { geth } from './geth.ts';

export const flavors: ReadonlyMap<string, NodeFlavor> = new Map([geth].map((f) => [f.name, f]));
