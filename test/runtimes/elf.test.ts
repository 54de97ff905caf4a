// A FROM scratch image runs only static binaries: chainsoak tells them apart before building one.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { linkage } from '../../harness/runtimes/elf.ts';
import { repoRoot } from '../helpers.ts';
import { leakyNodeBinary } from '../support/leaky-node.ts';

describe('ELF linkage', function () {
  this.timeout(300_000);

  it('a pure-Go build is static, a libc program dynamic, a script not ELF', async () => {
    assert.equal(await linkage(await leakyNodeBinary()), 'static');
    const ls = ['/bin/ls', '/usr/bin/ls'].find((f) => existsSync(f));
    if (ls) assert.equal(await linkage(ls), 'dynamic');
    assert.equal(await linkage(path.join(repoRoot, 'harness', 'bin.mjs')), 'not-elf');
    assert.equal(await linkage(process.execPath), 'dynamic', 'node itself needs libc');
  });
});
