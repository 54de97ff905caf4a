// Expected exits without nodes: which exits a fired fault claims, the result rows they become, the
// figures a node leaves behind, and the scenario checks on `expect`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExpectedExits, describeLastFigures, expectedExitResults, lastFigures } from '../../harness/faults/expected-exits.ts';
import { planFaults } from '../../harness/faults/timeline.ts';
import type { Sample } from '../../harness/result/types.ts';
import { validateScenario } from '../../harness/scenario/load.ts';

const exit = (code: number | null, signal: NodeJS.Signals | null = null) => ({ code, signal, expected: false });

describe('expected exits', () => {
  it('claims only an armed node, once, and records when it went', () => {
    let now = 1_000;
    const exits = new ExpectedExits(() => now);
    assert.equal(exits.claim('comet', exit(1)), false, 'an exit before the fault is a crash');
    exits.arm({ node: 'app', description: 'reset_peer on the abci links of app' }, ['comet']);
    now = 3_500;
    assert.equal(exits.claim('other', exit(1)), false, 'a node the fault did not name');
    assert.equal(exits.claim('comet', exit(1)), true);
    assert.equal(exits.claim('comet', exit(1)), false, 'a second exit (after a restart) is a crash again');
    assert.deepEqual(exits.records, [{ node: 'comet', fault: 'reset_peer on the abci links of app', faultNode: 'app', faultAt: 1_000, exited: true, exitAt: 3_500, code: 1, signal: null }]);
    const report = exits.report('/nonexistent', new Set(['app']), []);
    assert.deepEqual(report.figures, [{ node: 'comet', state: { running: false, exitAt: 3_500, code: 1, signal: null } }, { node: 'app', state: { running: true } }]);
  });

  it('judges each record: pass when the node went after its fault, fail when it ran on', () => {
    const exits = new ExpectedExits(() => 0);
    exits.arm({ node: 'app', description: 'kill app' }, ['comet', 'comet2']);
    exits.claim('comet', exit(null, 'SIGTERM'));
    const [went, stayed] = expectedExitResults(exits.records);
    assert.equal(went!.pass, true);
    assert.equal(went!.message, 'exited 0.0 s after kill app (killed by SIGTERM)');
    assert.equal(stayed!.pass, false);
    assert.equal(stayed!.message, 'did not exit after kill app (by the end of the run)');
    exits.arm({ node: 'app', description: 'kill app again' }, ['comet', 'comet2']);
    assert.equal(exits.records.length, 3, 'comet2, still awaited, keeps its record; comet, gone, gets a new one');
  });

  it("reads a node's last sample and newest heap profile", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-exits-'));
    try {
      mkdirSync(path.join(dir, 'profiles', 'comet'), { recursive: true });
      for (const [name, age] of [['heap-before.pb.gz', 60], ['heap-cycle-1.pb.gz', 30], ['goroutine-cycle-2.pb.gz', 0]] as const) {
        const file = path.join(dir, 'profiles', 'comet', name);
        writeFileSync(file, '');
        const t = Date.now() / 1000 - age;
        utimesSync(file, t, t);
      }
      const sample = (node: string, t: number, heapInuse: number): Sample => ({ node, t, phase: 'p', heapInuse, heapAlloc: heapInuse, sys: 2 * heapInuse, numGC: 1, totalAlloc: 0, goroutines: 40, rss: 3 * heapInuse, trigger: 'interval' });
      const samples = [sample('comet', 1_000, 10e6), sample('comet', 2_000, 20e6), sample('app', 3_000, 99e6)];
      const figures = lastFigures(dir, 'comet', samples, { running: false, exitAt: 2_500, code: 1, signal: null });
      assert.equal(figures.lastSample?.t, 2_000);
      assert.equal(figures.lastSample?.heapInuse, 20e6);
      assert.equal(figures.lastProfile, path.join('profiles', 'comet', 'heap-cycle-1.pb.gz'));
      assert.deepEqual(lastFigures(dir, 'gone', samples, { running: false }), { node: 'gone', state: { running: false } });
      const [line] = describeLastFigures({ figures: [figures] });
      assert.equal(line, 'comet: exited at 2.5 s (exit code 1); last sample at 2.0 s: heap 19.1 MB in use, 40 goroutines, RSS 57.2 MB; last profile profiles/comet/heap-cycle-1.pb.gz');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const scenario = (expect: unknown) => ({
    nodes: [{ name: 'a', node: 'cometbft' }, { name: 'b', node: 'cometbft' }],
    phases: [{ name: 'p', duration: '30s', faults: [{ at: '5s', action: 'kill', node: 'a', expect }] }],
    budgets: { goroutineGrowth: 10 },
  });

  it('takes expect on node and link faults, and carries it into the planned fault', () => {
    const s = validateScenario(scenario({ nodeExits: ['b'] }), 'x.ts');
    assert.deepEqual(planFaults(s.phases[0]!.faults, 1, 'p', 1)[0]!.expect, ['b']);
    const link = validateScenario({ ...scenario(undefined), phases: [{ name: 'p', duration: '30s', faults: [{ at: '5s', action: 'reset_peer', link: { node: 'a', of: 'abci' }, expect: { nodeExits: ['b'] } }] }] }, 'x.ts');
    assert.deepEqual(planFaults(link.phases[0]!.faults, 1, 'p', 1)[0]!.expect, ['b']);
  });

  it('refuses an expected exit of a node the scenario does not have, and an empty or misspelt expect', () => {
    assert.throws(() => validateScenario(scenario({ nodeExits: ['c'] }), 'x.ts'), /^UsageError: x\.ts: phases\[0\]\.faults\[0\]\.node: no node named "c"/);
    assert.throws(() => validateScenario(scenario({ nodeExits: [] }), 'x.ts'), /nodeExits/);
    assert.throws(() => validateScenario(scenario({ nodeExit: ['b'] }), 'x.ts'), /nodeExit/);
    assert.throws(() => validateScenario(scenario({ nodeExits: ['a'] }), 'x.ts'), /faults\[0\]\.expect\.nodeExits: a is the node this fault acts on/);
  });
});
