/**
 * Proven goroutine leaks from real goroutine leak profiles (GOEXPERIMENT=goroutineleakprofile): the
 * leaky-node fixture's before/after pairs and a profile of every kind of blocking. Counts per stack must
 * be `go tool pprof`'s for the same files; nothing is hard-coded that pprof can say.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeProvenLeaks, goroutineGroups, provenLeaks, ProfileError, readProfile, readProvenLeaks } from '../../harness/analysis/index.ts';
import { pprofTop, pprofTraceGroups } from '../support/pprof.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const PROVEN = join(FIXTURES, 'leaky-node', 'profiles', 'proven');
const HEALTHY = join(FIXTURES, 'leaky-node', 'profiles', 'proven-healthy');
const KINDS = join(FIXTURES, 'goroutineleak-kinds');
const ORPHAN_STACK = ['runtime.gopark', 'runtime.chanrecv', 'runtime.chanrecv1', 'main.leakOrphanGoroutine'];

/** pprof's total for a goroutine leak profile (`-top`, "accounting for N ... of N total"). */
const pprofTotal = (dir: string, file: string) => pprofTop(dir, { sampleIndex: 'goroutineleak', bytes: false, cum: false, file }).total;

describe('analysis: proven goroutine leaks', () => {
  it("lists leaky-node's orphan-goroutine leak with its stack, and what is new since before, as pprof counts it", () => {
    const leaks = readProvenLeaks(join(PROVEN, 'goroutineleak-before.pb.gz'), join(PROVEN, 'goroutineleak-after.pb.gz'));
    const after = pprofTotal(PROVEN, 'goroutineleak-after.pb.gz');
    const before = pprofTotal(PROVEN, 'goroutineleak-before.pb.gz');
    assert.ok(after > before && before > 0, `pprof: ${before} before, ${after} after`);
    assert.equal(leaks.total, after);
    assert.equal(leaks.before, before);
    assert.equal(leaks.newSinceBefore, after - before);
    assert.equal(leaks.stacks.length, 1, JSON.stringify(leaks.stacks));
    assert.deepEqual(leaks.stacks[0], { stack: ORPHAN_STACK, entry: 'main.leakOrphanGoroutine', blockedIn: 'main.leakOrphanGoroutine', count: after, before, newSinceBefore: after - before });
    assert.equal(describeProvenLeaks(leaks), `${after} goroutines proven leaked, ${after - before} new since before; most in main.leakOrphanGoroutine`);
  });

  it("does not list the goroutine pattern's leak (its channel is a global), though the goroutine profile holds it", () => {
    const leaked = readProvenLeaks(undefined, join(PROVEN, 'goroutineleak-after.pb.gz'));
    assert.ok(!leaked.stacks.some((s) => s.stack.includes('main.leakGoroutine')));
    // The same moment's goroutine profile: as many parked in main.leakGoroutine as proven in the orphan's stack.
    const parked = [...goroutineGroups(readProfile(join(PROVEN, 'goroutine-after.pb.gz'))).values()].filter((g) => g.stack.includes('main.leakGoroutine'));
    assert.equal(parked.reduce((n, g) => n + g.count, 0), leaked.total, 'goroutine=0.5 and orphan-goroutine=0.5 leak alike');
  });

  it('without a before profile, every proven goroutine is new', () => {
    const leaks = provenLeaks(undefined, readProfile(join(PROVEN, 'goroutineleak-after.pb.gz')));
    assert.equal(leaks.before, null);
    assert.equal(leaks.newSinceBefore, leaks.total);
    assert.ok(leaks.total > 0);
  });

  it('a healthy leaky-node has none at either snapshot', () => {
    const leaks = readProvenLeaks(join(HEALTHY, 'goroutineleak-before.pb.gz'), join(HEALTHY, 'goroutineleak-after.pb.gz'));
    assert.equal(pprofTotal(HEALTHY, 'goroutineleak-after.pb.gz'), 0);
    assert.deepEqual(leaks, { total: 0, before: 0, newSinceBefore: 0, stacks: [], ignored: 0 });
    assert.equal(describeProvenLeaks(leaks), 'no goroutine proven leaked');
  });

  it('groups every kind of blocking by stack like pprof -traces (labels merged), with where it blocks', () => {
    const file = join(KINDS, 'goroutineleak.pb.gz');
    const leaks = provenLeaks(undefined, readProfile(file));
    const theirs = pprofTraceGroups(KINDS, 'goroutineleak.pb.gz');
    assert.equal(leaks.stacks.length, theirs.size);
    for (const s of leaks.stacks) assert.equal(s.count, theirs.get(s.stack.join('\n')), s.stack.join(' < '));
    assert.equal(leaks.total, pprofTotal(KINDS, 'goroutineleak.pb.gz'));
    const byEntry = new Map(leaks.stacks.map((s) => [s.entry, s]));
    // main.go starts n goroutines of each kind; the proven ones are all of them, but for the cases README.md explains.
    assert.deepEqual([...byEntry.keys()].sort(), ['main.onMutex', 'main.onNilChan', 'main.onOrphanChan', 'main.onSelect', 'main.onTinyMutex', 'main.onWaitGroup']);
    assert.deepEqual(['main.onOrphanChan', 'main.onNilChan', 'main.onSelect', 'main.onMutex', 'main.onWaitGroup'].map((e) => byEntry.get(e)!.count), [3, 3, 4, 5, 6]);
    assert.ok(byEntry.get('main.onTinyMutex')!.count <= 7);
    // Runtime and sync frames are how it blocks; the first frame past them is the code that blocks.
    assert.equal(byEntry.get('main.onMutex')!.blockedIn, 'main.onMutex');
    assert.ok(byEntry.get('main.onMutex')!.stack.includes('sync.(*Mutex).Lock'));
    assert.equal(byEntry.get('main.onWaitGroup')!.blockedIn, 'main.onWaitGroup');
    // Most goroutines first.
    assert.deepEqual(leaks.stacks.map((s) => s.count), [...leaks.stacks.map((s) => s.count)].sort((a, b) => b - a));
  });

  it('leaves out stacks the ignore list matches, and counts them', () => {
    const file = join(KINDS, 'goroutineleak.pb.gz');
    const all = provenLeaks(undefined, readProfile(file));
    const some = provenLeaks(undefined, readProfile(file), { ignore: ['sync.(*WaitGroup).Wait', /^main\.onNil/] });
    assert.equal(some.ignored, 6 + 3);
    assert.equal(some.total, all.total - some.ignored);
    assert.ok(!some.stacks.some((s) => s.entry === 'main.onWaitGroup' || s.entry === 'main.onNilChan'));
  });

  it('refuses a goroutine profile, which would make every goroutine a proven leak', () => {
    assert.throws(() => provenLeaks(undefined, readProfile(join(PROVEN, 'goroutine-after.pb.gz'))), (err: unknown) => err instanceof ProfileError && /not a goroutine leak profile/.test(err.message));
  });
});
