import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../harness/errors.ts';
import type { NodeFlavor } from '../../harness/nodes/flavor.ts';
import { gethBuild } from '../../harness/nodes/geth-build.ts';
import { compareSemver, isSemverTag, parseNodeSpec } from '../../harness/nodes/node-spec.ts';

function fakeFlavor(name: string, defaultVersion: string): NodeFlavor {
  return {
    name,
    optionsSchema: z.record(z.string(), z.unknown()),
    defaultVersion,
    build: { ...gethBuild, binary: name },
    portNames: [],
    prepare: async () => ({ args: [], endpoints: { pprof: { port: 'pprof', scheme: 'http' } } }),
    isReady: async () => true,
  };
}

const flavors: ReadonlyMap<string, NodeFlavor> = new Map([
  ['geth', fakeFlavor('geth', 'v1.17.10')],
  ['cometbft', fakeFlavor('cometbft', 'v0.38.17')],
]);

function usageError(re: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected UsageError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'), 'message must be one line');
    return true;
  };
}

describe('parseNodeSpec', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cs-spec-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes flavor@vX.Y.Z as is', () => {
    const s = parseNodeSpec('geth@v1.17.10', flavors);
    assert.equal(s.flavor.name, 'geth');
    assert.equal(s.version, 'v1.17.10');
    assert.equal(s.binaryPath, undefined);
  });

  it('normalises flavor@X.Y.Z to vX.Y.Z and accepts pre-releases', () => {
    assert.equal(parseNodeSpec('geth@1.17.10', flavors).version, 'v1.17.10');
    assert.equal(parseNodeSpec('cometbft@v1.0.0-rc.1', flavors).version, 'v1.0.0-rc.1');
    assert.equal(parseNodeSpec('  geth@1.10.26  ', flavors).version, 'v1.10.26');
  });

  it('uses the default version for a bare flavor', () => {
    const s = parseNodeSpec('cometbft', flavors);
    assert.equal(s.flavor.name, 'cometbft');
    assert.equal(s.version, 'v0.38.17');
  });

  it('rejects unknown flavors, listing the known ones', () => {
    assert.throws(() => parseNodeSpec('reth@v1.0.0', flavors), usageError(/unknown node flavor 'reth'.*cometbft, geth/));
    assert.throws(() => parseNodeSpec('@v1.0.0', flavors), usageError(/no flavor.*cometbft, geth/));
    assert.throws(() => parseNodeSpec('Geth', flavors), usageError(/unknown node flavor 'Geth'/));
  });

  it('rejects versions that are not semver tags', () => {
    for (const bad of ['geth@latest', 'geth@v1.17', 'geth@1.17', 'geth@v1.17.10.1', 'geth@v01.2.3', 'geth@master', 'geth@v1.2.3+meta', 'geth@']) {
      assert.throws(() => parseNodeSpec(bad, flavors), usageError(/geth/), bad);
    }
  });

  it('accepts an executable file by absolute or relative path', () => {
    const bin = path.join(dir, 'geth-dev');
    writeFileSync(bin, '#!/bin/sh\necho hi\n');
    chmodSync(bin, 0o755);
    const abs = parseNodeSpec(`geth@${bin}`, flavors);
    assert.deepEqual({ v: abs.version, p: abs.binaryPath }, { v: 'custom', p: bin });

    const rel = path.relative(process.cwd(), bin);
    const relSpec = rel.startsWith('.') ? rel : `./${rel}`;
    const r = parseNodeSpec(`geth@${relSpec}`, flavors);
    assert.equal(r.binaryPath, bin);
    assert.ok(path.isAbsolute(r.binaryPath!));
  });

  it('rejects a path that is missing, a directory or not executable, naming the path', () => {
    const plain = path.join(dir, 'not-exec');
    writeFileSync(plain, 'data');
    chmodSync(plain, 0o644);
    // root can read anything, but X_OK still needs an x bit, so this also holds when tests run as root.
    assert.throws(() => parseNodeSpec(`geth@${plain}`, flavors), usageError(new RegExp(`${plain} is not executable`)));
    const missing = path.join(dir, 'nope', 'geth');
    assert.throws(() => parseNodeSpec(`geth@${missing}`, flavors), usageError(new RegExp(`${missing} does not exist`)));
    assert.throws(() => parseNodeSpec(`geth@${dir}`, flavors), usageError(/is not a regular file/));
    assert.throws(() => parseNodeSpec('geth@~/bin/geth', flavors), usageError(/'~'/));
  });
});

describe('semver helpers', () => {
  it('recognises tags', () => {
    assert.ok(isSemverTag('v1.14.8'));
    assert.ok(isSemverTag('v0.38.0-rc3'));
    assert.ok(!isSemverTag('1.14.8'));
    assert.ok(!isSemverTag('v1.14'));
  });

  it('orders versions, pre-releases before releases', () => {
    const sorted = ['v1.14.8', 'v1.10.26', 'v1.14.8-rc.1', 'v1.9.0', 'v1.14.7', 'v1.14.8-rc.10', 'v1.14.8-rc.2', 'v2.0.0'].sort(compareSemver);
    assert.deepEqual(sorted, ['v1.9.0', 'v1.10.26', 'v1.14.7', 'v1.14.8-rc.1', 'v1.14.8-rc.2', 'v1.14.8-rc.10', 'v1.14.8', 'v2.0.0']);
  });

  it('gethBuild needs -checklinkname=0 exactly before v1.14.8', () => {
    assert.equal(gethBuild.ldflags!('v1.10.26'), '-checklinkname=0');
    assert.equal(gethBuild.ldflags!('v1.13.15'), '-checklinkname=0');
    assert.equal(gethBuild.ldflags!('v1.14.7'), '-checklinkname=0');
    assert.equal(gethBuild.ldflags!('v1.14.8-rc.1'), '-checklinkname=0');
    assert.equal(gethBuild.ldflags!('v1.14.8'), undefined);
    assert.equal(gethBuild.ldflags!('v1.17.10'), undefined);
  });
});
