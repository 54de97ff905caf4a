/**
 * `chainsoak --version`: chainsoak's own version (package.json), and the Node and Go it runs with. Go
 * matters as much as chainsoak's: it builds every node binary, and a profile's frames depend on it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function versionLine(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `chainsoak ${pkg.version} (node ${process.version}, ${goVersion()})`;
}

function goVersion(): string {
  const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', timeout: 10_000 });
  const version = go.status === 0 ? go.stdout.trim() : '';
  return version ? version : 'go not found: node builds will fail';
}
