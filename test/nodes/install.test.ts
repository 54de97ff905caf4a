/**
 * ensureBinary against the real Go toolchain and module proxy. The concurrent-build test builds geth
 * v1.17.10 (about 1 minute with a warm Go build cache, 2-4 minutes cold on 2 cores).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError, UsageError } from '../../harness/errors.ts';
import { gethBuild } from '../../harness/nodes/geth-build.ts';
import { cacheRoot, ensureBinary, listInstalled, saysVersionMissing } from '../../harness/nodes/install.ts';
import { withEnv } from '../helpers.ts';

const INSTALL_TS = fileURLToPath(new URL('../../harness/nodes/install.ts', import.meta.url));
const GETH_BUILD_TS = fileURLToPath(new URL('../../harness/nodes/geth-build.ts', import.meta.url));
const VERSION = 'v1.17.10';

function tempCache(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'cs-cache-test-'));
}

function oneLineUsageError(expected: string) {
  return (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected UsageError, got ${(err as Error)?.stack ?? String(err)}`);
    assert.equal(err.exitCode, 2);
    assert.equal(err.message, expected);
    assert.equal(err.detail, undefined);
    return true;
  };
}

/** Leftovers a finished (successful or failed) ensureBinary must not leave. */
function assertNoLeftovers(root: string) {
  const tmp = path.join(root, 'tmp');
  assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], [], 'temporary GOBIN dirs removed');
  const flavorDir = path.join(root, 'nodes', 'geth');
  const locks = existsSync(flavorDir) ? readdirSync(flavorDir).filter((n) => n.endsWith('.lock')) : [];
  assert.deepEqual(locks, [], 'locks released');
}

/** Linux: pids of live processes whose environment has GOBIN inside `root` (go and the compilers it runs). */
function processesWithGobinUnder(root: string): number[] {
  if (!existsSync('/proc/self/environ')) return [];
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (env.some((e) => e.startsWith(`GOBIN=${root}/`))) pids.push(Number(name));
    } catch {
      /* exited or not ours */
    }
  }
  return pids;
}

describe('cacheRoot', () => {
  it('prefers $CHAINSOAK_CACHE, then $XDG_CACHE_HOME/chainsoak, then ~/.cache/chainsoak', async () => {
    await withEnv({ CHAINSOAK_CACHE: '/x/cs', XDG_CACHE_HOME: '/y' }, () => assert.equal(cacheRoot(), '/x/cs'));
    await withEnv({ CHAINSOAK_CACHE: 'rel/cs', XDG_CACHE_HOME: undefined }, () => assert.equal(cacheRoot(), path.resolve('rel/cs')));
    await withEnv({ CHAINSOAK_CACHE: undefined, XDG_CACHE_HOME: '/y' }, () => assert.equal(cacheRoot(), '/y/chainsoak'));
    await withEnv({ CHAINSOAK_CACHE: undefined, XDG_CACHE_HOME: 'relative' }, () =>
      assert.equal(cacheRoot(), path.join(os.homedir(), '.cache', 'chainsoak')),
    );
    await withEnv({ CHAINSOAK_CACHE: '', XDG_CACHE_HOME: undefined }, () => assert.equal(cacheRoot(), path.join(os.homedir(), '.cache', 'chainsoak')));
  });
});

describe('saysVersionMissing', () => {
  const q = 'github.com/ethereum/go-ethereum/cmd/geth@v1.99.0';
  it('recognises what this machine’s proxy answers (403, "not available")', () => {
    const out = [`go: ${q}: ${q}: reading https://proxy.golang.org/github.com/ethereum/go-ethereum/cmd/geth/@v/v1.99.0.info: 403 Forbidden`, '\tserver response: This module version is not available.'];
    assert.ok(saysVersionMissing(out, gethBuild, 'v1.99.0'));
  });
  it('recognises proxy.golang.org’s 404/410 "unknown revision" and a no-match query', () => {
    const gone = [
      `go: ${q}: ${q}: reading https://proxy.golang.org/github.com/ethereum/go-ethereum/cmd/geth/@v/v1.99.0.info: 410 Gone`,
      '\tserver response: not found: github.com/ethereum/go-ethereum@v1.99.0: invalid version: unknown revision v1.99.0',
    ];
    assert.ok(saysVersionMissing(gone, gethBuild, 'v1.99.0'));
    assert.ok(saysVersionMissing([`go: ${q}: no matching versions for query "v1.99.0"`], gethBuild, 'v1.99.0'));
  });
  it('does not blame the version for a missing dependency, a network failure or a bad package path', () => {
    const dep = [
      'go: downloading github.com/ethereum/go-ethereum v1.99.0',
      'go: github.com/foo/bar@v0.1.0: reading https://proxy.golang.org/github.com/foo/bar/@v/v0.1.0.mod: 410 Gone',
    ];
    assert.ok(!saysVersionMissing(dep, gethBuild, 'v1.99.0'));
    const net = [`go: ${q}: ${q}: Get "https://proxy.golang.org/github.com/ethereum/go-ethereum/cmd/geth/@v/v1.99.0.info": dial tcp: lookup proxy.golang.org: no such host`];
    assert.ok(!saysVersionMissing(net, gethBuild, 'v1.99.0'));
    const pkg = [`go: ${q}: module github.com/ethereum/go-ethereum@v1.99.0 found, but does not contain package github.com/ethereum/go-ethereum/cmd/geth`];
    assert.ok(!saysVersionMissing(pkg, gethBuild, 'v1.99.0'));
  });
});

describe('ensureBinary (real go toolchain)', function () {
  this.timeout(15 * 60_000);
  let root: string;
  beforeEach(() => {
    root = tempCache();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('rejects a malformed version without running go', async () => {
    await withEnv({ CHAINSOAK_CACHE: root, PATH: '' }, () =>
      assert.rejects(ensureBinary('geth', gethBuild, 'latest'), (err: unknown) => err instanceof UsageError && /latest/.test(err.message)),
    );
  });

  for (const version of ['v1.99.0', 'v1.17.999']) {
    it(`turns the nonexistent geth ${version} into a one-line UsageError`, async () => {
      const lines: string[] = [];
      await withEnv({ CHAINSOAK_CACHE: root }, () =>
        assert.rejects(
          ensureBinary('geth', gethBuild, version, { onProgress: (l) => lines.push(l) }),
          oneLineUsageError(`geth ${version} does not exist in the Go module proxy (github.com/ethereum/go-ethereum)`),
        ),
      );
      assert.ok(lines.some((l) => l.includes('go install')), 'announces the build');
      assert.ok(lines.some((l) => l.startsWith('go: ') && l.includes(`@${version}`)), "go's own output is forwarded");
      assertNoLeftovers(root);
      assert.ok(!existsSync(path.join(root, 'nodes', 'geth', version)), 'no empty version dir left');
    });
  }

  it('reports a missing go toolchain as InfraError', async () => {
    await withEnv({ CHAINSOAK_CACHE: root, PATH: '' }, () =>
      assert.rejects(ensureBinary('geth', gethBuild, VERSION), (err: unknown) => err instanceof InfraError && err.exitCode === 3 && /not on PATH/.test(err.message)),
    );
    assertNoLeftovers(root);
  });

  it('reports any other build failure as InfraError with a one-line message and go\'s output tail as detail', async () => {
    const noSuchCmd = { ...gethBuild, cmdPath: 'cmd/nosuch' };
    await withEnv({ CHAINSOAK_CACHE: root }, () =>
      assert.rejects(ensureBinary('geth', noSuchCmd, VERSION), (err: unknown) => {
        assert.ok(err instanceof InfraError, String(err));
        assert.equal(err.exitCode, 3);
        assert.match(err.message, /^building geth v1\.17\.10 failed: go install exited with code 1/);
        assert.ok(!err.message.includes('\n'));
        assert.match(err.detail ?? '', /does not contain package github\.com\/ethereum\/go-ethereum\/cmd\/nosuch/);
        return true;
      }),
    );
    assertNoLeftovers(root);
  });

  it('geth before v1.14.8 really needs -checklinkname=0 with this Go (link fails without it)', async () => {
    // Only the link step differs from the recipe's build, so with a warm Go build cache this is quick.
    const withoutFlag = { ...gethBuild, ldflags: undefined };
    await withEnv({ CHAINSOAK_CACHE: root }, () =>
      assert.rejects(ensureBinary('geth', withoutFlag, 'v1.13.15'), (err: unknown) => {
        assert.ok(err instanceof InfraError, String(err));
        assert.match(err.detail ?? '', /github\.com\/fjl\/memsize: invalid reference to runtime\.stopTheWorld/);
        return true;
      }),
    );
    assertNoLeftovers(root);
  });

  it('aborting kills go and removes its temporary directory', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const lines: string[] = [];
    const p = withEnv({ CHAINSOAK_CACHE: root }, () =>
      ensureBinary('geth', gethBuild, VERSION, {
        signal: ac.signal,
        onProgress: (l) => {
          lines.push(l);
          if (l.startsWith('chainsoak: building')) setTimeout(() => ac.abort(new Error('interrupted by test')), 1500);
        },
      }),
    );
    await assert.rejects(p, /interrupted by test/);
    assert.ok(Date.now() - started < 20_000, 'abort is prompt');
    assertNoLeftovers(root);
    assert.ok(!existsSync(path.join(root, 'nodes', 'geth', VERSION, 'geth')), 'no binary');
    assert.deepEqual(processesWithGobinUnder(root), [], 'go and its compilers are gone');
    assert.deepEqual(await withEnv({ CHAINSOAK_CACHE: root }, () => listInstalled()), []);
  });

  it(`two concurrent builds of geth ${VERSION} (two processes) share one build; then the cache hits without go`, async () => {
    // One ensureBinary in a child process, one here, started together.
    const childScript = `
      import { ensureBinary } from ${JSON.stringify(INSTALL_TS)};
      import { gethBuild } from ${JSON.stringify(GETH_BUILD_TS)};
      const lines = [];
      const p = await ensureBinary('geth', gethBuild, ${JSON.stringify(VERSION)}, { onProgress: (l) => lines.push(l) });
      process.stdout.write(JSON.stringify({ path: p, lines }));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childScript], {
      env: { ...process.env, CHAINSOAK_CACHE: root },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let childOut = '';
    child.stdout.on('data', (c) => (childOut += c));
    const childDone = new Promise<{ path: string; lines: string[] }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(childOut)) : reject(new Error(`child exited ${code}: ${childOut}`))));
    });

    const mine: string[] = [];
    const t0 = Date.now();
    const [here, there] = await withEnv({ CHAINSOAK_CACHE: root }, () =>
      Promise.all([ensureBinary('geth', gethBuild, VERSION, { onProgress: (l) => mine.push(l) }), childDone]),
    );
    console.log(`      (concurrent build of geth ${VERSION} took ${((Date.now() - t0) / 1000).toFixed(1)}s)`);

    const expected = path.join(root, 'nodes', 'geth', VERSION, 'geth');
    assert.equal(here, expected);
    assert.equal(there.path, expected);
    const built = [mine, there.lines].filter((ls) => ls.some((l) => l.startsWith('chainsoak: building')));
    const waited = [mine, there.lines].filter((ls) => ls.some((l) => l.startsWith('chainsoak: waiting for another')));
    assert.equal(built.length, 1, 'exactly one of the two ran go install');
    assert.equal(waited.length, 1, 'the other one waited for the lock');
    assertNoLeftovers(root);

    const version = execFileSync(here, ['version'], { encoding: 'utf8' });
    assert.match(version, /Version: 1\.17\.10-stable/);

    const buildJson = path.join(root, 'nodes', 'geth', VERSION, 'build.json');
    const info = JSON.parse(readFileSync(buildJson, 'utf8'));
    assert.equal(info.module, 'github.com/ethereum/go-ethereum');
    assert.equal(info.version, VERSION);
    assert.equal(info.ldflags, null);
    if (process.env.CGO_ENABLED === undefined) assert.equal(info.cgoEnabled, '0');
    assert.match(info.goVersion, /^go1\./);

    // Cache hit: with go off PATH any go invocation would fail; build.json must be untouched.
    const t1 = Date.now();
    const again = await withEnv({ CHAINSOAK_CACHE: root, PATH: '' }, () => ensureBinary('geth', gethBuild, VERSION));
    assert.equal(again, expected);
    assert.ok(Date.now() - t1 < 1000, 'cache hit is fast');
    assert.equal(JSON.parse(readFileSync(buildJson, 'utf8')).builtAt, info.builtAt);

    const installed = await withEnv({ CHAINSOAK_CACHE: root }, () => listInstalled());
    assert.equal(installed.length, 1);
    assert.deepEqual(
      { ...installed[0], sizeBytes: installed[0]!.sizeBytes > 10_000_000 },
      { flavor: 'geth', version: VERSION, path: expected, builtAt: info.builtAt, goVersion: info.goVersion, sizeBytes: true },
    );
  });
});
