// The nightly form: every scenario in a folder, one JUnit file for all, the worst exit code wins.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, processesMatching } from '../helpers.ts';

function zombieScenario(name: string, clients: number, goroutineGrowth: number): string {
  return `export default {
  name: '${name}',
  nodes: [{ name: 'geth', node: 'geth' }],
  warmup: '3s',
  phases: [{ name: 'hold', duration: '5s', workloads: [{ kind: 'geth-ws-zombies', clients: ${clients} }] }],
  cooldown: '1s',
  budgets: { goroutineGrowth: ${goroutineGrowth} },
};\n`;
}

describe('a folder of scenarios (the nightly job)', function () {
  this.timeout(300_000);

  it('runs each, writes one JUnit file with a suite per scenario, exits 1 when one budget fails', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-folder-'));
    const scenarios = path.join(dir, 'scenarios');
    const reports = path.join(dir, 'reports');
    const junit = path.join(dir, 'junit.xml');
    mkdirSync(scenarios);
    writeFileSync(path.join(scenarios, 'a-holds.ts'), zombieScenario('a-holds', 2, 200));
    writeFileSync(path.join(scenarios, 'b-fails.ts'), zombieScenario('b-fails', 10, 5));
    const r = await cli(['run', scenarios, '--junit', junit, '--reports', reports, '--quiet']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /a-holds: PASS \(exit 0\)/);
    assert.match(r.stdout, /b-fails: FAIL \(exit 1\)/);
    const xml = readFileSync(junit, 'utf8');
    assert.equal((xml.match(/<testsuite /g) ?? []).length, 2);
    assert.match(xml, /<testsuite name="chainsoak.a-holds"[^>]*failures="0"/);
    assert.match(xml, /<testsuite name="chainsoak.b-fails"[^>]*failures="1"/);
    assert.deepEqual(processesMatching(reports), []);
  });
});
