/**
 * The oldest releases chainsoak supports build and run: geth v1.10.0 and v1.10.8 (built with cgo, statically
 * linked: go-duktape does not build without it), Tendermint v0.34.0 and CometBFT v0.37.0 (pure Go). Each
 * builds once into the cache (geth about 1.5 minutes cold on 2 cores, the others under a minute), then runs
 * a short scenario. The cgo fallback itself is shown on a tiny module of its own (a few seconds).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario, type RunResult, type ScenarioInput } from 'chainsoak';
import { InfraError } from '../../harness/errors.ts';
import { gethVersions } from '../../harness/nodes/geth-versions.ts';
import { buildRecordOf, ensureBinary, sourceVersion } from '../../harness/nodes/install.ts';
import { dockerStatus } from '../../harness/runtimes/docker/index.ts';
import { linkage } from '../../harness/runtimes/elf.ts';
import { traitsFor } from '../../harness/nodes/version-table.ts';
import cometSingleFlood from '../../scenarios/comet-single-flood.ts';
import { cli, processesMatching, repoRoot, withEnv } from '../helpers.ts';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-old-releases-'));

/** A Go module whose main package calls a function defined only in its cgo file. */
function moduleNeedingCgo(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cs-needs-cgo-'));
  writeFileSync(path.join(dir, 'go.mod'), 'module example.com/needscgo\n\ngo 1.21\n');
  writeFileSync(path.join(dir, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(answer()) }\n');
  writeFileSync(path.join(dir, 'answer.go'), 'package main\n\n// static int answer42(void) { return 42; }\nimport "C"\n\nfunc answer() int { return int(C.answer42()) }\n');
  return dir;
}

/** The run was judged: no harness error, its exit code is its budgets' verdict. */
function assertJudged(result: RunResult): void {
  assert.ok(!result.error, JSON.stringify(result.error));
  assert.ok(result.exitCode === 0 || result.exitCode === 1, `exit ${result.exitCode}`);
  assert.equal(result.exitCode === 0, result.budgets.every((b) => b.pass), JSON.stringify(result.budgets));
  assert.deepEqual(processesMatching(result.reportDir), [], 'no node process left behind');
}

describe('old releases', function () {
  this.timeout(20 * 60_000);

  describe('a build that needs cgo', () => {
    let cache: string;
    let source: string;
    beforeEach(() => {
      cache = mkdtempSync(path.join(os.tmpdir(), 'cs-cache-cgo-'));
      source = moduleNeedingCgo();
    });
    afterEach(() => {
      rmSync(cache, { recursive: true, force: true });
      rmSync(source, { recursive: true, force: true });
    });
    const recipe = () => ({ module: 'example.com/needscgo', cmdPath: '.', binary: 'needscgo', localDir: source });

    it('is built again with cgo, statically linked, and its record says why', async () => {
      const lines: string[] = [];
      const binary = await withEnv({ CHAINSOAK_CACHE: cache, CGO_ENABLED: undefined }, async () => {
        return ensureBinary('needscgo', recipe(), sourceVersion(source), { onProgress: (l) => lines.push(l) });
      });
      assert.equal(execFileSync(binary, { encoding: 'utf8' }).trim(), '42');
      const record = buildRecordOf(binary);
      assert.ok(record);
      assert.equal(record.cgoEnabled, '1');
      assert.deepEqual(record.cgoNeededBy, ['example.com/needscgo']);
      assert.equal(record.linkage, 'static');
      assert.equal(await linkage(binary), 'static');
      assert.ok(lines.some((l) => /example\.com\/needscgo does not build without cgo/.test(l)), lines.join('\n'));
    });

    it('fails with a hint when the environment says CGO_ENABLED=0', async () => {
      await withEnv({ CHAINSOAK_CACHE: cache, CGO_ENABLED: '0' }, async () => {
        await assert.rejects(ensureBinary('needscgo', recipe(), sourceVersion(source)), (err: unknown) => {
          assert.ok(err instanceof InfraError);
          assert.match(err.message, /example\.com\/needscgo needs cgo: unset CGO_ENABLED=0/);
          return true;
        });
      });
    });

    it('a compile error that is not about cgo is not retried with cgo', async () => {
      writeFileSync(path.join(source, 'answer.go'), 'package main\n\nfunc answer() int { return missing }\n');
      const lines: string[] = [];
      await withEnv({ CHAINSOAK_CACHE: cache, CGO_ENABLED: undefined }, async () => {
        await assert.rejects(ensureBinary('needscgo', recipe(), sourceVersion(source), { onProgress: (l) => lines.push(l) }), InfraError);
      });
      assert.ok(!lines.some((l) => /with cgo/.test(l)), lines.join('\n'));
    });
  });

  describe('version tables', () => {
    it("geth's flags per line: authrpc from v1.10.17, dev.gaslimit from v1.10.13, simulated beacon from v1.12.1", () => {
      const at = (v: string) => traitsFor(gethVersions, v);
      assert.deepEqual(at('v1.10.0'), { authRpc: false, devGasLimit: false, devConsensus: 'clique' });
      assert.deepEqual(at('v1.10.8'), { authRpc: false, devGasLimit: false, devConsensus: 'clique' });
      assert.deepEqual(at('v1.10.16'), { authRpc: false, devGasLimit: true, devConsensus: 'clique' });
      assert.deepEqual(at('v1.11.6'), { authRpc: true, devGasLimit: true, devConsensus: 'clique' });
      assert.deepEqual(at('v1.12.0'), { authRpc: true, devGasLimit: true, devConsensus: 'clique' });
      assert.deepEqual(at('v1.17.10'), { authRpc: true, devGasLimit: true, devConsensus: 'simulated-beacon' });
    });

    it('a release older than the oldest supported one is refused before anything is built (exit 2, one line)', async () => {
      for (const [node, oldest] of [['geth@v1.9.25', 'v1.10.0'], ['cometbft@v0.34.27', 'v0.37.0'], ['tendermint@v0.33.9', 'v0.34.0']] as const) {
        const r = await cli(['nodes', 'install', node]);
        assert.equal(r.code, 2, r.stderr);
        const lines = r.stderr.trim().split('\n');
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0]!, new RegExp(`older than ${oldest.replace(/\./g, '\\.')}`));
      }
    });
  });

  for (const version of ['v1.10.0', 'v1.10.8']) {
    it(`geth ${version}: built with cgo (go-duktape), runs the default scenario and is judged`, async () => {
      const result = await runScenario(path.join(repoRoot, 'scenarios/geth-tx-flood.ts'), { node: `geth@${version}`, durationMs: 15_000, reportsDir });
      assertJudged(result);
      const [node] = result.nodes;
      assert.ok(node);
      assert.equal(node.version, version);
      assert.equal(node.build?.cgo, true);
      assert.deepEqual(node.build?.cgoNeededBy, ['gopkg.in/olebedev/go-duktape.v3']);
      assert.equal(node.build?.linkage, 'static');
      assert.ok(node.heap.after.inuseBytes > 1e6 && node.goroutines.after > 10);
      const [flood] = result.workloads;
      assert.ok(flood && flood.accepted > 500, `accepted ${flood?.accepted}`);
      assert.equal(flood.failed, 0);
      assert.equal(Number(flood.extra?.included), flood.accepted, 'every accepted transaction was mined');
      // The console's start line says how the node was built.
      const started = result.events.find((e) => e.kind === 'node-started');
      assert.match(started?.detail ?? '', /\(built with cgo: gopkg\.in\/olebedev\/go-duktape\.v3 needs it; statically linked\)/);
    });
  }

  it('geth v1.10.0 in a FROM scratch container: the static cgo build runs there too', async function () {
    const status = await dockerStatus();
    if (!status.ok) {
      console.log(`      skipped: ${status.reason}`);
      this.skip();
    }
    const result = await runScenario(path.join(repoRoot, 'scenarios/geth-tx-flood.ts'), { node: 'geth@v1.10.0', runtime: 'container', durationMs: 15_000, reportsDir });
    assertJudged(result);
    assert.equal(result.nodes[0]?.build?.linkage, 'static');
    assert.ok(result.nodes[0]?.image, 'ran from an image');
    const [flood] = result.workloads;
    assert.ok(flood && flood.accepted > 500 && flood.failed === 0, JSON.stringify(flood));
  });

  it('geth v1.10.0: a dev gasLimit needs --dev.gaslimit (v1.10.13+): exit 2 naming it', async () => {
    const scenario: ScenarioInput = {
      name: 'old-geth-gaslimit',
      nodes: [{ name: 'geth', node: 'geth@v1.10.0', options: { gasLimit: 30_000_000 } }],
      phases: [{ name: 'flood', duration: '2s', workloads: [{ kind: 'geth-tx-flood', rate: 1, senders: 1, maxTxs: 1 }] }],
      budgets: { errorRate: 0 },
    };
    const result = await runScenario(scenario, { reportsDir });
    assert.equal(result.exitCode, 2, JSON.stringify(result.error));
    assert.match(result.error?.message ?? '', /--dev\.gaslimit, which geth v1\.10\.0 does not have/);
  });

  for (const node of ['tendermint@v0.34.0', 'cometbft@v0.37.0']) {
    it(`${node}: builds pure Go and runs a flood with chainsoak's config`, async () => {
      const scenario: ScenarioInput = { ...cometSingleFlood, nodes: cometSingleFlood.nodes!.map((n) => ({ ...n, node })) };
      const result = await runScenario(scenario, { durationMs: 15_000, reportsDir });
      assertJudged(result);
      const [report] = result.nodes;
      assert.ok(report);
      assert.equal(report.build?.cgo, false);
      assert.equal(await linkage(report.binary), 'static');
      const [flood] = result.workloads;
      assert.ok(flood && flood.accepted > 100, `accepted ${flood?.accepted}`);
    });
  }
});
