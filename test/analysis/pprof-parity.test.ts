/**
 * Parity with the real `go tool pprof`: every function's flat and cum, the row order, the inline
 * markers and the header totals of our tables must equal what pprof prints for the same files. The
 * expected values come only from running the tool; nothing here is hard-coded.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Function as PFunction, Line, Location, Mapping, Profile as PProfile, Sample, StringTable, ValueType } from 'pprof-format';
import { diffTop, goroutineGroups, readProfile, top, type TopTable } from '../../harness/analysis/index.ts';
import { pprofTop, runPprof, splitMarker, type PprofTable } from '../support/pprof.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'geth');

/** `go tool pprof -traces`, grouped by stack of function names (the way goroutineGroups groups). */
function pprofTraceGroups(cwd: string, file: string): Map<string, number> {
  const out = runPprof(['-traces', file], cwd);
  const blocks = out.split(/^-+\+-+$/m).slice(1);
  const groups = new Map<string, number>();
  for (const block of blocks) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    const valueAt = lines.findIndex((l) => /^\s*-?\d+\s{3}\S/.test(l));
    if (valueAt < 0) continue;
    const first = /^\s*(-?\d+)\s{3}(.+)$/.exec(lines[valueAt])!;
    const stack = [splitMarker(first[2]).name, ...lines.slice(valueAt + 1).map((l) => splitMarker(l.trim()).name)];
    const key = stack.join('\n');
    groups.set(key, (groups.get(key) ?? 0) + Number(first[1]));
  }
  return groups;
}

function assertSameTable(ours: TopTable, theirs: PprofTable, what: string): void {
  assert.ok(theirs.rows.length > 0, `${what}: pprof printed no rows`);
  assert.equal(ours.rows.length, theirs.rows.length, `${what}: row count`);
  for (let i = 0; i < theirs.rows.length; i++) {
    assert.deepEqual(ours.rows[i], theirs.rows[i], `${what}: row ${i}`);
  }
  assert.equal(ours.total, theirs.total, `${what}: total ("accounting for")`);
  assert.equal(ours.baseTotal, theirs.baseTotal, `${what}: base total ("of ... total")`);
}

// ---------------------------------------------------------------------------------------------------
// A synthetic pair that exercises what the geth fixtures may not: recursion, partial inlining,
// negative growth, functions whose growth nets to zero, zero-value samples, values above 2^32.

function syntheticProfile(samples: Array<{ stack: number[]; bytes: number; objects: number }>): Uint8Array {
  const st = new StringTable();
  const fn = (id: number, name: string) => new PFunction({ id, name: st.dedup(name), systemName: st.dedup(name), filename: st.dedup('/src/synth.go') });
  const functions = [
    fn(1, 'main.main'),
    fn(2, 'synth.(*Server).handle'),
    fn(3, 'synth.decode'), // inlined into handle at location 3, called normally at location 6
    fn(4, 'synth.walk'), // recursive
    fn(5, 'synth.alloc'),
    fn(6, 'runtime.mallocgc'),
    fn(7, 'synth.cache.put'),
    fn(8, 'synth.idle'),
  ];
  const line = (functionId: number, l: number) => new Line({ functionId, line: l });
  const locations = [
    new Location({ id: 1, mappingId: 1, address: 0x1000, line: [line(1, 10)] }),
    new Location({ id: 2, mappingId: 1, address: 0x2000, line: [line(2, 20)] }),
    new Location({ id: 3, mappingId: 1, address: 0x3000, line: [line(3, 31), line(2, 30)] }),
    new Location({ id: 4, mappingId: 1, address: 0x4000, line: [line(4, 40)] }),
    new Location({ id: 5, mappingId: 1, address: 0x5000, line: [line(5, 50)] }),
    new Location({ id: 6, mappingId: 1, address: 0x6000, line: [line(3, 60)] }),
    new Location({ id: 7, mappingId: 1, address: 0x7000, line: [line(6, 70), line(7, 71), line(5, 72)] }),
    new Location({ id: 8, mappingId: 1, address: 0x8000, line: [line(4, 41)] }),
    new Location({ id: 9, mappingId: 1, address: 0x9000, line: [line(8, 90)] }),
  ];
  const profile = new PProfile({
    sampleType: [
      new ValueType({ type: st.dedup('inuse_objects'), unit: st.dedup('count') }),
      new ValueType({ type: st.dedup('inuse_space'), unit: st.dedup('bytes') }),
    ],
    periodType: new ValueType({ type: st.dedup('space'), unit: st.dedup('bytes') }),
    period: 524288,
    mapping: [new Mapping({ id: 1, memoryStart: 0x1000, memoryLimit: 0x100000, filename: st.dedup('/bin/synth'), hasFunctions: true, hasFilenames: true, hasLineNumbers: true, hasInlineFrames: true })],
    location: locations,
    function: functions,
    sample: samples.map((s) => new Sample({ locationId: s.stack, value: [s.objects, s.bytes] })),
    stringTable: st,
    defaultSampleType: st.dedup('inuse_space'),
  });
  return gzipSync(profile.encode());
}

const SYNTH_BEFORE = [
  { stack: [5, 4, 8, 4, 2, 1], bytes: 4096, objects: 4 }, // alloc <- walk <- walk <- walk (recursion)
  { stack: [3, 1], bytes: 1000, objects: 2 }, // decode inlined into handle
  { stack: [7, 2, 1], bytes: 2 ** 33 + 5, objects: 70_000 }, // > 2^32: 5-byte varints
  { stack: [5, 1], bytes: 9000, objects: 9 }, // alloc straight from main; gone after => negative
  { stack: [9, 2, 1], bytes: 500, objects: 1 }, // idle: same before and after => row dropped
  { stack: [6, 1], bytes: 0, objects: 0 }, // zero sample
];
const SYNTH_AFTER = [
  { stack: [5, 4, 8, 4, 2, 1], bytes: 8192, objects: 8 },
  { stack: [5, 4, 2, 1], bytes: 512, objects: 1 },
  { stack: [3, 1], bytes: 400, objects: 1 },
  { stack: [7, 2, 1], bytes: 2 ** 33 + 5 + 777, objects: 70_003 },
  { stack: [6, 4, 1], bytes: 300, objects: 3 }, // decode called (not inlined) by walk => partial-inline
  { stack: [9, 2, 1], bytes: 500, objects: 1 },
  { stack: [2, 1], bytes: 0, objects: 0 },
];

describe('analysis: parity with go tool pprof', function () {
  let synthDir: string;

  before(function () {
    try {
      execFileSync('go', ['version'], { stdio: 'ignore' });
    } catch {
      throw new Error('these tests need Go on PATH (go tool pprof is the reference implementation)');
    }
    synthDir = mkdtempSync(join(tmpdir(), 'chainsoak-synth-'));
    writeFileSync(join(synthDir, 'before.pb.gz'), syntheticProfile(SYNTH_BEFORE));
    writeFileSync(join(synthDir, 'after.pb.gz'), syntheticProfile(SYNTH_AFTER));
    // pprof's own saved diff: base samples negated (10-byte varints) and labelled pprof::base=true
    runPprof(['-proto', '-output', join(synthDir, 'heap-diff.pb.gz'), '-diff_base', 'heap-before.pb.gz', 'heap-after.pb.gz'], FIXTURES);
  });

  after(function () {
    if (synthDir) rmSync(synthDir, { recursive: true, force: true });
  });

  const heapTypes = [
    { sampleIndex: 'inuse_space', bytes: true },
    { sampleIndex: 'inuse_objects', bytes: false },
    { sampleIndex: 'alloc_space', bytes: true },
    { sampleIndex: 'alloc_objects', bytes: false },
  ];

  for (const { sampleIndex, bytes } of heapTypes) {
    for (const cum of [false, true]) {
      it(`geth heap diff, ${sampleIndex}${cum ? ', -cum' : ''}`, function () {
        const theirs = pprofTop(FIXTURES, { sampleIndex, bytes, cum, base: 'heap-before.pb.gz', file: 'heap-after.pb.gz' });
        const ours = diffTop(readProfile(join(FIXTURES, 'heap-before.pb.gz')), readProfile(join(FIXTURES, 'heap-after.pb.gz')), sampleIndex, { sortBy: cum ? 'cum' : 'flat' });
        assertSameTable(ours, theirs, `heap ${sampleIndex}`);
      });
    }
  }

  for (const cum of [false, true]) {
    it(`geth goroutine diff${cum ? ', -cum' : ''}`, function () {
      const theirs = pprofTop(FIXTURES, { sampleIndex: 'goroutine', bytes: false, cum, base: 'goroutine-before.pb.gz', file: 'goroutine-after.pb.gz' });
      const ours = diffTop(readProfile(join(FIXTURES, 'goroutine-before.pb.gz')), readProfile(join(FIXTURES, 'goroutine-after.pb.gz')), 'goroutine', { sortBy: cum ? 'cum' : 'flat' });
      assertSameTable(ours, theirs, 'goroutine');
    });
  }

  for (const [file, sampleIndex, bytes] of [
    ['heap-after.pb.gz', 'inuse_space', true],
    ['heap-before.pb.gz', 'alloc_space', true],
    ['goroutine-after.pb.gz', 'goroutine', false],
  ] as const) {
    it(`single-profile top: ${file} ${sampleIndex}`, function () {
      const theirs = pprofTop(FIXTURES, { sampleIndex, bytes, cum: false, file });
      assertSameTable(top(readProfile(join(FIXTURES, file)), sampleIndex), theirs, `${file} ${sampleIndex}`);
    });
  }

  for (const file of ['goroutine-before.pb.gz', 'goroutine-after.pb.gz']) {
    it(`goroutine stacks of ${file} group like pprof -traces`, function () {
      const theirs = pprofTraceGroups(FIXTURES, file);
      const ours = new Map<string, number>();
      for (const [key, group] of goroutineGroups(readProfile(join(FIXTURES, file)))) {
        if (group.stack.length > 0) ours.set(key, group.count); // pprof -traces omits empty stacks
      }
      assert.ok(theirs.size > 10, 'pprof -traces printed few stacks');
      assert.deepEqual([...ours.entries()].sort(), [...theirs.entries()].sort());
    });
  }

  for (const { sampleIndex, bytes } of [
    { sampleIndex: 'inuse_space', bytes: true },
    { sampleIndex: 'inuse_objects', bytes: false },
  ]) {
    for (const cum of [false, true]) {
      it(`synthetic recursion/inlining/negative diff, ${sampleIndex}${cum ? ', -cum' : ''}`, function () {
        const theirs = pprofTop(synthDir, { sampleIndex, bytes, cum, base: 'before.pb.gz', file: 'after.pb.gz' });
        const ours = diffTop(readProfile(join(synthDir, 'before.pb.gz')), readProfile(join(synthDir, 'after.pb.gz')), sampleIndex, { sortBy: cum ? 'cum' : 'flat' });
        assertSameTable(ours, theirs, `synthetic ${sampleIndex}`);
        // the synthetic pair really exercises the tricky paths
        assert.ok(theirs.rows.some((r) => r.flat < 0), 'a negative row');
        assert.ok(theirs.rows.some((r) => r.inline === 'inline'), 'an (inline) row');
        assert.ok(theirs.rows.some((r) => r.inline === 'partial-inline'), 'a (partial-inline) row');
        assert.ok(!theirs.rows.some((r) => r.function === 'synth.idle'), 'unchanged function dropped');
      });
    }
  }

  it('a diff saved by pprof -proto (negative int64 values) reads and tops like pprof', function () {
    const saved = readProfile(join(synthDir, 'heap-diff.pb.gz'));
    const index = saved.sampleTypes.findIndex((t) => t.type === 'inuse_space');
    assert.ok(saved.samples.some((s) => s.values[index] < 0), 'the saved diff has negative values');
    for (const cum of [false, true]) {
      const theirs = pprofTop(synthDir, { sampleIndex: 'inuse_space', bytes: true, cum, file: 'heap-diff.pb.gz' });
      assertSameTable(top(saved, 'inuse_space', { sortBy: cum ? 'cum' : 'flat' }), theirs, 'saved diff');
    }
  });

  it('synthetic single-profile top with recursion (cum counted once per sample)', function () {
    const theirs = pprofTop(synthDir, { sampleIndex: 'inuse_space', bytes: true, cum: true, file: 'after.pb.gz' });
    assertSameTable(top(readProfile(join(synthDir, 'after.pb.gz')), 'inuse_space', { sortBy: 'cum' }), theirs, 'synthetic top');
  });
});
