/**
 * Parse the node spec a scenario or the --node flag gives: `geth`, `geth@v1.17.10`, `geth@1.17.10`, or
 * `geth@./build/bin/geth` (a developer's own binary, used as is).
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { NodeFlavor } from './flavor.ts';

export type NodeSpec = {
  flavor: NodeFlavor;
  /** A semver tag like `v1.17.10`, or `custom` for a path spec. */
  version: string;
  /** Absolute path of a developer's own binary (path specs only); otherwise ensureBinary provides one. */
  binaryPath?: string;
};

const SEMVER_TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** True for a Go module version tag `vX.Y.Z` or `vX.Y.Z-pre` (no build metadata). */
export function isSemverTag(version: string): boolean {
  return SEMVER_TAG.test(version);
}

/** Compare two semver tags (`vX.Y.Z[-pre]`); a pre-release sorts before its release. Throws on a non-tag. */
export function compareSemver(a: string, b: string): number {
  const pa = SEMVER_TAG.exec(a);
  const pb = SEMVER_TAG.exec(b);
  if (!pa || !pb) throw new TypeError(`not a semver tag: ${pa ? b : a}`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const [preA, preB] = [pa[4], pb[4]];
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  const ia = preA.split('.');
  const ib = preB.split('.');
  for (let i = 0; i < Math.max(ia.length, ib.length); i++) {
    const x = ia[i];
    const y = ib[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (nx !== ny) {
      return nx ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes(path.sep) || s === '.' || s === '..' || s.startsWith('~');
}

export function parseNodeSpec(spec: string, flavors: ReadonlyMap<string, NodeFlavor>): NodeSpec {
  const trimmed = spec.trim();
  const at = trimmed.indexOf('@');
  const name = at === -1 ? trimmed : trimmed.slice(0, at);
  const rest = at === -1 ? undefined : trimmed.slice(at + 1);

  const flavor = flavors.get(name);
  if (!flavor) {
    const known = [...flavors.keys()].sort().join(', ') || '(none registered)';
    const what = name === '' ? `node spec '${spec}' has no flavor` : `unknown node flavor '${name}'`;
    throw new UsageError(`${what}; known flavors: ${known}`);
  }
  if (rest === undefined) return { flavor, version: flavor.defaultVersion };
  if (rest === '') {
    throw new UsageError(`node spec '${spec}' has nothing after '@'; expected e.g. ${name}@${flavor.defaultVersion} or ${name}@./path/to/${flavor.build.binary}`);
  }

  if (looksLikePath(rest)) {
    if (rest.startsWith('~')) {
      throw new UsageError(`node binary path '${rest}' starts with '~', which chainsoak does not expand; use an absolute or ./relative path`);
    }
    const abs = path.resolve(rest);
    let isFile = false;
    try {
      isFile = statSync(abs).isFile();
    } catch {
      throw new UsageError(`node binary ${abs} does not exist (from node spec '${spec}')`);
    }
    if (!isFile) throw new UsageError(`node binary ${abs} is not a regular file (from node spec '${spec}')`);
    try {
      accessSync(abs, constants.X_OK);
    } catch {
      throw new UsageError(`node binary ${abs} is not executable (from node spec '${spec}'; try chmod +x)`);
    }
    return { flavor, version: 'custom', binaryPath: abs };
  }

  if (flavor.parseVersion) return { flavor, version: flavor.parseVersion(rest) };
  const version = /^\d/.test(rest) ? `v${rest}` : rest;
  if (!isSemverTag(version)) {
    throw new UsageError(`bad version '${rest}' in node spec '${spec}': expected a release tag like ${flavor.defaultVersion}`);
  }
  if (flavor.oldestVersion && compareSemver(version, flavor.oldestVersion) < 0) {
    throw new UsageError(`${name} ${version} is older than ${flavor.oldestVersion}, the oldest ${name} release chainsoak knows how to run (docs/nodes.md)`);
  }
  return { flavor, version };
}
