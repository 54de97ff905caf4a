// Load split across processes (docs/distributed-load.md): two `chainsoak load --segment` processes against
// one running node, and the judging run that folds their stats. Real nodes, real processes.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeWorkload } from '../../harness/load/merge.ts';
import { statsFileName, type LoadStatsFile } from '../../harness/load/stats-file.ts';
import type { RunSummary } from '../../harness/report/summary.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { spawn } from 'node:child_process';
import { bin, cli, repoRoot, type CliResult } from '../helpers.ts';
import { startTestComet } from '../support/comet.ts';
import { startTestGeth } from '../support/geth.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-segments-'));
writeFileSync(path.join(tmp, 'package.json'), '{ "type": "module" }\n');

/** A scenario file attached to the node by name, one phase of one flood. */
function scenarioFile(name: string, node: { name: string; node: string }, phase: string, workload: Record<string, unknown>, warmup = '1s'): string {
  const file = path.join(tmp, `${name}.ts`);
  const scenario = { name, runtime: 'external', seed: 3, nodes: [node], warmup, phases: [{ name: 'flood', duration: phase, workloads: [workload] }], cooldown: '1s', budgets: { goroutineGrowth: 200 } };
  writeFileSync(file, `export default ${JSON.stringify(scenario, null, 2)};\n`);
  return file;
}

function nodesFile(name: string, node: RunningNode, flavor: string): string {
  const file = path.join(tmp, `${name}.nodes.json`);
  const { http, rpc, pprof } = node.endpoints;
  writeFileSync(file, JSON.stringify({ nodes: [{ name, flavor, endpoints: { pprof, ...(http ? { http } : {}), ...(rpc ? { rpc } : {}) } }] }));
  return file;
}

const load = (scenario: string, nodes: string, segment: string, stats: string): Promise<CliResult> =>
  cli(['load', scenario, '--runtime', 'external', '--nodes', nodes, '--segment', segment, '--load-stats', stats, '--quiet'], { timeoutMs: 180_000 });

function statsIn(dir: string, scenario: string, index: number, count: number): LoadStatsFile {
  return JSON.parse(readFileSync(path.join(dir, statsFileName(scenario, { index, count })), 'utf8')) as LoadStatsFile;
}

describe('load segments across processes (real nodes)', function () {
  this.timeout(300_000);
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('geth-tx-flood: 1/2 and 2/2 each send half the rate, with disjoint senders and no nonce error; the judging run folds them', async () => {
    const g = await startTestGeth({ devPeriod: 1 });
    try {
      const rate = 100;
      const scenario = scenarioFile('segments-geth', { name: 'geth0', node: 'geth' }, '15s', { kind: 'geth-tx-flood', rate, senders: 10, maxTxs: 100_000 }, '6s');
      const nodes = nodesFile('geth0', g.node, 'geth');
      const dir = mkdtempSync(path.join(tmp, 'geth-stats-'));
      const reports = path.join(tmp, 'reports');
      // The judging run and both segments start together, as a CI matrix or a Kubernetes Job starts them.
      const [judge, one, two] = await Promise.all([
        cli(['run', scenario, '--nodes', nodes, '--load-stats', dir, '--reports', reports, '--quiet', '--json'], { timeoutMs: 240_000 }),
        load(scenario, nodes, '1/2', dir),
        load(scenario, nodes, '2/2', dir),
      ]);
      assert.equal(one.code, 0, one.stderr);
      assert.equal(two.code, 0, two.stderr);
      const parts = [statsIn(dir, 'segments-geth', 0, 2), statsIn(dir, 'segments-geth', 1, 2)];
      const [a, b] = parts.map((p) => p.workloads[0]!);
      for (const [i, w] of [a!, b!].entries()) {
        console.log(`      segment ${i + 1}/2: sent ${w.sent}, accepted ${w.accepted}, failed ${w.failed}, ${w.achievedRate} tx/s, senders ${w.extra!.senders}, included ${w.extra!.included}, p95 ${w.latency?.p95Ms} ms`);
        assert.equal(w.failed, 0, `no nonce or funding error: ${w.errors.join('; ')}`);
        assert.equal(w.extra!.senders, 5, 'half the senders each');
        assert.equal(w.extra!.targetRate, rate / 2);
        assert.ok(w.achievedRate >= (rate / 2) * 0.85 && w.achievedRate <= (rate / 2) * 1.1, `about half the rate: ${w.achievedRate}`);
        assert.ok(Number(w.extra!.included) >= w.accepted * 0.95, 'their transactions made it into blocks');
      }
      const sum = a!.achievedRate + b!.achievedRate;
      assert.ok(sum >= rate * 0.85, `together the declared rate: ${sum}`);

      assert.equal(judge.code, 0, judge.stderr);
      const summary = (JSON.parse(judge.stdout) as RunSummary[])[0]!;
      const folded = summary.workloads[0]!;
      assert.equal(folded.sent, a!.sent + b!.sent);
      assert.equal(folded.accepted, a!.accepted + b!.accepted);
      assert.equal(folded.failed, 0);
      // The merged latency is the one from both histograms, not an average of percentiles.
      assert.deepEqual(folded.latency, mergeWorkload([a!, b!]).latency);
      assert.equal(summary.segments!.count, 2);
      assert.deepEqual(summary.segments!.folded, ['1/2', '2/2']);
      assert.deepEqual(summary.segments!.missing, []);
      assert.equal(summary.segments!.parts.filter((p) => p.beforeRun).length, 0, 'both were sent during the run');
      assert.ok(summary.nodes[0]!.heap.after.inuseBytes > 0, 'the judging run took the profiles');
      // The segments prepared (funded, signed) inside the warm-up: their load ran in the judging run's window.
      const floodAt = Date.parse(summary.startedAt) + summary.events.find((e) => e.kind === 'phase' && e.detail?.startsWith('flood'))!.t;
      for (const p of parts) {
        console.log(`      segment ${p.segment} started ${Date.parse(p.startedAt) - floodAt} ms after the judging run's phase`);
        assert.ok(Math.abs(Date.parse(p.startedAt) - floodAt) < 3_000, 'the segment sent in the judging run\'s phase');
      }
      const json = readFileSync(path.join(summary.reportDir, 'summary.json'), 'utf8');
      assert.match(json, /"folded": \[\s*"1\/2",\s*"2\/2"\s*\]/);
      assert.match(judge.stderr, /load segments: 2 of 2 folded \(1\/2, 2\/2\)/, 'the verdict table names the segments');
      const html = readFileSync(path.join(summary.reportDir, 'report.html'), 'utf8');
      assert.match(html, /<section id="segments">.*<td>1\/2<\/td>.*<td>2\/2<\/td>/s);
      console.log(`      judging run: sent ${folded.sent}, accepted ${folded.accepted}, ${folded.achievedRate} tx/s, p95 ${folded.latency?.p95Ms} ms`);
    } finally {
      await g.stop();
    }
  });

  it('a load interrupted mid-phase exits 130 and still writes what it sent', async () => {
    const g = await startTestGeth({ devPeriod: 1 });
    try {
      const scenario = scenarioFile('segments-interrupted', { name: 'geth0', node: 'geth' }, '60s', { kind: 'geth-tx-flood', rate: 20, senders: 4, maxTxs: 10_000 });
      const nodes = nodesFile('geth0', g.node, 'geth');
      const dir = mkdtempSync(path.join(tmp, 'interrupted-stats-'));
      const child = spawn(process.execPath, [bin, 'load', scenario, '--nodes', nodes, '--segment', '2/2', '--load-stats', dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      // Interrupt once the phase is under way (its progress line says the senders are funded).
      const deadline = Date.now() + 60_000;
      while (!/senders funded/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 4_000));
      child.kill('SIGINT');
      assert.equal(await exited, 130, output);
      const stats = statsIn(dir, 'segments-interrupted', 1, 2);
      assert.equal(stats.exitCode, 130);
      assert.match(stats.error!, /interrupted/);
      const w = stats.workloads[0]!;
      console.log(`      interrupted segment 2/2: sent ${w.sent} in ${w.durationMs} ms`);
      assert.ok(w.sent >= 20 && w.sent < 20 * 30, `what it sent until the interrupt: ${w.sent}`);
    } finally {
      await g.stop();
    }
  });

  it('comet-tx-flood: 1/2 and 2/2 send disjoint keys (no "tx already exists in cache"), every tx of both committed', async () => {
    const net = await startTestComet();
    try {
      const node = net.nodes[0]!;
      const scenario = scenarioFile('segments-comet', { name: 'cometbft0', node: 'cometbft' }, '10s', { kind: 'comet-tx-flood', rate: 100, maxTxs: 100_000, mode: 'sync' });
      const nodes = nodesFile('cometbft0', node, 'cometbft');
      const dir = mkdtempSync(path.join(tmp, 'comet-stats-'));
      // The same seed and the same start height: without the segment in the keys, both would send the same txs.
      const [one, two] = await Promise.all([load(scenario, nodes, '1/2', dir), load(scenario, nodes, '2/2', dir)]);
      assert.equal(one.code, 0, one.stderr);
      assert.equal(two.code, 0, two.stderr);
      const [a, b] = [statsIn(dir, 'segments-comet', 0, 2), statsIn(dir, 'segments-comet', 1, 2)].map((p) => p.workloads[0]!);
      for (const [i, w] of [a!, b!].entries()) {
        console.log(`      segment ${i + 1}/2: sent ${w.sent}, accepted ${w.accepted}, failed ${w.failed}, committed ${w.extra!.committed}, ${w.achievedRate} tx/s, salt ${w.extra!.salt}`);
        assert.equal(w.failed, 0, w.errors.join('; '));
        assert.ok(!w.errors.some((e) => /already exists in cache/.test(e)));
        assert.ok(w.achievedRate >= 50 * 0.85, `about half the rate: ${w.achievedRate}`);
        // Each counts only its own tag's txs in the blocks: both sets committed means both were distinct.
        assert.equal(w.extra!.committed, w.accepted, 'every accepted tx of the segment is in a block');
      }
      assert.match(String(a!.extra!.salt), /-s1of2$/, 'the segment is in the keys');
      assert.match(String(b!.extra!.salt), /-s2of2$/);
      assert.deepEqual(readdirSync(dir).sort(), [statsFileName('segments-comet', { index: 0, count: 2 }), statsFileName('segments-comet', { index: 1, count: 2 })]);
    } finally {
      await net.stop();
    }
  });
});
