/**
 * Provision node binaries: `go install <module>/<cmdPath>@<version>` into a per-version cache directory,
 * or, for a recipe with a localDir, `go build` in that directory (the version is then `src-<hash>`).
 *
 *   <cacheRoot>/nodes/<flavor>/<version>/<binary>       the binary
 *   <cacheRoot>/nodes/<flavor>/<version>/build.json     written last: binary + build.json = complete
 *   <cacheRoot>/nodes/<flavor>/<version>.lock           proper-lockfile lock while building
 *   <cacheRoot>/nodes/<flavor>/<version>+goexperiment.<name>/   the same, built with GOEXPERIMENT=<name>
 *   <cacheRoot>/tmp/<flavor>-<version>-XXXXXX/          GOBIN of a build in progress (same filesystem,
 *                                                       so the final rename is atomic)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { InfraError, UsageError } from '../errors.ts';
import { makeDir } from '../fs/make-dir.ts';
import { linkage } from '../runtimes/elf.ts';
import { packagesNeedingCgo, STATIC_CGO } from './cgo.ts';
import type { GoBuildRecipe, NodeFlavor } from './flavor.ts';
import { compareSemver, isSemverTag } from './node-spec.ts';

export interface BuildInfo {
  flavor: string;
  module: string;
  cmdPath: string;
  binary: string;
  version: string;
  goVersion: string;
  ldflags: string | null;
  /**
   * CGO_ENABLED the build ran with: the environment's CGO_ENABLED if set, else '0', or '1' when the pure-Go
   * build failed because packages need cgo (cgoNeededBy).
   */
  cgoEnabled: string;
  /** Packages that do not build without cgo: why chainsoak built this one with cgo (linked statically). */
  cgoNeededBy?: string[];
  /** -tags of the build (a static cgo build's osusergo,netgo). */
  tags?: string;
  /** The binary's ELF linkage: 'static' runs in a FROM scratch image, 'dynamic' needs the host's libc. */
  linkage?: 'static' | 'dynamic' | 'not-elf';
  builtAt: string;
  buildSeconds: number;
  /** The source directory of a local build (recipe.localDir). */
  source?: string;
  /** GOEXPERIMENT the build ran with, when chainsoak asked for an experiment (goroutineleakprofile). */
  goExperiment?: string;
}

export interface InstalledBinary {
  flavor: string;
  version: string;
  path: string;
  builtAt: string;
  goVersion: string;
  sizeBytes: number;
  /** The experiment the build was asked for (ensureBinary's goExperiment); absent for a plain build. */
  goExperiment?: string;
}

/**
 * The Go experiment that makes the runtime serve /debug/pprof/goroutineleak (Go 1.26+): goroutines a GC
 * cycle proves can never run again. A node with `provenLeaks: true` is built with it.
 */
export const GOROUTINE_LEAK_EXPERIMENT = 'goroutineleakprofile';

export interface EnsureBinaryOptions {
  /** Receives go's output line by line ("go: downloading ...") and chainsoak's own status lines. */
  onProgress?: (line: string) => void;
  /** Aborting kills the go process (and its compilers) and removes the temporary GOBIN. */
  signal?: AbortSignal;
  /**
   * Build with GOEXPERIMENT=<this> (added to any GOEXPERIMENT of the environment). A distinct binary:
   * it gets its own cache directory, `<version>+goexperiment.<name>`.
   */
  goExperiment?: string;
}

/** Root of chainsoak's cache: $CHAINSOAK_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/chainsoak. */
export function cacheRoot(): string {
  const own = process.env.CHAINSOAK_CACHE;
  if (own) {
    // A file there would surface as ENOTDIR deep inside a build: say it in one line instead.
    if (existsSync(own) && !statSync(own).isDirectory()) throw new UsageError(`CHAINSOAK_CACHE=${own}: is not a folder`);
    return path.resolve(own);
  }
  const xdg = process.env.XDG_CACHE_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'chainsoak');
}

const BUILD_JSON = 'build.json';
/** A lock whose holder stopped refreshing it for this long is taken over (the holder died). */
const LOCK_STALE_MS = 60_000;
/** The holder refreshes the lock's mtime this often, so a long build never looks stale. */
const LOCK_UPDATE_MS = 5_000;
const LOCK_POLL_MS = 1_000;
const DETAIL_LINES = 20;
const KILL_GRACE_MS = 3_000;

function safeSegment(kind: string, s: string): void {
  if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) {
    throw new UsageError(`bad ${kind} '${s}' for the node cache`);
  }
}

/** The build record of a binary chainsoak built (build.json beside it), or undefined for any other binary. */
export function buildRecordOf(binary: string): BuildInfo | undefined {
  const info = readBuildInfo(path.dirname(binary));
  return info && info.binary === path.basename(binary) ? info : undefined;
}

function readBuildInfo(dir: string): BuildInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path.join(dir, BUILD_JSON), 'utf8')) as BuildInfo;
    if (typeof info.binary !== 'string' || typeof info.version !== 'string') return undefined;
    return info;
  } catch {
    return undefined;
  }
}

/** The cached binary's path if the cache holds a complete build (binary + build.json), else undefined. */
function cached(dir: string, binary: string): string | undefined {
  const bin = path.join(dir, binary);
  return readBuildInfo(dir) && existsSync(bin) ? bin : undefined;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * GOFLAGS from the environment with any -mod=... replaced by `mod`: -mod=mod for `go install m@v`; none
 * (go's read-only default) for a local build, so go never rewrites the source's go.mod or go.sum.
 */
function goflags(mod?: string): string {
  const inherited = (process.env.GOFLAGS ?? '').split(/\s+/).filter((f) => f !== '' && !f.startsWith('-mod='));
  return [...inherited, ...(mod ? [mod] : [])].join(' ');
}

/**
 * The version of a local module's source: `src-` and 12 hex digits of a sha256 over the names and
 * contents of its top-level *.go files, go.mod and go.sum.
 */
export function sourceVersion(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.go') || n === 'go.mod' || n === 'go.sum').sort();
  } catch (err) {
    throw new InfraError(`cannot read the Go source in ${dir}: ${(err as Error).message}`);
  }
  if (!names.includes('go.mod')) throw new InfraError(`${dir} has no go.mod: not a Go module chainsoak can build`);
  const hash = createHash('sha256');
  for (const name of names) {
    const content = readFileSync(path.join(dir, name));
    hash.update(`${name}\0${content.length}\0`).update(content);
  }
  return `src-${hash.digest('hex').slice(0, 12)}`;
}

/** The version of a local recipe's source as it is now: `src-<hash>`, or `<versionLabel>-src-<hash>`. */
export function localVersion(recipe: GoBuildRecipe & { localDir: string }): string {
  const source = sourceVersion(recipe.localDir);
  return recipe.versionLabel ? `${recipe.versionLabel}-${source}` : source;
}

/** What ensureBinary builds for a flavor's version: the flavor's own mapping (buildOf), else its recipe at that version. */
export function flavorBuild(flavor: NodeFlavor, version: string): { recipe: GoBuildRecipe; version: string } {
  return flavor.buildOf?.(version) ?? { recipe: flavor.build, version };
}

/** A version ensureBinary accepts for the recipe: a release tag, or the local source's current hash (plus a suffix). */
function checkVersion(flavorName: string, recipe: GoBuildRecipe, version: string): void {
  if (!recipe.localDir) {
    if (!isSemverTag(version)) throw new UsageError(`bad ${flavorName} version '${version}': expected a release tag like v1.2.3`);
    return;
  }
  safeSegment(`${flavorName} version`, version);
  const current = localVersion({ ...recipe, localDir: recipe.localDir });
  if (version !== current && !version.startsWith(`${current}-`)) {
    throw new UsageError(`${flavorName} is built from its source in ${recipe.localDir} (now ${current}), not at version '${version}'; give no version, or a path to a binary`);
  }
}

/**
 * The go command line of a build: `go install <module>/<cmdPath>@<version>`, or `go build -o` in localDir.
 * `staticCgo`: the flags that link a cgo build statically (cgo.ts STATIC_CGO).
 */
function buildCommand(recipe: GoBuildRecipe, version: string, gobin: string, staticCgo = false): { args: string[]; cwd: string; ldflags: string | undefined; tags: string | undefined } {
  const ldflags = [recipe.ldflags?.(version), staticCgo ? STATIC_CGO.ldflags : undefined].filter((f) => f !== undefined).join(' ') || undefined;
  const tags = staticCgo ? STATIC_CGO.tags : undefined;
  const flags = [...(tags ? [`-tags=${tags}`] : []), ...(ldflags ? [`-ldflags=${ldflags}`] : [])];
  if (recipe.localDir) {
    // The content hash is the binary's identity: no file paths of the checkout (-trimpath), no VCS stamp.
    return { args: ['build', '-trimpath', '-buildvcs=false', ...flags, '-o', path.join(gobin, recipe.binary), '.'], cwd: recipe.localDir, ldflags, tags };
  }
  // An empty cmdPath: the module's root package is the command (vegeta).
  const pkg = recipe.cmdPath ? `${recipe.module}/${recipe.cmdPath}` : recipe.module;
  return { args: ['install', ...flags, `${pkg}@${version}`], cwd: gobin, ldflags, tags };
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
}

/**
 * Run go with `args`, stream its output lines to onLine, collect them. With a signal, the child gets its
 * own process group so an abort kills go together with the compile/link processes it started; without
 * one it stays in the caller's group, so a terminal Ctrl-C reaches it as usual.
 */
function runGo(args: string[], env: NodeJS.ProcessEnv, cwd: string, onLine: (line: string) => void, signal?: AbortSignal): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const detached = signal !== undefined;
    const child = spawn('go', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached });
    const lines: string[] = [];
    const pending = { stdout: '', stderr: '' };
    const feed = (which: 'stdout' | 'stderr', chunk: Buffer | string, flush = false) => {
      const text = pending[which] + chunk.toString();
      const parts = text.split(/\r?\n/);
      pending[which] = flush ? '' : (parts.pop() ?? '');
      for (const line of parts) {
        if (line === '') continue;
        if (lines.length < 5000) lines.push(line);
        else lines.splice(0, 1, line); // keep the tail if go is unexpectedly chatty
        onLine(line);
      }
    };
    child.stdout.on('data', (c) => feed('stdout', c));
    child.stderr.on('data', (c) => feed('stderr', c));

    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) {
          if (detached) process.kill(-child.pid, sig);
          else child.kill(sig);
        }
      } catch {
        /* already gone */
      }
    };
    const onAbort = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (err: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      if (err.code === 'ENOENT') {
        reject(new InfraError('the Go toolchain (`go`) is not on PATH; chainsoak builds nodes with `go install` (https://go.dev/dl)'));
      } else {
        reject(new InfraError(`could not run go: ${err.message}`));
      }
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      feed('stdout', '', true);
      feed('stderr', '', true);
      if (signal?.aborted) {
        killGroup('SIGKILL'); // stragglers of the group, if any
        return reject(abortError(signal));
      }
      resolve({ code, signal: sig, lines });
    });
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Does go's output say that `<module>[/<cmdPath>]@<version>` itself does not exist? Only a line naming
 * our own query counts: a dependency missing from the proxy is an infrastructure problem, not a typo.
 *
 * Seen in practice: the real proxy answers 404/410 "unknown revision vX" / "invalid version: unknown
 * revision"; a mirror may answer "403 Forbidden ... This module version is not available."; a version
 * query that matches nothing says "no matching versions for query".
 */
export function saysVersionMissing(output: readonly string[], recipe: GoBuildRecipe, version: string): boolean {
  const query = new RegExp(`${escapeRe(recipe.module)}(?:/${escapeRe(recipe.cmdPath)})?@${escapeRe(version)}\\b`);
  const missing =
    /unknown revision|invalid version|no matching versions|not found|404 Not Found|410 Gone|403 Forbidden|module version is not available/i;
  const text = output.join('\n');
  // go puts the server's answer on an indented line after the one naming the query; join those.
  const records = text.split(/\n(?![\t ])/);
  return records.some((r) => query.test(r) && missing.test(r) && !/does not contain package/.test(r));
}

/** GOEXPERIMENT with `experiment` last (go applies the list in order, so a `no<experiment>` before it loses). */
function withExperiment(inherited: string | undefined, experiment: string): string {
  const rest = (inherited ?? '').split(',').filter((e) => e !== '' && e !== experiment && e !== `no${experiment}`);
  return [...rest, experiment].join(',');
}

/** The first Go release that has the experiment; an older toolchain refuses the GOEXPERIMENT outright. */
const EXPERIMENT_SINCE: Record<string, [number, number]> = { [GOROUTINE_LEAK_EXPERIMENT]: [1, 26] };

function checkExperimentToolchain(goVer: string, experiment: string): void {
  const since = EXPERIMENT_SINCE[experiment];
  const m = /^go(\d+)\.(\d+)/.exec(goVer);
  if (!since || !m) return;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < since[0] || (major === since[0] && minor < since[1])) {
    throw new UsageError(`GOEXPERIMENT=${experiment} needs Go ${since.join('.')} or newer; \`go env GOVERSION\` says ${goVer}`);
  }
}

async function goVersion(env: NodeJS.ProcessEnv, cwd: string, signal?: AbortSignal): Promise<string> {
  const r = await runGo(['env', 'GOVERSION'], env, cwd, () => {}, signal);
  if (r.code !== 0) throw new InfraError(`\`go env GOVERSION\` failed (exit ${r.code ?? r.signal})`, { detail: r.lines.slice(-DETAIL_LINES).join('\n') });
  return r.lines[r.lines.length - 1]?.trim() ?? 'unknown';
}

/** The toolchain that really built `binary` (differs from `go env GOVERSION` if GOTOOLCHAIN switched). */
async function builtWith(binary: string, env: NodeJS.ProcessEnv, cwd: string, fallback: string): Promise<string> {
  try {
    const r = await runGo(['version', binary], env, cwd, () => {});
    const m = r.code === 0 ? /:\s*(go\S+)/.exec(r.lines.join('\n')) : null;
    return m?.[1] ?? fallback;
  } catch {
    return fallback;
  }
}

async function acquireLock(versionDir: string, label: string, binary: string, opts: EnsureBinaryOptions): Promise<(() => Promise<void>) | string> {
  let announced = false;
  for (;;) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    // Someone else may have finished while we waited.
    const hit = cached(versionDir, binary);
    if (hit) return hit;
    try {
      return await lockfile.lock(versionDir, {
        stale: LOCK_STALE_MS,
        update: LOCK_UPDATE_MS,
        retries: 0,
        realpath: false,
        // The final rename is atomic, so even a lock taken over by a second builder cannot corrupt the
        // cache; don't let proper-lockfile's default handler throw from a timer and crash the process.
        onCompromised: (err) => opts.onProgress?.(`chainsoak: lock for ${label} was compromised (${err.message}); continuing`),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw new InfraError(`could not lock ${versionDir}: ${(err as Error).message}`);
      }
      if (!announced) {
        opts.onProgress?.(`chainsoak: waiting for another chainsoak process that is building ${label}`);
        announced = true;
      }
      try {
        await sleep(LOCK_POLL_MS, undefined, { signal: opts.signal });
      } catch {
        throw abortError(opts.signal!);
      }
    }
  }
}

/**
 * Return the absolute path of `<flavor> <version>`'s binary, building it first (`go install`, or `go build`
 * in the recipe's localDir) if the cache does not hold it. Safe against concurrent callers (other
 * processes included) and interruption.
 *
 * Throws UsageError if the version does not exist in the Go module proxy, InfraError if the build fails
 * otherwise, and the signal's reason if aborted.
 */
export async function ensureBinary(
  flavorName: string,
  recipe: GoBuildRecipe,
  version: string,
  opts: EnsureBinaryOptions = {},
): Promise<string> {
  safeSegment('flavor name', flavorName);
  checkVersion(flavorName, recipe, version);
  const experiment = opts.goExperiment;
  if (experiment !== undefined && !/^[a-z0-9]+$/.test(experiment)) throw new UsageError(`bad Go experiment '${experiment}': expected a name like ${GOROUTINE_LEAK_EXPERIMENT}`);
  const root = cacheRoot();
  // Semver build metadata: `v1.17.10+goexperiment.goroutineleakprofile` sorts and reads as that version.
  const cacheVersion = experiment ? `${version}+goexperiment.${experiment}` : version;
  const versionDir = path.join(root, 'nodes', flavorName, cacheVersion);
  const label = `${flavorName} ${version}${experiment ? ` (GOEXPERIMENT=${experiment})` : ''}`;

  const hit = cached(versionDir, recipe.binary);
  if (hit) return hit;

  // The lock is the sibling directory <version>.lock; the version directory is created when the binary lands.
  makeDir(path.dirname(versionDir)); // not Node's recursive mkdir: it never returns under /proc
  const lockOrHit = await acquireLock(versionDir, label, recipe.binary, opts);
  if (typeof lockOrHit === 'string') return lockOrHit;
  const release = lockOrHit;

  const tmpParent = path.join(root, 'tmp');
  let tmp: string | undefined;
  try {
    // Re-check under the lock: the previous holder may have just finished.
    const again = cached(versionDir, recipe.binary);
    if (again) return again;

    makeDir(tmpParent);
    // We hold the lock, so leftovers with our prefix are from a builder that was killed. mkdtemp adds 6
    // characters: a longer name is another version's (v1.2.3- vs v1.2.3-rc1-, src-x- vs src-x-leaks-...).
    const prefix = `${flavorName}-${cacheVersion}-`;
    for (const name of await readdir(tmpParent)) {
      if (name.startsWith(prefix) && name.length === prefix.length + 6) await rm(path.join(tmpParent, name), { recursive: true, force: true });
    }
    tmp = await mkdtemp(path.join(tmpParent, prefix));

    // Pure-Go builds unless the caller's environment says otherwise: a static binary, no C compiler
    // needed, and every allocation is on the Go heap where pprof (and so chainsoak) can see it. A release
    // that cannot build without cgo (geth v1.10.0-v1.10.17: go-duktape) is built again with cgo, static.
    const cgoFromEnv = process.env.CGO_ENABLED;
    let cgo = cgoFromEnv ?? '0';
    let env: NodeJS.ProcessEnv = recipe.localDir
      ? { ...process.env, GOBIN: tmp, GOFLAGS: goflags(), CGO_ENABLED: cgo, GOWORK: 'off' } // only the module's own go.mod/go.sum count
      : { ...process.env, GOBIN: tmp, GOFLAGS: goflags('-mod=mod'), CGO_ENABLED: cgo };
    if (experiment) env.GOEXPERIMENT = withExperiment(process.env.GOEXPERIMENT, experiment);
    // Asked without our experiment: a toolchain too old for it would refuse even `go env`, not say its version.
    const goVer = await goVersion(experiment ? { ...env, GOEXPERIMENT: process.env.GOEXPERIMENT ?? '' } : env, tmp, opts.signal);
    if (experiment) checkExperimentToolchain(goVer, experiment);
    let { args, cwd, ldflags, tags } = buildCommand(recipe, version, tmp);
    opts.onProgress?.(`chainsoak: building ${label} with ${goVer}: go ${args.join(' ')}${recipe.localDir ? ` (in ${cwd})` : ''}`);

    const started = Date.now();
    let r = await runGo(args, env, cwd, (line) => opts.onProgress?.(line), opts.signal);
    if (r.code !== 0 && !recipe.localDir && saysVersionMissing(r.lines, recipe, version)) {
      // `go install m@v` also asks the proxy for the module's version list (retraction checks). Some
      // mirrors refuse that list for a module whose exact versions they still serve (tendermint here).
      // If the exact version downloads, install again with the local module cache as a fallback proxy.
      const download = await runGo(['mod', 'download', '-json', `${recipe.module}@${version}`], env, tmp, () => {}, opts.signal);
      if (download.code === 0) {
        const modcache = (await runGo(['env', 'GOMODCACHE'], env, tmp, () => {}, opts.signal)).lines[0];
        // '|' (not ',') so that a 403 from the proxy also falls through to the local cache.
        const proxies = (env.GOPROXY || 'https://proxy.golang.org,direct').split(/[,|]/).filter((p) => p && p !== 'direct' && p !== 'off');
        env = { ...env, GOPROXY: [...proxies, `file://${modcache}/cache/download`].join('|') };
        opts.onProgress?.(`chainsoak: the proxy refused ${recipe.module}'s version list; building from the downloaded module`);
        r = await runGo(args, env, tmp, (line) => opts.onProgress?.(line), opts.signal);
      }
    }
    const cgoNeededBy = r.code !== 0 && cgo === '0' ? packagesNeedingCgo(r.lines, cwd) : [];
    if (cgoNeededBy.length > 0 && cgoFromEnv === undefined) {
      cgo = env.CGO_ENABLED = '1';
      ({ args, cwd, ldflags, tags } = buildCommand(recipe, version, tmp, true));
      opts.onProgress?.(`chainsoak: ${cgoNeededBy.join(', ')} does not build without cgo; building ${label} with cgo, linked statically: go ${args.join(' ')}`);
      r = await runGo(args, env, cwd, (line) => opts.onProgress?.(line), opts.signal);
    }
    const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
    if (r.code !== 0) {
      if (!recipe.localDir && saysVersionMissing(r.lines, recipe, version)) {
        throw new UsageError(`${label} does not exist in the Go module proxy (${recipe.module})`);
      }
      const how = r.code === null ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
      // CGO_ENABLED=0 from the environment is the user's choice: say what it costs instead of overriding it.
      const hint = cgoFromEnv !== undefined && cgoNeededBy.length > 0 ? ` (${cgoNeededBy.join(', ')} needs cgo: unset CGO_ENABLED=0 to let chainsoak build with cgo)` : '';
      throw new InfraError(`building ${label} failed: go ${args[0]} ${how} (${goVer}${cgo === '1' ? ', CGO_ENABLED=1' : ''})${hint}; last lines of its output follow`, {
        detail: r.lines.slice(-DETAIL_LINES).join('\n'),
      });
    }

    const built = path.join(tmp, recipe.binary);
    try {
      await stat(built);
    } catch {
      throw new InfraError(`building ${label}: go ${args[0]} succeeded but produced no ${recipe.binary} in GOBIN`, {
        detail: r.lines.slice(-DETAIL_LINES).join('\n'),
      });
    }
    const toolchain = await builtWith(built, env, tmp, goVer);
    // `go version` names a binary's experiments ("go1.26.8-X:goroutineleakprofile"): proof it is in.
    if (experiment && !new RegExp(`X:(\\S*,)?${experiment}\\b`).test(toolchain)) {
      throw new InfraError(`building ${label}: the binary's toolchain (${toolchain}) does not name the experiment ${experiment}`);
    }
    const finalPath = path.join(versionDir, recipe.binary);
    makeDir(versionDir);
    await rename(built, finalPath);

    const info: BuildInfo = {
      flavor: flavorName,
      module: recipe.module,
      cmdPath: recipe.cmdPath,
      binary: recipe.binary,
      version,
      goVersion: toolchain,
      ldflags: ldflags ?? null,
      cgoEnabled: cgo,
      ...(cgoNeededBy.length > 0 && cgo === '1' ? { cgoNeededBy } : {}),
      ...(tags ? { tags } : {}),
      linkage: await linkage(finalPath),
      builtAt: new Date().toISOString(),
      buildSeconds,
      ...(recipe.localDir ? { source: recipe.localDir } : {}),
      ...(experiment ? { goExperiment: env.GOEXPERIMENT! } : {}),
    };
    const jsonTmp = path.join(tmp, BUILD_JSON);
    await writeFile(jsonTmp, JSON.stringify(info, null, 2) + '\n');
    await rename(jsonTmp, path.join(versionDir, BUILD_JSON));
    opts.onProgress?.(`chainsoak: built ${label} in ${buildSeconds}s -> ${finalPath}`);
    return finalPath;
  } catch (err) {
    // Don't leave an empty <version> directory behind a failed or aborted build (still under the lock).
    await rmdir(versionDir).catch(() => {});
    throw err;
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => {});
    await release().catch(() => {});
  }
}

/** Every complete build in the cache, sorted by flavor, then version (semver order; a plain build before its experiment builds). */
export function listInstalled(): InstalledBinary[] {
  const nodes = path.join(cacheRoot(), 'nodes');
  const out: InstalledBinary[] = [];
  const dirs = (p: string) => {
    try {
      return readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.endsWith('.lock')).map((d) => d.name).sort();
    } catch {
      return [];
    }
  };
  for (const flavor of dirs(nodes)) {
    // `v1.2.3+goexperiment.x` is v1.2.3 built another way: compare the tags, then the whole names.
    const tag = (name: string) => name.split('+')[0]!;
    const versions = dirs(path.join(nodes, flavor)).sort((a, b) =>
      isSemverTag(tag(a)) && isSemverTag(tag(b)) && tag(a) !== tag(b) ? compareSemver(tag(a), tag(b)) : a < b ? -1 : 1,
    );
    for (const name of versions) {
      const dir = path.join(nodes, flavor, name);
      const info = readBuildInfo(dir);
      if (!info) continue;
      const bin = path.join(dir, info.binary);
      try {
        const st = statSync(bin);
        if (!st.isFile()) continue;
        const experiment = /\+goexperiment\.([a-z0-9]+)$/.exec(name)?.[1];
        out.push({ flavor, version: tag(name), path: bin, builtAt: info.builtAt, goVersion: info.goVersion, sizeBytes: st.size, ...(experiment ? { goExperiment: experiment } : {}) });
      } catch {
        /* binary gone: not installed */
      }
    }
  }
  return out;
}
