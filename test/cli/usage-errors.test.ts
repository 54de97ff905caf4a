// User mistakes: one line naming what is wrong, exit 2, no stack trace, nothing started.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-usage-'));

function scenarioFile(name: string, body: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, body);
  return file;
}

const valid = `export default {
  nodes: [{ name: 'geth', node: 'geth' }],
  phases: [{ name: 'flood', duration: '10s', workloads: [{ kind: 'geth-tx-flood', rate: 10, maxTxs: 100 }] }],
  budgets: { goroutineGrowth: 10 },
};`;

function assertOneLine(stderr: string, ...needles: string[]): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\bat .*\.(ts|js):\d+/, 'no stack trace');
  for (const needle of needles) assert.ok(lines[0]!.includes(needle), `"${lines[0]}" should mention ${needle}`);
}

describe('usage errors', function () {
  this.timeout(120_000);

  it('a typo in a scenario key names the file and the field', async () => {
    const file = scenarioFile('typo.ts', valid.replace("rate: 10", "rat: 10"));
    const r = await cli(['run', file]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'typo.ts', 'phases[0].workloads[0]', 'rat');
  });

  it('a bad value names the field and what was expected', async () => {
    const file = scenarioFile('bad-duration.ts', valid.replace("'10s'", "'10 parsecs'"));
    const r = await cli(['run', file]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'bad-duration.ts', 'phases[0].duration', 'duration');
  });

  it('the verdict budgets: a wrong noLeakTrend, an oomAfter with no limit, noProvenLeaks with no provenLeaks node, each one line', async () => {
    const cases: Array<[string, string[]]> = [
      ["noLeakTrend: 'strictly'", ['budgets.noLeakTrend']],
      ["oomAfter: { atLeast: '30d' }", ['budgets.oomAfter.limit', 'memLimit on every node (geth has none)']],
      ["oomAfter: { limit: '8GB', atLeast: '30 days' }", ['budgets.oomAfter.atLeast', 'duration']],
      ['noProvenLeaks: true', ['budgets.noProvenLeaks', 'provenLeaks: true']],
    ];
    for (const [budget, needles] of cases) {
      const cycles = valid.replace("duration: '10s',", "duration: '10s', cycles: 5,").replace('goroutineGrowth: 10', budget);
      const r = await cli(['run', scenarioFile('budget.ts', cycles)]);
      assert.equal(r.code, 2, budget);
      assertOneLine(r.stderr, 'budget.ts', ...needles);
    }
  });

  it('an unknown flavor option is named', async () => {
    const file = scenarioFile('bad-option.ts', valid.replace("node: 'geth' }", "node: 'geth', options: { devPerod: 2 } }"));
    const r = await cli(['run', file]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'nodes[0].options', 'devPerod');
  });

  it('an unknown workload kind lists the known ones', async () => {
    const file = scenarioFile('bad-kind.ts', valid.replace("'geth-tx-flood'", "'geth-tx-flod'"));
    const r = await cli(['run', file]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'bad-kind.ts', 'workloads[0]', 'geth-tx-flood');
  });

  it('ws-streams without clients or longLived, or with a long-lived end mode the protocol lacks, is one line', async () => {
    const streams = (fields: string) => valid.replace("{ kind: 'geth-tx-flood', rate: 10, maxTxs: 100 }", `{ kind: 'ws-streams', ${fields} }`);
    let r = await cli(['run', scenarioFile('no-streams.ts', streams("subscription: 'newHeads'"))]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'no-streams.ts', 'phases[0].workloads[0].clients', 'longLived');
    r = await cli(['run', scenarioFile('bad-long-lived-end.ts', streams("protocol: 'eth', longLived: 5, longLivedEnd: 'unsubscribe_all'"))]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'phases[0].workloads[0].longLivedEnd', 'unsubscribe_all');
  });

  it('a syntax error in the scenario file is one line', async () => {
    const file = scenarioFile('syntax.ts', 'export default {{');
    const r = await cli(['run', file]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'syntax.ts');
  });

  it('an unknown flag is one line', async () => {
    const r = await cli(['run', 'scenarios/geth-tx-flood.ts', '--durration', '5m']);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, '--durration');
  });

  it('a missing scenario file is one line', async () => {
    const r = await cli(['run', path.join(tmp, 'nope.ts')]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'nope.ts');
  });

  it('an unknown flavor in --node is one line', async () => {
    const r = await cli(['run', 'scenarios/geth-tx-flood.ts', '--node', 'parity@v2.0.0']);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'parity');
  });

  it('a geth version that does not exist is one line, exit 2', async () => {
    const r = await cli(['run', 'scenarios/geth-tx-flood.ts', '--node', 'geth@v1.99.0', '--quiet'], {
      env: { CHAINSOAK_CACHE: path.join(tmp, 'cache') },
    });
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stdout + r.stderr, /v1\.99\.0 does not exist/);
  });
});

describe('usage errors about where nodes run', function () {
  this.timeout(120_000);

  it('a container-only field on the process runtime names the field and the flag', async () => {
    const file = scenarioFile('memlimit.ts', valid.replace("node: 'geth' }", "node: 'geth', memLimit: '512MB' }"));
    const r = await cli(['run', file]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'memlimit.ts', 'nodes[0].memLimit', '--runtime container');
  });

  it('a partition on the process runtime is refused before anything is built', async () => {
    const file = scenarioFile('partition.ts', valid.replace("workloads: [", "faults: [{ at: '1s', action: 'partition', node: 'geth', for: '2s' }], workloads: ["));
    const r = await cli(['run', file], { env: { CHAINSOAK_CACHE: path.join(tmp, 'empty-cache') } });
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'partition.ts', 'phases[0].faults[0]', 'partition', '--runtime container');
  });

  it("only a partition takes 'for' among node faults", async () => {
    const file = scenarioFile('kill-for.ts', valid.replace("workloads: [", "faults: [{ at: '1s', action: 'kill', node: 'geth', for: '2s' }], workloads: ["));
    const r = await cli(['run', file]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'kill-for.ts', 'phases[0].faults[0]');
  });

  it('a link fault naming an unknown node is refused', async () => {
    const file = scenarioFile('link-node.ts', valid.replace("workloads: [", "faults: [{ at: '1s', action: 'latency', latency: '100ms', link: { node: 'gteh' } }], workloads: ["));
    const r = await cli(['run', file]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'link-node.ts', 'gteh');
  });

  it('--runtime external without URLs says what to give', async () => {
    const r = await cli(['run', 'scenarios/geth-tx-flood.ts', '--runtime', 'external']);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'nodes[0].endpoints', '--nodes');
  });

  it('a nodes file that is missing, or wrong, is one line naming it', async () => {
    const missing = await cli(['run', 'scenarios/geth-tx-flood.ts', '--runtime', 'external', '--nodes', path.join(tmp, 'none.json')]);
    assert.equal(missing.code, 2);
    assertOneLine(missing.stderr, 'none.json', 'no such file');
    const bad = path.join(tmp, 'bad-nodes.json');
    writeFileSync(bad, JSON.stringify({ nodes: [{ name: 'geth', flavor: 'geth', endpoints: { http: 'http://127.0.0.1:1' } }] }));
    const r = await cli(['run', 'scenarios/geth-tx-flood.ts', '--runtime', 'external', '--nodes', bad]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'bad-nodes.json', 'pprof');
  });

  it('an external node that does not answer is exit 3 with one line naming its URLs', async () => {
    const file = path.join(tmp, 'dead-nodes.json');
    writeFileSync(file, JSON.stringify({ nodes: [{ name: 'geth', flavor: 'geth', endpoints: { http: 'http://127.0.0.1:9', ws: 'ws://127.0.0.1:9', pprof: 'http://127.0.0.1:9' } }] }));
    const r = await cli(['run', 'scenarios/geth-tx-flood.ts', '--runtime', 'external', '--nodes', file, '--quiet', '--reports', path.join(tmp, 'reports')]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /geth: the external geth node did not answer within 20 s \(pprof http:\/\/127\.0\.0\.1:9, http http:\/\/127\.0\.0\.1:9/);
  });

  it('faults that need control of a node are refused on the external runtime', async () => {
    const file = scenarioFile('external-kill.ts', valid.replace("node: 'geth' }", "node: 'geth', endpoints: { pprof: 'http://127.0.0.1:9' } }").replace("workloads: [", "faults: [{ at: '1s', action: 'kill', node: 'geth' }], workloads: ["));
    const r = await cli(['run', file, '--runtime', 'external']);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, 'external-kill.ts', 'kill', 'external runtime');
  });
});
