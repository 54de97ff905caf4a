/**
 * Goroutine creators from a goroutine dump (`/debug/pprof/goroutine?debug=2`). Go's goroutine profile
 * (debug=0 protobuf, the one chainsoak diffs) has no creator: runtime.saveg records only the goroutine's
 * own stack, without gp.gopc, and no label; its last location is the goroutine's start function. The
 * dump's "created by X in goroutine N" line is the only place Go writes the function whose `go`
 * statement started it.
 *
 * A dump hides the runtime's unexported frames (gopark, chanrecv, ...) that the profile keeps, so stacks
 * are matched on the other frames (creatorKey); both expand inlined calls and elide wrappers alike.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Creators per stack: creatorKey(stack) → creator function → goroutines. */
export type GoroutineCreators = Map<string, Map<string, number>>;

/** What a dump and a profile both show: the stack without the runtime's unexported frames, leaf first. */
export function creatorKey(stack: readonly string[]): string {
  return stack.filter((f) => !/^runtime\.[a-z_]/.test(f)).join('\n');
}

/** Reads a dump saved as text or gzipped text. */
export function readGoroutineDump(path: string): string {
  const bytes = readFileSync(path);
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
}

/**
 * Parses a debug=2 dump: blocks start with `goroutine N [state]:`, then a function line (`pkg.f(args)`)
 * and a tab-indented file line per frame, then `created by pkg.g in goroutine M` (`created by pkg.g`
 * before Go 1.21). Goroutines without a creator (main, the runtime's) are left out.
 */
export function goroutineCreators(dump: string): GoroutineCreators {
  const creators: GoroutineCreators = new Map();
  let stack: string[] | undefined;
  for (const line of dump.split('\n')) {
    if (line.startsWith('goroutine ')) {
      // `goroutine 5 [chan receive]:` starts a goroutine; `[originating from goroutine 3]:` blocks of
      // GODEBUG=tracebackancestors are ancestors, not goroutines.
      stack = /^goroutine \d+ .*\[.*\]:$/.test(line) && !line.includes('[originating from') ? [] : undefined;
    } else if (!stack || line === '' || line.startsWith('\t') || line.startsWith('...')) {
      continue;
    } else if (line.startsWith('created by ')) {
      const creator = line.slice('created by '.length).replace(/ in goroutine \d+$/, '');
      const key = creatorKey(stack);
      const counts = creators.get(key) ?? new Map<string, number>();
      counts.set(creator, (counts.get(creator) ?? 0) + 1);
      creators.set(key, counts);
      stack = undefined;
    } else {
      // `net/http.(*conn).serve(0xc000..., {0x7a..., 0xc0...})`, `pkg.f(...)` when inlined: the
      // arguments are the last parenthesised group (they hold no parentheses themselves).
      stack.push(line.replace(/\([^()]*\)$/, ''));
    }
  }
  return creators;
}

/** The creator most of a stack's goroutines have in the dump, or undefined. */
export function creatorOf(creators: GoroutineCreators, stack: readonly string[]): string | undefined {
  const counts = creators.get(creatorKey(stack));
  if (!counts) return undefined;
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
}

/**
 * The creator a goroutine's start function implies by its name: a closure `pkg.f.func1` (or the wrapper
 * `pkg.f.gowrap1` of `go g(x)`) is defined in pkg.f, and a `go func(){...}()` starts it there; a nested
 * closure `pkg.f.func1.2` in pkg.f.func1. A named function says nothing of its creator.
 */
export function creatorFromClosure(entry: string): string | undefined {
  const m = /^(.+)\.(?:func|gowrap)\d+$/.exec(entry) ?? /^(.+\.func\d+(?:\.\d+)*)\.\d+$/.exec(entry);
  return m?.[1];
}
