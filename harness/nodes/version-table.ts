/**
 * Per-version tables of what differs between releases of one node (flags, config keys, consensus in dev
 * mode...): one row per first version where something changed, so a flavor reads the row for the binary
 * it runs instead of scattering version comparisons through its code.
 */
import type { NodeSite } from '../runtimes/runtime.ts';
import { compareSemver, isSemverTag } from './node-spec.ts';

export interface VersionRow<Traits> {
  /** First version (semver tag) the traits apply to; rows are sorted ascending. */
  from: string;
  traits: Traits;
}

/**
 * The traits for a version: the last row at or below it; the first row for an older version; the last
 * row for an unknown one (a developer's build that names no version is most likely recent).
 */
export function traitsFor<Traits>(rows: readonly VersionRow<Traits>[], version: string | undefined): Traits {
  if (version === undefined || !isSemverTag(version)) return rows[rows.length - 1]!.traits;
  let hit = rows[0]!;
  for (const row of rows) if (compareSemver(version, row.from) >= 0) hit = row;
  return hit.traits;
}

/**
 * The version a node's program says it is (`<bin> version`: "0.38.26", "Version: 1.10.0-stable"), as a
 * tag `v0.38.26`: what a developer's binary (`flavor@/path`) is read against. A developer's build may
 * print more ("0.38.26-abcdef"); the leading X.Y.Z is kept. undefined if none.
 */
export async function binaryVersion(site: NodeSite): Promise<string | undefined> {
  const { stdout } = await site.exec(['version'], { timeoutMs: 20_000 });
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(stdout);
  return m ? `v${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/**
 * The version a node runs: its spec's tag (a build chainsoak made of it), else what its binary says.
 * The tag first: some releases print no version of their own (Tendermint v0.34.0's is set by its Makefile).
 */
export async function nodeVersion(node: { version: string; site: NodeSite }): Promise<string | undefined> {
  return isSemverTag(node.version) ? node.version : binaryVersion(node.site);
}
