// The package entry points in a checkout (no build): 'chainsoak' is the public API of harness/index.ts,
// and a scenario file importing it gets the instance of the runner that loads it, not a second copy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as entry from 'chainsoak';
import * as mochaEntry from 'chainsoak/mocha';
import * as api from '../../harness/index.ts';
import * as mochaHelpers from '../../harness/library/mocha.ts';
import { repoRoot } from '../helpers.ts';

describe('package entry points', () => {
  it("'chainsoak' lists every value harness/index.ts exports, as the same objects", () => {
    assert.deepEqual(Object.keys(entry).sort(), Object.keys(api).sort());
    for (const [name, value] of Object.entries(api)) assert.equal((entry as Record<string, unknown>)[name], value, name);
  });

  it("'chainsoak/mocha' lists the mocha helpers, as the same objects", () => {
    assert.deepEqual(Object.keys(mochaEntry).sort(), Object.keys(mochaHelpers).sort());
    for (const [name, value] of Object.entries(mochaHelpers)) assert.equal((mochaEntry as Record<string, unknown>)[name], value, name);
  });

  it("a scenario file's import 'chainsoak' is the runner's instance (error classes, flavor registry)", () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx/esm', 'test/fixtures/package/load-and-compare.ts', 'test/fixtures/package/sees-api.ts'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { loaded: true, sameErrors: true, sameRegistry: true });
  });

  it('the CLI runs in a checkout without a build step', () => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'harness', 'bin.mjs'), 'run', '--help'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Usage: chainsoak run/);
  });
});
