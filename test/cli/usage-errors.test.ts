// User mistakes that need more than a table row (a build attempt, a dead endpoint). Everything that is one
// file or one flag is a row of bad-input-corpus.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-usage-'));

describe('usage errors that need a build attempt or a dead endpoint', function () {
  this.timeout(120_000);

  it('a geth version that does not exist is one line, exit 2', async () => {
    const r = await cli(['run', 'scenarios/geth-tx-flood.ts', '--node', 'geth@v1.99.0', '--quiet'], {
      env: { CHAINSOAK_CACHE: path.join(tmp, 'cache') },
    });
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stdout + r.stderr, /v1\.99\.0 does not exist/);
  });

  it('an external node that does not answer is exit 3 with one line naming its URLs', async () => {
    const file = path.join(tmp, 'dead-nodes.json');
    writeFileSync(file, JSON.stringify({ nodes: [{ name: 'geth', flavor: 'geth', endpoints: { http: 'http://127.0.0.1:9', ws: 'ws://127.0.0.1:9', pprof: 'http://127.0.0.1:9' } }] }));
    // The node's readyTimeout bounds the wait (the 20 s cap on the default is the compose devnet test's).
    const scenario = path.join(tmp, 'external-dead.ts');
    writeFileSync(
      scenario,
      `export default {
  nodes: [{ name: 'geth', node: 'geth', readyTimeout: '3s' }],
  phases: [{ name: 'flood', duration: '10s', workloads: [{ kind: 'geth-tx-flood', rate: 10, maxTxs: 100 }] }],
  budgets: { goroutineGrowth: 10 },
};`,
    );
    const r = await cli(['run', scenario, '--runtime', 'external', '--nodes', file, '--quiet', '--reports', path.join(tmp, 'reports')]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /geth: the external geth node did not answer within 3 s \(pprof http:\/\/127\.0\.0\.1:9, http http:\/\/127\.0\.0\.1:9/);
  });
});
