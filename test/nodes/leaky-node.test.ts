/**
 * The leaky-node fixture (test/fixtures/leaky-node) against its own settings: built from source through
 * ensureBinary, started by the process runtime, driven by /op, measured the way a run measures a node
 * (snapshots: heap after a forced GC, goroutines, MemStats, RSS). About 30 s with a warm Go build cache.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diffGoroutines, diffTop } from '../../harness/analysis/index.ts';
import { UsageError } from '../../harness/errors.ts';
import { ensureBinary, sourceVersion } from '../../harness/nodes/install.ts';
import { buildLeakyNode, LEAKY_NODE_DIR, leakyNode } from '../../harness/nodes/leaky-node.ts';
import { parseNodeSpec } from '../../harness/nodes/node-spec.ts';
import { listeningAddresses } from '../helpers.ts';
import { leakyNodeBinary, startTestLeakyNode, type TestLeakyNode } from '../support/leaky-node.ts';

const WARMUP = 200;
const OPS = 2000;

/** Cumulative in-use growth of one function between two heap profiles (pprof -top -cum -diff_base). */
function cumGrowth(before: Parameters<typeof diffTop>[0], after: Parameters<typeof diffTop>[1], fn: string): number {
  return diffTop(before, after, 'inuse_space').rows.find((r) => r.function === fn)?.cum ?? 0;
}

/** Start a node, run WARMUP ops, snapshot, run `ops`, snapshot; always stops the node. */
async function measure(options: Parameters<typeof startTestLeakyNode>[0], ops = OPS, binary?: string) {
  const leaky: TestLeakyNode = await startTestLeakyNode(options, binary);
  try {
    await leaky.ops(WARMUP);
    const before = await leaky.snapshot('before');
    await leaky.ops(ops);
    const after = await leaky.snapshot('after');
    const state = await leaky.state();
    return {
      before,
      after,
      state,
      pid: leaky.node.pid()!,
      heapAlloc: after.memstats.HeapAlloc - before.memstats.HeapAlloc,
      goroutines: after.goroutines - before.goroutines,
      rss: after.rssBytes! - before.rssBytes!,
      addresses: listeningAddresses(leaky.node.pid()!),
    };
  } finally {
    await leaky.stop();
  }
}

describe('leaky-node flavor options', () => {
  const parse = (options: unknown) => leakyNode.optionsSchema.parse(options);

  it('takes leaks per pattern as numbers or sizes, and cache settings', () => {
    assert.deepEqual(parse({ leaks: { map: '4KB', goroutine: 0.1, offheap: 65536 }, cacheEntries: 10, cacheEntryBytes: '1KB' }), {
      leaks: { goroutine: 0.1, map: 4096, offheap: 65536 },
      cacheEntries: 10,
      cacheEntryBytes: 1024,
    });
  });

  it('rejects an unknown pattern, a size for goroutines, a negative amount and unknown keys', () => {
    assert.throws(() => parse({ leaks: { mpa: 1 } }));
    assert.throws(() => parse({ leaks: { goroutine: '4KB' } }), /goroutine/);
    assert.throws(() => parse({ leaks: { map: -1 } }), /map/);
    assert.throws(() => parse({ leaks: { map: 'lots' } }), /map/);
    assert.throws(() => parse({ leak: { map: 1 } }));
  });
});

describe('leaky-node (real Go fixture)', function () {
  this.timeout(240_000);
  let binary: string;

  before(async () => {
    binary = await leakyNodeBinary();
  });

  it('is built from its source: the cache version is the content hash, and build.json names the source', () => {
    assert.match(leakyNode.defaultVersion, /^src-[0-9a-f]{12}$/);
    assert.equal(path.basename(path.dirname(binary)), leakyNode.defaultVersion);
    const info = JSON.parse(readFileSync(path.join(path.dirname(binary), 'build.json'), 'utf8')) as { source?: string; version: string };
    // The cache is keyed by the source's content: a build from another checkout of the same source is reused.
    assert.ok(info.source?.endsWith(path.join('test', 'fixtures', 'leaky-node')), info.source);
    assert.equal(info.version, sourceVersion(LEAKY_NODE_DIR));
    assert.equal(info.version, leakyNode.defaultVersion);
  });

  it('a version that is not the current source is a usage error', async () => {
    await assert.rejects(ensureBinary(leakyNode.name, leakyNode.build, 'v1.0.0'), (err: unknown) => err instanceof UsageError && /built from its source/.test(err.message));
  });

  it('an edited source gets a new version and is built again', async () => {
    const src = mkdtempSync(path.join(os.tmpdir(), 'cs-leaky-src-'));
    const cache = mkdtempSync(path.join(os.tmpdir(), 'cs-leaky-cache-'));
    const saved = process.env.CHAINSOAK_CACHE;
    process.env.CHAINSOAK_CACHE = cache;
    try {
      for (const f of ['go.mod', 'go.sum', 'main.go', 'patterns.go']) cpSync(path.join(LEAKY_NODE_DIR, f), path.join(src, f));
      const recipe = { ...leakyNode.build, localDir: src };
      const v1 = sourceVersion(src);
      assert.equal(v1, leakyNode.defaultVersion, 'same files, same hash, wherever they are');
      const first = await ensureBinary(leakyNode.name, recipe, v1);
      writeFileSync(path.join(src, 'main.go'), readFileSync(path.join(src, 'main.go'), 'utf8') + '\n// edited\n');
      const v2 = sourceVersion(src);
      assert.notEqual(v2, v1);
      const second = await ensureBinary(leakyNode.name, recipe, v2);
      assert.notEqual(second, first);
      assert.ok(existsSync(first) && existsSync(second));
      assert.equal(readFileSync(path.join(src, 'go.mod'), 'utf8'), readFileSync(path.join(LEAKY_NODE_DIR, 'go.mod'), 'utf8'), 'the build left go.mod alone');
    } finally {
      if (saved === undefined) delete process.env.CHAINSOAK_CACHE;
      else process.env.CHAINSOAK_CACHE = saved;
      rmSync(src, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('a bad --leak exits 2 with one line on stderr', () => {
    for (const leak of ['map=lots', 'mpa=1', 'map', 'goroutine=-1']) {
      const r = spawnSync(binary, ['--addr', '127.0.0.1:0', '--leak', leak], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 2, `--leak ${leak}: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, `--leak ${leak}: ${r.stderr}`);
      assert.match(r.stderr, /^leaky-node: .*--leak/);
    }
    const r = spawnSync(binary, ['--addr', '0.0.0.0:0'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 2, 'a non-loopback address is refused');
  });

  it('healthy: no growth beyond noise, every port on 127.0.0.1', async () => {
    const m = await measure({});
    assert.deepEqual(m.addresses.map((a) => a.replace(/:\d+$/, '')), ['127.0.0.1']);
    assert.ok(Math.abs(m.heapAlloc) < 512 * 1024, `heap grew by ${m.heapAlloc} B over ${OPS} healthy ops`);
    assert.ok(Math.abs(m.goroutines) <= 2, `goroutines grew by ${m.goroutines}`);
    const grown = diffTop(m.before.heap, m.after.heap, 'inuse_space').rows.filter((r) => r.function.startsWith('main.') && r.cum > 256 * 1024);
    assert.deepEqual(grown, [], 'no function of the node grew by more than 256 KB');
  });

  it('map leak of N bytes/op: in-use growth is N × ops (±30%), on main.recordHeight', async () => {
    const n = 4096;
    const m = await measure({ leaks: { map: n } });
    const expected = n * OPS;
    assert.ok(Math.abs(m.heapAlloc - expected) <= 0.3 * expected, `HeapAlloc grew ${m.heapAlloc} B, expected ${expected} ±30%`);
    const inuse = diffTop(m.before.heap, m.after.heap, 'inuse_space');
    assert.ok(Math.abs(inuse.total - expected) <= 0.3 * expected, `profile inuse grew ${inuse.total} B, expected ${expected} ±30%`);
    assert.equal(inuse.rows[0]!.function, 'main.recordHeight', 'the leaking function tops the flat diff');
    assert.ok(cumGrowth(m.before.heap, m.after.heap, 'main.recordHeight') >= 0.7 * expected);
  });

  it('goroutine leak of r/op: the goroutine count grows by ops × r, parked in main.leakGoroutine', async () => {
    const m = await measure({ leaks: { goroutine: 0.5 } });
    assert.ok(Math.abs(m.goroutines - OPS * 0.5) <= 2, `goroutines grew by ${m.goroutines}, expected ${OPS * 0.5}`);
    const diff = diffGoroutines(m.before.goroutine, m.after.goroutine);
    const top = diff.topGrowth[0]!;
    assert.equal(top.entry, 'main.leakGoroutine');
    assert.equal(top.count, OPS * 0.5);
    assert.deepEqual(top.stack.slice(0, 1), ['runtime.gopark']);
  });

  it('subscription leak of N bytes/op: one goroutine per op in main.serveSubscription, holding N × ops (±30%) of heap under it', async () => {
    const n = 4096;
    const m = await measure({ leaks: { subscription: n } });
    assert.ok(Math.abs(m.goroutines - OPS) <= 2, `goroutines grew by ${m.goroutines}, expected ${OPS}`);
    const top = diffGoroutines(m.before.goroutine, m.after.goroutine).topGrowth[0]!;
    assert.equal(top.entry, 'main.serveSubscription');
    assert.equal(top.count, OPS);
    const held = cumGrowth(m.before.heap, m.after.heap, 'main.serveSubscription');
    assert.ok(Math.abs(held - n * OPS) <= 0.3 * n * OPS, `main.serveSubscription's cum grew ${held} B, expected ${n * OPS} ±30%`);
    assert.equal(m.state.leaked.subscription!.units, n * (OPS + WARMUP), 'the node leaked what was asked');
  });

  it('offheap leak: RSS grows by ≥ 80% of the mapped bytes, the heap by < 10% of them', async () => {
    const perOp = 16 * 1024;
    const m = await measure({ leaks: { offheap: perOp } });
    const mapped = perOp * OPS;
    assert.equal(m.state.leaked.offheap!.units, perOp * (OPS + WARMUP), 'the node mapped what was asked');
    assert.ok(m.rss >= 0.8 * mapped, `RSS grew by ${m.rss} B, mapped ${mapped} B`);
    assert.ok(m.heapAlloc < 0.1 * mapped && m.after.memstats.HeapInuse - m.before.memstats.HeapInuse < 0.1 * mapped, `heap grew by ${m.heapAlloc} B`);
  });

  it('buildLeakyNode bakes a leak into a distinct binary, which leaks without flags and works as leaky-node@<path>', async () => {
    const leaking = await buildLeakyNode({ leaks: { map: '2KB' } });
    assert.notEqual(leaking, binary);
    assert.match(path.basename(path.dirname(leaking)), new RegExp(`^${leakyNode.defaultVersion}-leaks-map-2048$`));
    assert.equal(await buildLeakyNode({ leaks: { map: 2048 } }), leaking, 'the same leaks are the same cached build');
    const spec = parseNodeSpec(`leaky-node@${leaking}`, new Map([[leakyNode.name, leakyNode]]));
    assert.equal(spec.binaryPath, leaking);
    const m = await measure({}, 1000, spec.binaryPath);
    assert.equal(m.state.spec, 'map=2048');
    assert.ok(Math.abs(m.heapAlloc - 2048 * 1000) <= 0.3 * 2048 * 1000, `HeapAlloc grew ${m.heapAlloc} B`);
    await assert.rejects(buildLeakyNode({ leaks: { nope: 1 } }), UsageError);
  });
});
