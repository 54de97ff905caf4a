/**
 * Makes this process's chainsoak the one scenario files get when they import 'chainsoak' (the package
 * entry, harness/package/index.js, looks here first). Without it, tsx's scoped import of a scenario file
 * would load a second copy of the whole harness for it: other error classes, other registries.
 */
const SHARED_API = Symbol.for('chainsoak.api');

export async function shareApi(): Promise<void> {
  const shared = globalThis as { [SHARED_API]?: unknown };
  shared[SHARED_API] ??= await import('../index.ts');
}
