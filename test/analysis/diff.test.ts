import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ProfileError,
  diffGoroutines,
  diffHeap,
  diffTop,
  goroutineGroups,
  goroutineTotal,
  heapTotals,
  readProfile,
  sampleStack,
  totals,
  type Profile,
} from '../../harness/analysis/index.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'geth');

/** What capture.sh did between the before and after profiles (see test/fixtures/geth/README.md). */
const WS_CONNECTIONS = 30;
const RPC_OR_WS = /github\.com\/ethereum\/go-ethereum\/rpc\.|github\.com\/gorilla\/websocket\./;

describe('analysis: diffs on the geth fixtures', function () {
  let heapBefore: Profile;
  let heapAfter: Profile;
  let gBefore: Profile;
  let gAfter: Profile;
  before(function () {
    heapBefore = readProfile(join(FIXTURES, 'heap-before.pb.gz'));
    heapAfter = readProfile(join(FIXTURES, 'heap-after.pb.gz'));
    gBefore = readProfile(join(FIXTURES, 'goroutine-before.pb.gz'));
    gAfter = readProfile(join(FIXTURES, 'goroutine-after.pb.gz'));
  });

  describe('diffHeap', function () {
    it('before/after totals are the sums of inuse_space and inuse_objects', function () {
      const d = diffHeap(heapBefore, heapAfter);
      assert.deepEqual(d.before, { inuseBytes: totals(heapBefore).inuse_space, inuseObjects: totals(heapBefore).inuse_objects });
      assert.deepEqual(d.after, { inuseBytes: totals(heapAfter).inuse_space, inuseObjects: totals(heapAfter).inuse_objects });
      assert.deepEqual(heapTotals(heapAfter), d.after);
    });

    it('topGrowth is the positive inuse_space flat growth of diffTop, largest first, with matching objects and cum', function () {
      const d = diffHeap(heapBefore, heapAfter, { top: 1000 });
      const space = diffTop(heapBefore, heapAfter, 'inuse_space');
      const objects = new Map(diffTop(heapBefore, heapAfter, 'inuse_objects').rows.map((r) => [r.function, r.flat]));
      const expected = space.rows.filter((r) => r.flat > 0);
      assert.ok(expected.length > 0, 'the fixture pair has heap growth');
      assert.equal(d.topGrowth.length, expected.length);
      for (const g of d.topGrowth) {
        const row = expected.find((r) => r.function === g.function)!;
        assert.ok(row, g.function);
        assert.equal(g.inuseBytes, row.flat);
        assert.equal(g.cumInuseBytes, row.cum);
        assert.equal(g.inuseObjects, objects.get(g.function) ?? 0);
        assert.ok(g.cumInuseBytes >= g.inuseBytes);
      }
      for (let i = 1; i < d.topGrowth.length; i++) assert.ok(d.topGrowth[i - 1].inuseBytes >= d.topGrowth[i].inuseBytes);
      // flat growth over all functions adds up to the total growth (every Go heap sample has a stack)
      assert.equal(space.total, d.after.inuseBytes - d.before.inuseBytes);
    });

    it('top limits the rows', function () {
      assert.equal(diffHeap(heapBefore, heapAfter, { top: 1 }).topGrowth.length, 1);
      assert.equal(diffHeap(heapBefore, heapAfter, { top: 0 }).topGrowth.length, 0);
    });

    it('a goroutine profile is not a heap profile', function () {
      assert.throws(() => diffHeap(gBefore, gAfter), (err: unknown) => err instanceof ProfileError && /goroutine-before\.pb\.gz has no sample type "inuse_space"/.test(err.message));
    });
  });

  describe('diffGoroutines', function () {
    it('totals are the goroutine counts of each profile', function () {
      const d = diffGoroutines(gBefore, gAfter);
      assert.equal(d.before, goroutineTotal(gBefore));
      assert.equal(d.after, goroutineTotal(gAfter));
      assert.equal(d.before, totals(gBefore).goroutine);
      assert.ok(d.after - d.before >= WS_CONNECTIONS, 'the websocket load grew the goroutine count');
    });

    it('the websocket connections show up as rpc/websocket goroutine groups, one per connection each', function () {
      const d = diffGoroutines(gBefore, gAfter, { top: Infinity });
      const rpc = d.topGrowth.filter((g) => g.stack.some((f) => RPC_OR_WS.test(f)));
      assert.ok(rpc.length >= 2, 'several rpc/websocket groups grew');
      const rpcGrowth = rpc.reduce((sum, g) => sum + g.count, 0);
      assert.ok(rpcGrowth >= WS_CONNECTIONS * 2, `rpc/websocket growth ${rpcGrowth}`);
      // each websocket connection runs a reader on gorilla/websocket; that group grew by one per connection
      const readers = d.topGrowth.filter((g) => g.stack.some((f) => f.startsWith('github.com/gorilla/websocket.(*Conn).')));
      assert.ok(readers.reduce((sum, g) => sum + g.count, 0) >= WS_CONNECTIONS);
      // the biggest groups are the connection goroutines
      assert.ok(d.topGrowth[0].count >= WS_CONNECTIONS);
      assert.ok(RPC_OR_WS.test(d.topGrowth[0].stack.join('\n')) || /eth\/filters/.test(d.topGrowth[0].stack.join('\n')));
    });

    it('groups carry leaf-first stacks, their root as entry, and are sorted by growth', function () {
      const d = diffGoroutines(gBefore, gAfter, { top: Infinity });
      const after = goroutineGroups(gAfter);
      const before = goroutineGroups(gBefore);
      for (const g of d.topGrowth) {
        const key = g.stack.join('\n');
        assert.equal(g.after, after.get(key)?.count);
        assert.equal(g.before, before.get(key)?.count ?? 0);
        assert.equal(g.count, g.after - g.before);
        assert.ok(g.count > 0);
        assert.equal(g.entry, g.stack[g.stack.length - 1]);
        assert.equal(g.stack[0], 'runtime.gopark', 'a parked goroutine has gopark as its leaf');
      }
      for (let i = 1; i < d.topGrowth.length; i++) assert.ok(d.topGrowth[i - 1].count >= d.topGrowth[i].count);
      // growth minus shrinkage is the change in goroutines
      const shrink = diffGoroutines(gAfter, gBefore, { top: Infinity }).topGrowth.reduce((s, g) => s + g.count, 0);
      assert.equal(d.topGrowth.reduce((s, g) => s + g.count, 0) - shrink, d.after - d.before);
    });

    it('the stacks are the same as the raw samples of the after profile', function () {
      const d = diffGoroutines(gBefore, gAfter, { top: Infinity });
      const stacks = new Set(gAfter.samples.map((s) => sampleStack(gAfter, s).join('\n')));
      for (const g of d.topGrowth) assert.ok(stacks.has(g.stack.join('\n')));
    });

    it('the ignore list removes groups with a matching frame (string: substring, RegExp: test)', function () {
      const all = diffGoroutines(gBefore, gAfter, { top: Infinity });
      const byString = diffGoroutines(gBefore, gAfter, { top: Infinity, ignore: ['github.com/ethereum/go-ethereum/rpc.'] });
      const byRegExp = diffGoroutines(gBefore, gAfter, { top: Infinity, ignore: [/go-ethereum\/rpc\./g] });
      for (const d of [byString, byRegExp]) {
        assert.ok(d.topGrowth.length < all.topGrowth.length);
        assert.ok(!d.topGrowth.some((g) => g.stack.some((f) => f.includes('github.com/ethereum/go-ethereum/rpc.'))));
        assert.equal(d.topGrowth.length + all.topGrowth.filter((g) => g.stack.some((f) => f.includes('go-ethereum/rpc.'))).length, all.topGrowth.length);
        const kept = d.topGrowth.reduce((s, g) => s + g.count, 0);
        assert.equal(kept + d.ignoredGrowth, all.topGrowth.reduce((s, g) => s + g.count, 0));
        assert.equal(d.before, all.before);
        assert.equal(d.after, all.after);
      }
      assert.deepEqual(byString, byRegExp);
      // ignoring the parking function every goroutine has removes everything
      const none = diffGoroutines(gBefore, gAfter, { ignore: ['runtime.gopark'] });
      assert.equal(none.topGrowth.length, 0);
    });

    it('top limits the groups', function () {
      const d = diffGoroutines(gBefore, gAfter, { top: 2 });
      assert.equal(d.topGrowth.length, 2);
      assert.deepEqual(d.topGrowth, diffGoroutines(gBefore, gAfter, { top: Infinity }).topGrowth.slice(0, 2));
    });

    it('a heap profile is not a goroutine profile', function () {
      assert.throws(() => goroutineTotal(heapBefore), (err: unknown) => err instanceof ProfileError && /heap-before\.pb\.gz is not a goroutine profile/.test(err.message));
    });
  });

  describe('a profile diffed against itself', function () {
    for (const [name, type] of [
      ['heap-after.pb.gz', 'inuse_space'],
      ['heap-after.pb.gz', 'alloc_objects'],
      ['goroutine-after.pb.gz', 'goroutine'],
    ] as const) {
      it(`diffTop(${name}, itself, ${type}) is empty`, function () {
        const p = readProfile(join(FIXTURES, name));
        const t = diffTop(p, p, type);
        assert.deepEqual(t.rows, []);
        assert.equal(t.total, 0);
        assert.equal(t.baseTotal, totals(p)[type]);
      });
    }

    it('diffHeap has equal totals and no growth', function () {
      const d = diffHeap(heapAfter, heapAfter);
      assert.deepEqual(d.before, d.after);
      assert.deepEqual(d.topGrowth, []);
    });

    it('diffGoroutines has equal totals and no growth', function () {
      const d = diffGoroutines(gAfter, readProfile(join(FIXTURES, 'goroutine-after.pb.gz')));
      assert.equal(d.before, d.after);
      assert.deepEqual(d.topGrowth, []);
      assert.equal(d.ignoredGrowth, 0);
    });

    it('swapping before and after negates every row', function () {
      const forward = diffTop(heapBefore, heapAfter, 'inuse_space');
      const backward = diffTop(heapAfter, heapBefore, 'inuse_space');
      const negated = new Map(backward.rows.map((r) => [r.function, { flat: 0 - r.flat, cum: 0 - r.cum }]));
      assert.equal(backward.rows.length, forward.rows.length);
      for (const r of forward.rows) assert.deepEqual(negated.get(r.function), { flat: r.flat, cum: r.cum }, r.function);
      assert.equal(backward.total, -forward.total);
    });
  });
});
