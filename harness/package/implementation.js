/**
 * Which chainsoak the package entry points run: in a checkout (the TypeScript sources are there) the
 * sources, through tsx, so nothing needs a build step and an edit counts at once; in an installed
 * package (npm ships dist/ and no harness/*.ts) the compiled JavaScript of dist/.
 */
import { existsSync } from 'node:fs';

export const fromSource = existsSync(new URL('../index.ts', import.meta.url));

/** URL of one module of chainsoak by its path under harness/ without extension: 'cli', 'index', 'library/mocha'. */
export function implementation(module) {
  return new URL(fromSource ? `../${module}.ts` : `../../dist/${module}.js`, import.meta.url).href;
}

/**
 * The one instance of the public API in this process (harness/library/share.ts puts the runner's there
 * before it loads a scenario): a scenario file importing 'chainsoak' gets the runner's classes and
 * registries, not a copy that tsx's scoped import would otherwise load for it.
 */
export const SHARED_API = Symbol.for('chainsoak.api');
