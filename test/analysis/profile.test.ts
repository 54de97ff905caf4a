import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ProfileError,
  findSampleTypeIndex,
  readProfile,
  sampleStack,
  sampleTotal,
  sampleTypeIndex,
  sampleTypes,
  totals,
} from '../../harness/analysis/index.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'geth');
const fixture = (name: string) => join(FIXTURES, name);

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be reproduced. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe('analysis: readProfile', function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'chainsoak-profile-'));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('decodes a geth heap profile: sample types, totals, stacks', function () {
    const p = readProfile(fixture('heap-after.pb.gz'));
    assert.equal(p.source, fixture('heap-after.pb.gz'));
    assert.deepEqual(
      sampleTypes(p).map((t) => `${t.type}/${t.unit}`),
      ['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes'],
    );
    assert.equal(p.defaultSampleType, 'inuse_space');
    assert.equal(sampleTypeIndex(p, 'inuse_space'), 3);
    assert.equal(sampleTypeIndex(p, 'inuse_objects'), 2);
    assert.equal(sampleTypeIndex(p, 'alloc_space'), 1);
    assert.equal(findSampleTypeIndex(p, 'goroutine'), -1);
    assert.equal(findSampleTypeIndex(p, 'count'), -1, 'ambiguous unit does not match');
    assert.ok(p.samples.length > 10);

    // totals is the plain sum of every sample's values (the raw protobuf is the reference)
    const t = totals(p);
    const raw = p.raw.sample.reduce((sum, s) => sum + Number(s.value[3]), 0);
    assert.equal(t.inuse_space, raw);
    assert.equal(sampleTotal(p, 'inuse_space'), raw);
    assert.ok(t.inuse_space > 1_000_000, 'geth holds megabytes in use');
    assert.ok(t.alloc_space >= t.inuse_space);

    // every stack is symbolized Go function names, leaf first
    for (const s of p.samples) {
      const stack = sampleStack(p, s);
      assert.ok(stack.length > 0);
      for (const frame of stack) assert.match(frame, /^[\w./*()\[\]{},;: -]+$/u, frame);
    }
  });

  it('decodes a goroutine profile and resolves the "goroutine"/"count" sample type', function () {
    const p = readProfile(fixture('goroutine-after.pb.gz'));
    assert.deepEqual(sampleTypes(p), [{ type: 'goroutine', unit: 'count' }]);
    assert.equal(sampleTypeIndex(p, 'goroutine'), 0);
    assert.equal(sampleTypeIndex(p, 'count'), 0);
    assert.ok(totals(p).goroutine > 100);
  });

  it('expands inlined frames: a location with several lines yields several frames, innermost first', function () {
    const p = readProfile(fixture('goroutine-after.pb.gz'));
    const multi = p.raw.location.find((l) => l.line.length > 1);
    assert.ok(multi, 'the fixture has an inlined call');
    const names = multi.line.map((l) => {
      const fn = p.raw.function.find((f) => Number(f.id) === Number(l.functionId))!;
      return p.raw.stringTable.strings[Number(fn.name)];
    });
    const sample = p.samples.find((s, i) => p.raw.sample[i].locationId.some((id) => Number(id) === Number(multi.id)))!;
    const stack = sampleStack(p, sample);
    const at = stack.indexOf(names[0]);
    assert.ok(at >= 0);
    assert.deepEqual(stack.slice(at, at + names.length), names);
    assert.equal(sample.inlined[at], 1, 'innermost frame is marked inlined');
    assert.equal(sample.inlined[at + names.length - 1], 0, 'the caller it was inlined into is not');
  });

  it('reads a buffer and a plain (not gzipped) protobuf the same as the file', function () {
    const gz = readFileSync(fixture('heap-before.pb.gz'));
    const fromFile = readProfile(fixture('heap-before.pb.gz'));
    const fromPlain = readProfile(gunzipSync(gz), { name: 'plain' });
    assert.equal(fromPlain.source, 'plain');
    assert.equal(readProfile(gz).source, '<buffer>');
    assert.deepEqual(totals(fromPlain), totals(fromFile));
    assert.deepEqual(
      fromPlain.samples.map((s) => sampleStack(fromPlain, s)),
      fromFile.samples.map((s) => sampleStack(fromFile, s)),
    );
  });

  describe('corrupt input gives a one-line ProfileError naming the file', function () {
    const cases: Array<[string, () => Uint8Array | undefined, RegExp]> = [
      ['truncated gzip', () => readFileSync(fixture('heap-after.pb.gz')).subarray(0, 4000), /is a corrupt or truncated gzip file/],
      ['gzip with a flipped byte', () => { const b = Buffer.from(readFileSync(fixture('heap-after.pb.gz'))); b[b.length >> 1] ^= 0xff; return b; }, /gzip|not a pprof protobuf/],
      ['truncated plain protobuf', () => gunzipSync(readFileSync(fixture('heap-after.pb.gz'))).subarray(0, 5000), /is not a pprof protobuf: .*(truncated|remain)/],
      ['random bytes', () => randomBytes(4096, 42), /is not a pprof protobuf: /],
      ['gzipped random bytes', () => gzipSync(randomBytes(4096, 7)), /is not a pprof protobuf: /],
      ['a debug=1 text profile', () => Buffer.from('goroutine profile: total 73\n4 @ 0x47b7ae 0x40a2a5\n#\t0x47b7ad\truntime.gopark+0xcd\n'), /is not a pprof protobuf: it looks like text \("goroutine profile: total 73.*\); fetch the profile without \?debug=1\/2$/],
      ['gzipped JSON', () => gzipSync(Buffer.from('{"jsonrpc":"2.0","error":{"code":-32601}}')), /is not a pprof protobuf: it looks like text \("\{"jsonrpc".*\)$/],
      ['an empty file', () => new Uint8Array(0), /is not a pprof protobuf: the file is empty/],
      ['a missing file', () => undefined, /cannot be read: ENOENT/],
    ];
    for (const [what, bytes, pattern] of cases) {
      it(what, function () {
        const file = join(dir, `${what.replace(/\W+/g, '-')}.pb.gz`);
        const content = bytes();
        if (content) writeFileSync(file, content);
        assert.throws(
          () => readProfile(file),
          (err: unknown) => {
            assert.ok(err instanceof ProfileError, `not a ProfileError: ${String(err)}`);
            assert.ok(err instanceof Error);
            assert.equal(err.name, 'ProfileError');
            assert.equal(err.source, file);
            assert.ok(err.message.startsWith(`profile ${file} `), err.message);
            assert.ok(!/[\r\n]/.test(err.message), `multi-line message: ${JSON.stringify(err.message)}`);
            assert.match(err.message, pattern);
            if (process.env.SHOW_ERRORS) console.log(`      ${err.message}`);
            return true;
          },
        );
      });
    }

    it('a buffer is named in the message too', function () {
      assert.throws(() => readProfile(randomBytes(100, 3), { name: 'reports/x/heap-after.pb.gz' }), /^ProfileError: profile reports\/x\/heap-after\.pb\.gz is not a pprof protobuf: /);
    });

    it('an unknown sample type names the file and the types it has', function () {
      const p = readProfile(fixture('goroutine-before.pb.gz'));
      assert.throws(() => sampleTypeIndex(p, 'inuse_space'), (err: unknown) => {
        assert.ok(err instanceof ProfileError);
        assert.match(err.message, /goroutine-before\.pb\.gz has no sample type "inuse_space" \(it has: goroutine\/count\)$/);
        return true;
      });
    });
  });
});
