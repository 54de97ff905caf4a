/**
 * The leak-pattern classifier on real profiles: the leaky-node fixture (exactly one known leak per
 * folder, test/fixtures/leaky-node/profiles) and a real geth (test/fixtures/geth). Expected growth comes
 * from `go tool pprof` on the same files, or from stats.json; the only things written here are the
 * fixture's design (which function leaks through which pattern) and the library names of the hand-made
 * stacks at the end.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyGrowth, PATTERN_THRESHOLDS, type ClassifyGrowthInput, type PatternFinding, type PatternId } from '../../harness/analysis/patterns.ts';
import { packagePath } from '../../harness/analysis/patterns/frames.ts';
import { classifyGoroutineStack, classifyHeapStack } from '../../harness/analysis/patterns/signatures.ts';
import { outsideHeap } from '../../harness/analysis/where.ts';
import type { MemStats } from '../../harness/probes/memstats.ts';
import { exact, pprofCum, pprofDiff, runPprof, splitMarker, fixtureProfiles } from '../support/pprof.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const LEAKY = join(FIXTURES, 'leaky-node', 'profiles');
const GETH = join(FIXTURES, 'geth');

/** The fixture's design (test/fixtures/leaky-node/README.md): the one leak switched on per folder. */
const LEAKS: ReadonlyArray<{ folder: string; pattern: PatternId; fn: string }> = [
  { folder: 'goroutine', pattern: 'goroutine-parked', fn: 'main.leakGoroutine' },
  { folder: 'map', pattern: 'map-never-pruned', fn: 'main.recordHeight' },
  { folder: 'timers', pattern: 'timers-contexts', fn: 'main.watchWithTimeout' },
  { folder: 'logging', pattern: 'log-formatting', fn: 'main.logBlock' },
  { folder: 'decoder', pattern: 'decoder-buffers', fn: 'main.decodeMessage' },
  { folder: 'iterator', pattern: 'unclosed-iterators', fn: 'main.scanRange' },
];

interface Figures {
  heapAlloc: number;
  heapInuse: number;
  goroutines: number;
  rssBytes: number;
}
interface Stats {
  before: Figures;
  after: Figures;
}

function readStats(dir: string): Stats {
  return JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as Stats;
}

/** where.ts outsideHeap on stats.json's figures. stats.json holds no Sys (it only changes the message): 0. */
function outsideHeapOf(stats: Stats) {
  const memstats = (f: Figures): MemStats => ({ HeapInuse: f.heapInuse, HeapAlloc: f.heapAlloc, Sys: 0, NumGC: 0, TotalAlloc: 0, HeapObjects: 0 });
  return outsideHeap({ memstats: memstats(stats.before), rssBytes: stats.before.rssBytes }, { memstats: memstats(stats.after), rssBytes: stats.after.rssBytes });
}

function inputOf(dir: string, extra: Partial<ClassifyGrowthInput> = {}): ClassifyGrowthInput {
  return { ...fixtureProfiles(dir), ...extra };
}

/** `go tool pprof -top -cum -diff_base` of a folder's heap, counting only the stacks through a node matching `focus`. */
function pprofFocused(dir: string, focus: string): Map<string, { flat: number; cum: number }> {
  const out = runPprof(
    ['-top', '-nodecount=1000000', '-nodefraction=0', '-edgefraction=0', '-sample_index=inuse_space', '-unit=B', '-cum', `-focus=${focus}`, '-diff_base', 'heap-before.pb.gz', 'heap-after.pb.gz'],
    dir,
  );
  const rows = new Map<string, { flat: number; cum: number }>();
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+%\s+(.+)$/.exec(line);
    if (m && m[1] !== 'flat') rows.set(splitMarker(m[3]).name, { flat: exact(m[1]), cum: exact(m[2]) });
  }
  return rows;
}

function regexQuote(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What pprof says a heap suspect should show: its cum in the diff (over the stacks through `focus`,
 * default: the function itself), and the slack the classifier may take off it. The classifier caps what
 * suspects claim at an allocating function (a stack's leaf) by that function's net growth, so churn of
 * shared structures between callers does not add up (patterns.ts, leafCeiling). A suspect's figure can
 * then be below its cum by what other functions' stacks lost at the same allocating functions: for each
 * leaf L, max(0, flat of L under the suspect − flat of L overall), from pprof.
 */
function heapReference(dir: string, fn: string, focus = `^${regexQuote(fn)}$`, leaves: RegExp = /./): { cum: number; slack: number } {
  const cum = pprofFocused(dir, focus).get(fn)?.cum ?? 0;
  const overall = new Map(pprofDiff(dir, 'heap').rows.map((r) => [r.function, r.flat]));
  let slack = 0;
  for (const [leaf, { flat }] of pprofFocused(dir, `^${regexQuote(fn)}$`)) {
    if (flat > 0 && leaves.test(leaf)) slack += Math.max(0, flat - Math.max(0, overall.get(leaf) ?? 0));
  }
  return { cum, slack };
}

function assertWithin(actual: number, ref: { cum: number; slack: number }, what: string): void {
  assert.ok(ref.cum > 0, `${what}: pprof shows no growth`);
  assert.ok(actual <= ref.cum && actual >= ref.cum - ref.slack, `${what}: ${actual}, pprof cum ${ref.cum}, slack ${ref.slack}`);
}

function describeFindings(findings: PatternFinding[]): string {
  return findings.map((f) => `${f.pattern} ${f.growth} ${f.unit} [${f.suspects.map((s) => `${s.function} ${s.growth}`).join(', ')}]`).join('\n') || '(none)';
}

describe('analysis: leak patterns', function () {
  describe('leaky-node: one known leak per folder', function () {
    for (const leak of LEAKS) {
      describe(`${leak.folder}: ${leak.fn}`, function () {
        const dir = join(LEAKY, leak.folder);
        let findings: PatternFinding[];
        before(function () {
          findings = classifyGrowth(inputOf(dir, { outsideHeap: outsideHeapOf(readStats(dir)) }));
        });

        it(`the first finding is ${leak.pattern}, and the leak is the only finding`, function () {
          assert.equal(findings[0]?.pattern, leak.pattern, describeFindings(findings));
          // Everything else in the pair is noise (lazily built tables, pool churn, the HTTP connection
          // that fetches the profile): none of it may reach the thresholds.
          assert.equal(findings.length, 1, describeFindings(findings));
        });

        it(`its first suspect is ${leak.fn}, with a representative stack through it`, function () {
          const first = findings[0].suspects[0];
          assert.equal(first?.function, leak.fn, describeFindings(findings));
          assert.ok(first.stack.includes(leak.fn), `stack: ${first.stack.join(' <- ')}`);
          for (const other of findings[0].suspects.slice(1)) assert.ok(other.growth < first.growth, `${other.function} grew more than ${leak.fn}`);
        });

        it(`its growth is pprof's cum for ${leak.fn} in the -diff_base (exact, or short of it by what other callers lost at the same allocating functions)`, function () {
          // Every stack through the leaking function has it as its nearest own frame (below it are only
          // standard-library or goleveldb frames), and the classifier nets all of them, shrinking ones
          // included, as pprof nets them into the function's cum. Goroutine counts are exact; heap
          // figures may be lower by heapReference's slack (0 in every folder but iterator, where the
          // healthy work's bytes.Buffer shrank at the same bytes.growSlice that goleveldb's journal grew).
          const first = findings[0].suspects[0];
          if (leak.pattern === 'goroutine-parked') {
            const expected = pprofCum(dir, 'goroutine', leak.fn);
            assert.ok(expected > 0, `pprof shows no growth through ${leak.fn}`);
            assert.equal(first.growth, expected);
            assert.equal(findings[0].unit, 'goroutines');
          } else {
            assertWithin(first.growth, heapReference(dir, leak.fn), leak.fn);
            assert.equal(findings[0].unit, 'bytes');
          }
          assert.equal(
            findings[0].growth,
            findings[0].suspects.reduce((sum, s) => sum + s.growth, 0),
            'a finding grows by the sum of its suspects',
          );
        });
      });
    }

    it("goroutine: the goroutines' heap (g structs, go-statement closures) is the goroutine finding's heapBytes, not a heap finding", function () {
      const dir = join(LEAKY, 'goroutine');
      const [finding] = classifyGrowth(inputOf(dir));
      // The g structs are allocated on the system stack (runtime.malg <- runtime.newproc1, no user frame);
      // the closures in main.leakGoroutine's own frame. pprof's cum of both, netted, is what they hold.
      const expected = pprofCum(dir, 'heap', 'runtime.newproc1') + pprofCum(dir, 'heap', 'main.leakGoroutine');
      assert.ok(pprofCum(dir, 'heap', 'runtime.newproc1') > PATTERN_THRESHOLDS.minBytes, 'the g structs alone would pass the bytes threshold');
      assert.equal(finding.heapBytes, expected);
      assert.equal(finding.suspects[0].blockedIn, 'channel receive');
    });

    it("timers: each suspect's growth is pprof's cum for it over the stacks through context/time frames", function () {
      const dir = join(LEAKY, 'timers');
      const [finding] = classifyGrowth(inputOf(dir));
      // The healthy work's own WithTimeout makes the shared children map grow now and then (README): a
      // second, smaller suspect. Its cum over all stacks would also net its unrelated churn (fmt, bytes),
      // hence pprof's -focus on the signature's frames.
      const timerFrames = /^(context\.|time\.)/;
      // Focused on the suspect's stacks through context/time frames: its other stacks are other patterns.
      for (const s of finding.suspects) assertWithin(s.growth, heapReference(dir, s.function, timerFrames.source, timerFrames), s.function);
    });

    it("map: low confidence, because Go's heap profiles hide runtime.mapassign (the growth is flat in the function)", function () {
      const dir = join(LEAKY, 'map');
      const [finding] = classifyGrowth(inputOf(dir));
      const rows = pprofDiff(dir, 'heap').rows;
      // runtime/pprof drops the leading runtime frames of every heap stack: if pprof ever showed a map
      // frame here, the classifier would have seen it and must say 'high'.
      const mapFrames = rows.some((r) => /^runtime\.mapassign|^internal\/runtime\/maps\./.test(r.function) && r.cum !== 0);
      assert.equal(finding.confidence, mapFrames ? 'high' : 'low');
      const row = rows.find((r) => r.function === 'main.recordHeight')!;
      assert.ok(row.flat > 0 && row.flat === row.cum, "pprof: recordHeight's growth is its own (flat = cum)");
    });

    it('iterator: the suspect is the frame that called into goleveldb, not a goleveldb frame', function () {
      const [finding] = classifyGrowth(inputOf(join(LEAKY, 'iterator')));
      const stack = finding.suspects[0].stack;
      const at = stack.indexOf('main.scanRange');
      assert.ok(at > 0 && stack[at - 1].startsWith('github.com/syndtr/goleveldb/'), stack.join(' <- '));
    });

    it('offheap: outside-heap from the stats.json RSS figures, first and alone', function () {
      const dir = join(LEAKY, 'offheap');
      const stats = readStats(dir);
      const outside = outsideHeapOf(stats);
      assert.ok(outside.flagged, outside.message);
      const findings = classifyGrowth(inputOf(dir, { outsideHeap: outside }));
      assert.equal(findings[0]?.pattern, 'outside-heap', describeFindings(findings));
      const rss = stats.after.rssBytes - stats.before.rssBytes;
      const heap = Math.max(0, stats.after.heapInuse - stats.before.heapInuse);
      assert.equal(findings[0].growth, rss - heap);
      assert.deepEqual(findings[0].suspects, []);
      // syscall's bookkeeping of each mapping is on the heap, but far below the thresholds.
      assert.equal(findings.length, 1, describeFindings(findings));
      assert.deepEqual(classifyGrowth(inputOf(dir)), [], 'the heap alone shows nothing: the finding comes from RSS');
    });

    for (const control of ['healthy', 'cache']) {
      it(`${control}: no finding`, function () {
        const dir = join(LEAKY, control);
        const outside = outsideHeapOf(readStats(dir));
        assert.equal(outside.flagged, false, outside.message);
        assert.deepEqual(classifyGrowth(inputOf(dir, { outsideHeap: outside })), []);
      });
    }

    it('cache: the full LRU that pprof shows growing is dropped by each noise guard on its own', function () {
      const dir = join(LEAKY, 'cache');
      const fn = 'main.(*lruCache).add';
      const row = pprofDiff(dir, 'heap').rows.find((r) => r.function === fn);
      assert.ok(row && row.flat > 0, `pprof shows ${fn} growing (flat ${row?.flat}): the control exercises the guards`);
      const mentions = (findings: PatternFinding[]) => findings.some((f) => f.suspects.some((s) => s.function === fn));
      // Without the size thresholds: within 3σ of heap-sampling noise (every entry was replaced and re-sampled).
      assert.ok(!mentions(classifyGrowth(inputOf(dir, { thresholds: { minBytes: 0, minHeapFraction: 0 } }))));
      // Without the noise test: below 256 KiB and 1% of the heap.
      const noNoiseTest = classifyGrowth(inputOf(dir, { thresholds: { noiseZ: 0 } }));
      assert.ok(!mentions(noNoiseTest), describeFindings(noNoiseTest));
      // With neither, it is what is left: an allocation by the node's own code, at low confidence.
      const [bare] = classifyGrowth(inputOf(dir, { thresholds: { noiseZ: 0, minBytes: 0, minHeapFraction: 0 } }));
      assert.equal(bare.suspects[0].function, fn);
      assert.equal(bare.confidence, 'low');
    });
  });

  describe('geth (30 websocket subscriptions held open, 200 RPC calls)', function () {
    let findings: PatternFinding[];
    before(function () {
      findings = classifyGrowth(inputOf(GETH));
    });

    it('goroutine-parked comes first: one goroutine per connection on each of the connection stacks, suspects in geth', function () {
      // True and expected: the load keeps the connections open, each has about five goroutines
      // (README). Not a leak of geth, but exactly what a leak of connections would look like.
      const parked = findings[0];
      assert.equal(parked?.pattern, 'goroutine-parked', describeFindings(findings));
      const perConnection = pprofCum(GETH, 'goroutine', 'github.com/ethereum/go-ethereum/rpc.(*websocketCodec).pingLoop');
      assert.ok(perConnection >= PATTERN_THRESHOLDS.minGoroutines);
      assert.ok(parked.suspects.length >= 5, describeFindings(findings));
      for (const s of parked.suspects) {
        assert.ok(s.function.startsWith('github.com/ethereum/go-ethereum/'), `${s.function}: not gorilla/websocket, net or runtime`);
        assert.equal(s.growth, pprofCum(GETH, 'goroutine', s.function), `${s.function} against pprof's cum`);
        assert.equal(s.growth, perConnection, `${s.function}: one per connection`);
      }
      assert.equal(parked.growth, parked.suspects.reduce((sum, s) => sum + s.growth, 0));
      // The read goroutine parks in gorilla/websocket; the suspect is the geth frame that called it.
      const reader = parked.suspects.find((s) => s.stack.some((f) => f.startsWith('github.com/gorilla/websocket.')));
      assert.ok(reader, 'a suspect reads through gorilla/websocket');
      assert.equal(reader.blockedIn, 'network or file I/O');
      assert.ok(reader.function.startsWith('github.com/ethereum/go-ethereum/rpc.'), reader.function);
    });

    it('the goroutines pprof shows with no geth frame (+1 HTTP connection each) are below the threshold', function () {
      const gopark = pprofDiff(GETH, 'goroutine').rows.find((r) => r.function === 'runtime.gopark')!;
      const parked = findings[0];
      assert.ok(gopark.cum > parked.growth && gopark.cum - parked.growth < PATTERN_THRESHOLDS.minGoroutines * 2, `${gopark.cum} parked in pprof, ${parked.growth} found`);
    });

    it("the heap shows no pattern: its grown stacks are within 3σ of sampling noise at geth's 512 KiB rate", function () {
      assert.deepEqual(
        findings.filter((f) => f.unit === 'bytes'),
        [],
        describeFindings(findings),
      );
      // With the noise test off, what is left is growth with no leak signature (filter-map rendering,
      // pooled gzip writers of HTTP responses): 'unclassified', low confidence, each suspect a geth
      // function whose growth is pprof's cum for it and is under 3 of its standard deviations.
      const bare = classifyGrowth(inputOf(GETH, { thresholds: { noiseZ: 0 } })).filter((f) => f.unit === 'bytes');
      assert.ok(bare.length > 0, 'pprof shows heap growth');
      for (const f of bare) {
        assert.equal(f.pattern, 'unclassified', describeFindings(bare));
        assert.equal(f.confidence, 'low');
        for (const s of f.suspects) {
          assert.ok(s.function.startsWith('github.com/ethereum/go-ethereum/'), s.function);
          assert.equal(s.growth, pprofCum(GETH, 'heap', s.function), s.function);
          assert.ok(s.growth < PATTERN_THRESHOLDS.noiseZ * s.noise!, `${s.function}: ${s.growth} ± ${s.noise}`);
        }
      }
    });

    it('goroutine-parked stays first before bytes findings, and goroutineIgnore removes the stacks it matches', function () {
      const all = classifyGrowth(inputOf(GETH, { thresholds: { noiseZ: 0 } }));
      assert.equal(all[0].pattern, 'goroutine-parked');
      assert.ok(all.slice(1).every((f) => f.unit === 'bytes'));
      const ignored = classifyGrowth(inputOf(GETH, { goroutineIgnore: ['github.com/ethereum/go-ethereum/rpc.'] }));
      const parked = ignored.find((f) => f.pattern === 'goroutine-parked');
      // Only the filter goroutine has no rpc frame on its stack.
      assert.deepEqual(parked?.suspects.map((s) => s.function), ['github.com/ethereum/go-ethereum/eth/filters.(*FilterAPI).NewHeads.func1']);
    });
  });

  describe('signatures on hand-made stacks of geth, CometBFT and Cosmos code (names as pprof prints them)', function () {
    const heapCases: Array<{ what: string; stack: string[]; kind: string; suspect: string }> = [
      {
        what: 'pebble iterator opened through ethdb: the rawdb frame that called ethdb is the suspect',
        stack: [
          'github.com/cockroachdb/pebble/v2.(*DB).newIter',
          'github.com/cockroachdb/pebble/v2.(*DB).NewIter',
          'github.com/ethereum/go-ethereum/ethdb/pebble.(*Database).NewIterator',
          'github.com/ethereum/go-ethereum/core/rawdb.ReadAllHashesInRange',
          'github.com/ethereum/go-ethereum/core.(*BlockChain).reorg',
        ],
        kind: 'unclosed-iterators',
        suspect: 'github.com/ethereum/go-ethereum/core/rawdb.ReadAllHashesInRange',
      },
      {
        what: "pebble's block cache filled by an iterator is the cache, not the iterator",
        stack: [
          'github.com/cockroachdb/pebble/v2/internal/cache.newValue',
          'github.com/cockroachdb/pebble/v2/internal/cache.(*Cache).Alloc',
          'github.com/cockroachdb/pebble/v2/sstable.(*Reader).readBlockInternal',
          'github.com/cockroachdb/pebble/v2/sstable.(*singleLevelIterator).SeekGE',
          'github.com/cockroachdb/pebble/v2.(*Iterator).SeekGE',
          'github.com/ethereum/go-ethereum/ethdb/pebble.(*pebbleIterator).Next',
          'github.com/ethereum/go-ethereum/core/state/snapshot.generateRange',
        ],
        kind: 'library-internal',
        suspect: 'github.com/ethereum/go-ethereum/core/state/snapshot.generateRange',
      },
      {
        what: "goleveldb's memtable and journal on a write (bytes.Buffer inside goleveldb is not a decoder buffer)",
        stack: [
          'bytes.growSlice',
          'bytes.(*Buffer).grow',
          'bytes.(*Buffer).Write',
          'github.com/syndtr/goleveldb/leveldb/journal.(*Writer).writePending',
          'github.com/syndtr/goleveldb/leveldb.(*DB).writeLocked',
          'github.com/syndtr/goleveldb/leveldb.(*DB).Write',
          'github.com/cometbft/cometbft-db.(*GoLevelDB).SetSync',
          'github.com/cometbft/cometbft/store.(*BlockStore).SaveBlock',
        ],
        kind: 'library-internal',
        suspect: 'github.com/cometbft/cometbft/store.(*BlockStore).SaveBlock',
      },
      {
        what: 'a transaction decoded with rlp',
        stack: [
          'github.com/ethereum/go-ethereum/rlp.(*Stream).Bytes',
          'github.com/ethereum/go-ethereum/rlp.decodeByteSlice',
          'github.com/ethereum/go-ethereum/rlp.(*Stream).Decode',
          'github.com/ethereum/go-ethereum/rlp.DecodeBytes',
          'github.com/ethereum/go-ethereum/core/types.(*Transaction).decodeTyped',
          'github.com/ethereum/go-ethereum/core/types.(*Transaction).UnmarshalBinary',
        ],
        kind: 'decoder-buffers',
        suspect: 'github.com/ethereum/go-ethereum/core/types.(*Transaction).decodeTyped',
      },
      {
        what: "rlp encoding's output is a fresh copy kept by its caller (a trie node cache), not a decoder buffer",
        stack: [
          'github.com/ethereum/go-ethereum/rlp.(*encBuffer).makeBytes',
          'github.com/ethereum/go-ethereum/rlp.(*EncoderBuffer).ToBytes',
          'github.com/ethereum/go-ethereum/trie.nodeToBytes',
          'github.com/ethereum/go-ethereum/trie.(*committer).store',
        ],
        kind: 'library-internal',
        suspect: 'github.com/ethereum/go-ethereum/trie.nodeToBytes',
      },
      {
        what: "an LRU library filling up is a bounded cache; who fills it is the suspect",
        stack: [
          'github.com/ethereum/go-ethereum/common/lru.(*BasicLRU[go.shape.[32]uint8,go.shape.struct {}]).Add3',
          'github.com/ethereum/go-ethereum/common/lru.(*BasicLRU[go.shape.[32]uint8,go.shape.struct {}]).Add',
          'github.com/ethereum/go-ethereum/common/lru.(*Cache[go.shape.[32]uint8,go.shape.struct {}]).Add',
          'github.com/ethereum/go-ethereum/eth/fetcher.(*TxFetcher).loop',
        ],
        kind: 'library-internal',
        suspect: 'github.com/ethereum/go-ethereum/eth/fetcher.(*TxFetcher).loop',
      },
      {
        what: 'an amino-decoded message',
        stack: [
          'github.com/tendermint/go-amino.(*Codec).decodeReflectBinaryByteSlice',
          'github.com/tendermint/go-amino.(*Codec).UnmarshalBinaryBare',
          'github.com/tendermint/tendermint/blockchain/v0.decodeMsg',
        ],
        kind: 'decoder-buffers',
        suspect: 'github.com/tendermint/tendermint/blockchain/v0.decodeMsg',
      },
      {
        what: "a buffer from a pool whose New func is the node's: the caller of Get is the suspect",
        stack: ['github.com/example/node/p2p.init.func1', 'sync.(*Pool).Get', 'github.com/example/node/p2p.(*Conn).readFrame'],
        kind: 'decoder-buffers',
        suspect: 'github.com/example/node/p2p.(*Conn).readFrame',
      },
      {
        what: "CometBFT's logger (go-kit underneath) formatting a block",
        stack: [
          'fmt.Sprintf',
          'github.com/go-kit/log.(*context).Log',
          'github.com/cometbft/cometbft/libs/log.(*tmLogger).Info',
          'github.com/cometbft/cometbft/consensus.(*State).finalizeCommit',
        ],
        kind: 'log-formatting',
        suspect: 'github.com/cometbft/cometbft/consensus.(*State).finalizeCommit',
      },
      {
        what: 'a context with a deadline whose cancel is lost',
        stack: ['context.WithDeadlineCause', 'context.WithDeadline', 'context.WithTimeout', 'github.com/cometbft/cometbft/p2p.(*Switch).DialPeerWithAddress'],
        kind: 'timers-contexts',
        suspect: 'github.com/cometbft/cometbft/p2p.(*Switch).DialPeerWithAddress',
      },
      {
        what: 'sync.Map used as a store (visible: sync is not the runtime)',
        stack: [
          'internal/sync.newEntryNode[go.shape.interface {},go.shape.interface {}]',
          'internal/sync.(*HashTrieMap[go.shape.interface {},go.shape.interface {}]).Swap',
          'sync.(*Map).Swap',
          'sync.(*Map).Store',
          'github.com/example/node/peers.(*Book).Remember',
        ],
        kind: 'map-never-pruned',
        suspect: 'github.com/example/node/peers.(*Book).Remember',
      },
      {
        what: "CometBFT's mempool inserting a tx: an allocation of the node's own code (runtime frames hidden)",
        stack: ['github.com/cometbft/cometbft/mempool.(*CListMempool).addTx', 'github.com/cometbft/cometbft/mempool.(*CListMempool).resCbFirstTime'],
        kind: 'own-allocation',
        suspect: 'github.com/cometbft/cometbft/mempool.(*CListMempool).addTx',
      },
      {
        what: 'a pubsub subscription: the event bus is infrastructure, its caller the suspect',
        stack: [
          'github.com/cometbft/cometbft/libs/pubsub.NewSubscription',
          'github.com/cometbft/cometbft/libs/pubsub.(*Server).subscribe',
          'github.com/cometbft/cometbft/libs/pubsub.(*Server).Subscribe',
          'github.com/cometbft/cometbft/types.(*EventBus).Subscribe',
          'github.com/cometbft/cometbft/rpc/core.(*Environment).Subscribe',
        ],
        kind: 'library-internal',
        suspect: 'github.com/cometbft/cometbft/types.(*EventBus).Subscribe',
      },
      {
        what: 'websocket connection buffers are the connection, not a decoder (the transport owns them)',
        stack: [
          'bufio.NewReaderSize',
          'github.com/gorilla/websocket.newConn',
          'github.com/gorilla/websocket.(*Upgrader).Upgrade',
          'github.com/ethereum/go-ethereum/rpc.(*Server).WebsocketHandler.func1',
        ],
        kind: 'library-internal',
        suspect: 'github.com/ethereum/go-ethereum/rpc.(*Server).WebsocketHandler.func1',
      },
      {
        what: "the standard library's own HTTP connection buffers",
        stack: ['bufio.NewWriterSize', 'net/http.newBufioWriterSize', 'net/http.(*conn).serve'],
        kind: 'unclassified',
        suspect: 'bufio.NewWriterSize',
      },
      {
        what: 'a goroutine being created (system stack)',
        stack: ['runtime.mallocgc', 'runtime.newobject', 'runtime.malg', 'runtime.newproc1', 'runtime.newproc.func1', 'runtime.systemstack'],
        kind: 'goroutine-creation',
        suspect: 'runtime.newproc1',
      },
    ];
    for (const c of heapCases) {
      it(`heap: ${c.what} → ${c.kind}`, function () {
        assert.deepEqual(classifyHeapStack(c.stack), { kind: c.kind, suspect: c.suspect });
      });
    }

    const goroutineCases: Array<{ what: string; stack: string[]; kind: string; suspect: string; blockedIn?: string }> = [
      {
        what: 'a CometBFT websocket writer parked in select',
        stack: ['runtime.gopark', 'runtime.selectgo', 'github.com/cometbft/cometbft/rpc/jsonrpc/server.(*wsConnection).writeRoutine'],
        kind: 'goroutine-parked',
        suspect: 'github.com/cometbft/cometbft/rpc/jsonrpc/server.(*wsConnection).writeRoutine',
        blockedIn: 'select',
      },
      {
        what: 'a publisher blocked sending into a pubsub subscriber that does not read',
        stack: [
          'runtime.gopark',
          'runtime.chansend',
          'runtime.chansend1',
          'github.com/cometbft/cometbft/libs/pubsub.(*Server).send',
          'github.com/cometbft/cometbft/libs/pubsub.(*Server).PublishWithEvents',
          'github.com/cometbft/cometbft/types.(*EventBus).PublishEventNewBlock',
        ],
        kind: 'goroutine-parked',
        suspect: 'github.com/cometbft/cometbft/types.(*EventBus).PublishEventNewBlock',
        blockedIn: 'channel send',
      },
      {
        what: 'a waiter on a sync.Cond',
        stack: ['runtime.gopark', 'runtime.goparkunlock', 'sync.runtime_notifyListWait', 'sync.(*Cond).Wait', 'github.com/cometbft/cometbft/libs/clist.(*CList).FrontWait'],
        kind: 'goroutine-parked',
        suspect: 'github.com/cometbft/cometbft/libs/clist.(*CList).FrontWait',
        blockedIn: 'sync.Cond wait',
      },
      {
        what: 'a goroutine in a system call is not parked',
        stack: ['syscall.Syscall', 'syscall.read', 'os.(*File).Read', 'github.com/example/node.pipeLoop'],
        kind: 'unclassified',
        suspect: 'github.com/example/node.pipeLoop',
      },
      { what: "the runtime's own goroutines are not the node's", stack: ['runtime.gopark', 'runtime.gcBgMarkWorker'], kind: 'runtime', suspect: 'runtime.gopark' },
    ];
    for (const c of goroutineCases) {
      it(`goroutines: ${c.what} → ${c.kind}`, function () {
        const expected = c.blockedIn ? { kind: c.kind, suspect: c.suspect, blockedIn: c.blockedIn } : { kind: c.kind, suspect: c.suspect };
        assert.deepEqual(classifyGoroutineStack(c.stack), expected);
      });
    }

    it('package paths: generics, receivers, dotted module paths, major versions', function () {
      assert.equal(packagePath('slices.Clone[go.shape.[]github.com/ethereum/go-ethereum/core/filtermaps.FilterRow,go.shape.[]uint32]'), 'slices');
      assert.equal(packagePath('github.com/ethereum/go-ethereum/core/filtermaps.(*mapRenderer).run'), 'github.com/ethereum/go-ethereum/core/filtermaps');
      assert.equal(packagePath('github.com/cockroachdb/pebble/v2.(*DB).NewIter'), 'github.com/cockroachdb/pebble/v2');
      assert.equal(packagePath('main.(*node).do.func1'), 'main');
    });
  });
});
