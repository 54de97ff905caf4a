/**
 * growth-link on real profiles: the leaky-node fixture's `subscription` pair (goroutines that each hold
 * the buffer they allocated: one leak), its `map-goroutine` pair (a map leak and a goroutine leak at
 * once, unrelated), every single-leak pair and a real geth. Counts and bytes are checked against
 * `go tool pprof` on the same files; the only things written here are the fixture's design (which
 * function leaks, which creates the goroutines) and the hand-made stacks at the end.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProfile, type Profile } from '../../harness/analysis/index.ts';
import { creatorFromClosure, creatorKey, goroutineCreators, readGoroutineDump } from '../../harness/analysis/goroutine-dump.ts';
import { GOROUTINE_STACK_MIN, linkGrowth, type GrowthLinkInput, type GrowthLinks } from '../../harness/analysis/growth-link.ts';
import { goroutineGroups } from '../../harness/analysis/goroutine-diff.ts';
import { pprofCum, fixtureProfiles } from '../support/pprof.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const LEAKY = join(FIXTURES, 'leaky-node', 'profiles');
const GETH = join(FIXTURES, 'geth');

function inputOf(dir: string, extra: Partial<GrowthLinkInput> = {}): GrowthLinkInput {
  return { ...fixtureProfiles(dir), ...extra };
}

/** With what the new folders add: the after dump and StackInuse from stats.json. */
function fullInputOf(dir: string, extra: Partial<GrowthLinkInput> = {}): GrowthLinkInput {
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { before: { stackInuse: number }; after: { stackInuse: number } };
  return inputOf(dir, {
    goroutineDump: readGoroutineDump(join(dir, 'goroutine-after.txt.gz')),
    stackInuse: { before: stats.before.stackInuse, after: stats.after.stackInuse },
    ...extra,
  });
}

describe('analysis: heap and goroutine growth linked', function () {
  this.timeout(60_000);

  describe('leaky-node subscription: goroutines that hold the heap they allocated', function () {
    const dir = join(LEAKY, 'subscription');
    let r: GrowthLinks;
    before(function () {
      r = linkGrowth(fullInputOf(dir));
    });

    it('is one leak: the goroutines and the heap linked by main.serveSubscription, nothing left over', function () {
      assert.equal(r.linked.length, 1, r.message);
      const [link] = r.linked;
      assert.equal(link.via, 'stack');
      assert.deepEqual(link.sharedFrames, ['main.serveSubscription']);
      assert.equal(link.goroutines.entry, 'main.serveSubscription');
      assert.equal(link.goroutines.blockedIn, 'channel receive');
      assert.equal(link.heap.function, 'main.serveSubscription');
      assert.equal(link.heap.allocatedIn, 'bufio.NewReaderSize');
      assert.deepEqual(r.unlinkedHeap, []);
      assert.deepEqual(r.unlinkedGoroutines, []);
    });

    it('names the creator from the goroutine dump: main.subscribe, which the goroutine profile does not hold', function () {
      const link = r.linked[0];
      assert.equal(link.goroutines.creator, 'main.subscribe');
      assert.equal(link.goroutines.creatorFrom, 'dump');
      assert.match(link.message, /^one leak: 2,000 goroutines created by main\.subscribe in main\.serveSubscription \(channel receive\) hold \+\d+(\.\d)? MB allocated under main\.serveSubscription → bufio\.NewReaderSize/);
      assert.match(r.message, /^one leak: /);
      // The profile's stacks end at the start function: no creator frame, no label.
      const after = readProfile(join(dir, 'goroutine-after.pb.gz'));
      for (const s of after.samples) assert.deepEqual(s.labels, {});
      assert.ok(![...goroutineGroups(after).values()].some((g) => g.stack.includes('main.subscribe')));
    });

    it('counts agree with go tool pprof: goroutines, linked heap bytes, g structs', function () {
      const link = r.linked[0];
      assert.equal(link.goroutines.count, pprofCum(dir, 'goroutine', 'main.serveSubscription'));
      assert.equal(link.heap.bytes, pprofCum(dir, 'heap', 'main.serveSubscription'));
      assert.equal(r.goroutineStructs, pprofCum(dir, 'heap', 'runtime.newproc1'));
    });

    it('stack memory: 2 KiB per goroutine, as StackInuse grew', function () {
      const link = r.linked[0];
      assert.equal(link.goroutines.stackBytes, link.goroutines.count * GOROUTINE_STACK_MIN);
      assert.ok(r.stackInuseGrowth! >= link.goroutines.stackBytes, `StackInuse +${r.stackInuseGrowth}`);
      assert.match(link.message, /goroutine stacks \(StackInuse, not in the heap profile\)/);
    });

    it('without the dump the link stands, with no creator (the start function is not a closure)', function () {
      const bare = linkGrowth(inputOf(dir));
      assert.equal(bare.linked.length, 1);
      assert.equal(bare.linked[0].goroutines.creator, undefined);
      assert.match(bare.linked[0].message, /^one leak: 2,000 goroutines in main\.serveSubscription \(channel receive\) hold /);
    });

    it('goroutines the ignore list drops link nothing: the heap is then on its own', function () {
      const ignored = linkGrowth(fullInputOf(dir, { goroutineIgnore: [/^main\.serveSubscription$/] }));
      assert.deepEqual(ignored.linked, []);
      assert.equal(ignored.unlinkedHeap[0]?.function, 'main.serveSubscription');
      assert.equal(ignored.unlinkedHeap[0]?.bytes, pprofCum(dir, 'heap', 'main.serveSubscription'));
    });

    it("the dump's creators match the profile's stacks, goroutine for goroutine", function () {
      const creators = goroutineCreators(readGoroutineDump(join(dir, 'goroutine-after.txt.gz')));
      const [group] = [...goroutineGroups(readProfile(join(dir, 'goroutine-after.pb.gz'))).values()].filter((g) => g.stack.includes('main.serveSubscription'));
      assert.deepEqual([...creators.get(creatorKey(group.stack))!], [['main.subscribe', group.count]]);
    });
  });

  describe('leaky-node map-goroutine: a heap leak and a goroutine leak, unrelated', function () {
    const dir = join(LEAKY, 'map-goroutine');
    let r: GrowthLinks;
    before(function () {
      r = linkGrowth(fullInputOf(dir));
    });

    it('is not linked: two leaks, each as pprof counts it', function () {
      assert.deepEqual(r.linked, [], r.message);
      assert.equal(r.unlinkedHeap.length, 1, r.message);
      assert.equal(r.unlinkedHeap[0].function, 'main.recordHeight');
      assert.equal(r.unlinkedHeap[0].bytes, pprofCum(dir, 'heap', 'main.recordHeight'));
      assert.equal(r.unlinkedGoroutines.length, 1, r.message);
      const [g] = r.unlinkedGoroutines;
      assert.equal(g.function, 'main.leakGoroutine');
      assert.equal(g.creator, 'main.leakGoroutine');
      assert.equal(g.count, pprofCum(dir, 'goroutine', 'main.leakGoroutine'));
      assert.match(r.message, /^not linked, no frame of the node's in common: \+\d+(\.\d)? MB under main\.recordHeight; and 1,000 goroutines created by main\.leakGoroutine/);
      assert.match(r.message, /their memory is ≥ 2 MB of stacks \(StackInuse, not in the heap profile\)/);
    });

    it('not even below the noise thresholds: the map shares no frame of the node with the goroutines', function () {
      const bare = linkGrowth(fullInputOf(dir, { thresholds: { minBytes: 0, minHeapFraction: 0, noiseZ: 0 } }));
      for (const link of bare.linked) assert.ok(!link.heap.stack.includes('main.recordHeight'), link.message);
    });
  });

  describe('no link where nothing is held by growing goroutines', function () {
    for (const folder of ['healthy', 'cache', 'goroutine', 'map', 'timers', 'logging', 'decoder', 'iterator', 'offheap']) {
      it(`leaky-node ${folder}`, function () {
        const r = linkGrowth(inputOf(join(LEAKY, folder)));
        assert.deepEqual(r.linked, [], r.message);
      });
    }

    it('goroutine: the sudogs the parked goroutines hold are linked only below the noise thresholds', function () {
      const dir = join(LEAKY, 'goroutine');
      const r = linkGrowth(inputOf(dir));
      assert.equal(r.unlinkedGoroutines[0]?.count, pprofCum(dir, 'goroutine', 'main.leakGoroutine'));
      assert.match(r.message, /^nothing to link, only goroutines grew: 1,000 goroutines in main\.leakGoroutine/);
      const bare = linkGrowth(inputOf(dir, { thresholds: { minBytes: 0, minHeapFraction: 0, noiseZ: 0 } }));
      assert.equal(bare.linked.length, 1);
      assert.deepEqual(bare.linked[0].sharedFrames, ['main.leakGoroutine']);
      assert.equal(bare.linked[0].heap.bytes, pprofCum(dir, 'heap', 'main.leakGoroutine'));
    });

    it('geth: 150 goroutines of 30 websocket connections grow, no heap growth they hold', function () {
      const r = linkGrowth(inputOf(GETH));
      assert.deepEqual(r.linked, [], r.message);
      assert.deepEqual(r.unlinkedHeap, []);
      const counted = r.unlinkedGoroutines.reduce((sum, g) => sum + g.count, 0);
      assert.equal(counted, r.unlinkedGoroutines.length * 30, r.message);
      const closure = r.unlinkedGoroutines.find((g) => g.entry.endsWith('(*FilterAPI).NewHeads.func1'));
      assert.equal(closure?.creator, 'github.com/ethereum/go-ethereum/eth/filters.(*FilterAPI).NewHeads');
      assert.equal(closure?.creatorFrom, 'closure');
      // Not even below the thresholds: no heap stack of the sampled growth starts like a growing goroutine.
      assert.deepEqual(linkGrowth(inputOf(GETH, { thresholds: { minBytes: 0, minHeapFraction: 0, noiseZ: 0 } })).linked, []);
    });
  });

  describe('hand-made stacks', function () {
    it("links a closure's goroutines to what their creator allocated", function () {
      const r = linkGrowth(synthetic({
        goroutines: [{ stack: ['runtime.gopark', 'runtime.selectgo', 'main.(*srv).handle.func1'], count: 100 }],
        heap: [{ stack: ['bufio.NewReaderSize', 'main.(*srv).handle', 'main.(*srv).serve', 'net/http.(*conn).serve'], bytes: 4 << 20 }],
      }));
      assert.equal(r.linked.length, 1, r.message);
      assert.equal(r.linked[0].via, 'creator');
      assert.deepEqual(r.linked[0].sharedFrames, ['main.(*srv).handle']);
      assert.equal(r.linked[0].goroutines.creatorFrom, 'closure');
      assert.match(r.linked[0].message, /100 goroutines created by main\.\(\*srv\)\.handle in main\.\(\*srv\)\.handle\.func1 \(select\) hold \+4 MB allocated by their creator main\.\(\*srv\)\.handle → bufio\.NewReaderSize/);
    });

    it('a shared standard-library root (net/http.(*conn).serve) is no link', function () {
      const r = linkGrowth(synthetic({
        goroutines: [{ stack: ['runtime.gopark', 'runtime.netpollblock', 'net.(*conn).Read', 'net/http.(*conn).serve'], count: 100 }],
        heap: [{ stack: ['main.cache.put', 'main.handle', 'net/http.HandlerFunc.ServeHTTP', 'net/http.(*conn).serve'], bytes: 4 << 20 }],
      }));
      assert.deepEqual(r.linked, [], r.message);
      assert.equal(r.unlinkedHeap[0]?.function, 'main.cache.put');
    });

    it('a heap stack goes to the goroutines with the longest common root path', function () {
      const r = linkGrowth(synthetic({
        goroutines: [
          { stack: ['runtime.gopark', 'runtime.chanrecv1', 'main.(*peer).wait', 'main.(*peer).run'], count: 50 },
          { stack: ['runtime.gopark', 'runtime.selectgo', 'main.(*peer).readLoop', 'main.(*peer).run'], count: 50 },
        ],
        heap: [{ stack: ['bytes.growSlice', 'main.(*peer).readMsg', 'main.(*peer).readLoop', 'main.(*peer).run'], bytes: 4 << 20 }],
      }));
      assert.equal(r.linked.length, 1, r.message);
      assert.equal(r.linked[0].goroutines.function, 'main.(*peer).readLoop');
      assert.deepEqual(r.linked[0].sharedFrames, ['main.(*peer).readLoop', 'main.(*peer).run']);
      assert.equal(r.unlinkedGoroutines[0]?.function, 'main.(*peer).wait');
    });

    it("reads creators from a dump, and from a closure's name", function () {
      const dump = [
        'goroutine 7 [chan receive, 3 minutes]:',
        'main.serve({0xc000010000, 0x10}, 0x1000)',
        '\t/src/main.go:20 +0x1c',
        'main.helper(...)',
        '\t/src/main.go:30',
        'created by main.(*srv).start in goroutine 1',
        '\t/src/main.go:12 +0x2f',
        '',
        'goroutine 1 [running]:',
        'main.main()',
        '\t/src/main.go:5 +0x1',
      ].join('\n');
      const creators = goroutineCreators(dump);
      assert.deepEqual([...creators], [[creatorKey(['runtime.gopark', 'main.serve', 'main.helper']), new Map([['main.(*srv).start', 1]])]]);
      assert.equal(creatorFromClosure('main.(*srv).handle.func1'), 'main.(*srv).handle');
      assert.equal(creatorFromClosure('main.f.gowrap2'), 'main.f');
      assert.equal(creatorFromClosure('main.f.func1.3'), 'main.f.func1');
      assert.equal(creatorFromClosure('main.(*srv).loop'), undefined);
      assert.equal(creatorFromClosure('main.init.0'), undefined);
    });
  });
});

/** Profiles from stacks of function names (leaf first): goroutines after (none before), heap after (none before). */
function synthetic(spec: { goroutines: Array<{ stack: string[]; count: number }>; heap: Array<{ stack: string[]; bytes: number }> }): GrowthLinkInput {
  const profile = (types: Array<[string, string]>, samples: Array<{ stack: string[]; values: number[] }>): Profile => {
    const functionNames: string[] = [];
    const id = (name: string) => (functionNames.includes(name) ? functionNames.indexOf(name) : functionNames.push(name) - 1);
    return {
      source: '<synthetic>',
      sampleTypes: types.map(([type, unit]) => ({ type, unit })),
      defaultSampleType: types[types.length - 1]![0],
      periodType: undefined,
      period: types.length > 1 ? 4096 : 1,
      timeNanos: 0,
      durationNanos: 0,
      functionNames,
      samples: samples.map((s) => ({ values: s.values, frames: Uint32Array.from(s.stack.map(id)), inlined: new Uint8Array(s.stack.length), labels: {}, numLabels: {} })),
      raw: undefined as never,
    };
  };
  const heapTypes: Array<[string, string]> = [['inuse_objects', 'count'], ['inuse_space', 'bytes']];
  // 4 KiB objects, at the profile's rate: sampling noise of a few percent, far below the growth.
  const heapSamples = spec.heap.map((h) => ({ stack: h.stack, values: [h.bytes / 4096, h.bytes] }));
  return {
    heapBefore: profile(heapTypes, []),
    heapAfter: profile(heapTypes, heapSamples),
    goroutineBefore: profile([['goroutine', 'count']], []),
    goroutineAfter: profile([['goroutine', 'count']], spec.goroutines.map((g) => ({ stack: g.stack, values: [g.count] }))),
  };
}
