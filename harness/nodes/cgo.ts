/**
 * When a pure-Go build fails because a package needs cgo, and how such a build is made static.
 *
 * chainsoak builds with CGO_ENABLED=0 (static binaries that a FROM scratch image runs, every allocation
 * on the Go heap). Some old releases cannot: geth v1.10.0 to v1.10.17 import gopkg.in/olebedev/go-duktape.v3
 * (the JS tracer engine), whose Go files use types declared in its cgo files; without cgo those files are
 * left out and the compile fails ("undefined: Context"). The build log names the failing package
 * (`# <import path>`) and its files; a package that failed to compile and has cgo files (`import "C"`) of
 * its own is what "needs cgo" means here: nothing is guessed from the wording of the compiler's errors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NodeBuild } from '../result/types.ts';

/**
 * How a cgo build is linked statically (geth's own build/ci.go does the same for its static builds): the
 * external linker with -static, and the pure-Go user and DNS lookups (glibc's need its shared NSS modules
 * at run time, which a static binary cannot load).
 */
export const STATIC_CGO = { tags: 'osusergo,netgo', ldflags: '-linkmode external -extldflags -static' } as const;

const IMPORT_C = /^\s*import\s+(?:\(\s*)?"C"/m;

/** Whether a Go package directory has cgo files (`import "C"`). */
export function hasCgoFiles(dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.go') && !n.endsWith('_test.go'));
  } catch {
    return false;
  }
  return names.some((n) => {
    try {
      return IMPORT_C.test(readFileSync(path.join(dir, n), 'utf8'));
    } catch {
      return false;
    }
  });
}

/**
 * Packages of a failed CGO_ENABLED=0 build's output that need cgo: those go reports a compile error for
 * (`# pkg` then `file.go:line:col: ...`), or no Go files for (`build constraints exclude all Go files in
 * <dir>`), whose directory has cgo files. Relative file names are resolved against `cwd` (go's own cwd).
 */
export function packagesNeedingCgo(output: readonly string[], cwd: string): string[] {
  const found = new Set<string>();
  let current: string | undefined;
  let checked = false;
  for (const line of output) {
    const header = /^# (\S+)/.exec(line);
    if (header) {
      current = header[1];
      checked = false;
      continue;
    }
    const excluded = /build constraints exclude all Go files in (\S+)/.exec(line);
    if (excluded && hasCgoFiles(path.resolve(cwd, excluded[1]!))) {
      found.add(/package (\S+): build constraints/.exec(line)?.[1] ?? excluded[1]!);
      continue;
    }
    // The first file a package's errors name gives its directory.
    const file = /^\s*(\S+\.go):\d+(?::\d+)?: /.exec(line);
    if (current && file && !checked) {
      checked = true;
      if (hasCgoFiles(path.dirname(path.resolve(cwd, file[1]!)))) found.add(current);
    }
  }
  return [...found];
}

/** The report's view of a build record (result/types.ts NodeBuild). */
export function nodeBuild(record: { goVersion: string; cgoEnabled: string; cgoNeededBy?: string[]; linkage?: NodeBuild['linkage'] }): NodeBuild {
  return {
    goVersion: record.goVersion,
    cgo: record.cgoEnabled === '1',
    ...(record.cgoNeededBy ? { cgoNeededBy: record.cgoNeededBy } : {}),
    ...(record.linkage ? { linkage: record.linkage } : {}),
  };
}

/** One phrase for the console when a build is not the default static pure-Go one, else undefined. */
export function describeBuild(build: NodeBuild): string | undefined {
  if (!build.cgo) return undefined;
  const why = build.cgoNeededBy?.length ? `${build.cgoNeededBy.join(', ')} needs it` : 'CGO_ENABLED=1 from the environment';
  return `built with cgo: ${why}${build.linkage ? `; ${build.linkage === 'static' ? 'statically' : 'dynamically'} linked` : ''}`;
}
