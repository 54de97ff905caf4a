/**
 * Growth signatures: which leak pattern one grown stack (leaf first) shows, and which frame is the
 * suspect — the nearest frame of the node's own code (frames.ts), i.e. the caller into the standard
 * library or the library that allocated.
 *
 * Only the frames between the leaf and the suspect (the "segment") are matched: what the suspect's
 * callers do (an HTTP server, a bufio reader further up) says nothing about what was allocated.
 *
 * Go's heap profiles hide the leading runtime frames of every stack (runtime/pprof writeHeapProto,
 * "hideRuntime"): `runtime.mapassign*`, `runtime.makeslice`, `runtime.newobject`, `runtime.makechan` never
 * show; a map insert, a make, a new or an append all show as an allocation in the calling function
 * itself. The explicit runtime map frames are still matched (another producer may keep them), but map
 * growth is normally recognised as an allocation made directly by the node's own code ('own-allocation').
 */
import { isOwn, isRuntime, isStdlib, libraryRole, packagePath } from './frames.ts';

/**
 * A heap stack's class. Besides the patterns: 'goroutine-creation' (the g struct of a new goroutine,
 * allocated on the system stack, no user frame), 'own-allocation' (allocated directly in the suspect:
 * make/new/append/map insert), 'library-internal' (a database engine's, transport's or event bus's own
 * memory: memtables, journals, caches, connection buffers, subscriptions) and 'unclassified'.
 */
export type HeapClass =
  | 'goroutine-creation'
  | 'unclosed-iterators'
  | 'timers-contexts'
  | 'log-formatting'
  | 'decoder-buffers'
  | 'map-never-pruned'
  | 'own-allocation'
  | 'library-internal'
  | 'unclassified';

export interface Classified<C> {
  kind: C;
  suspect: string;
}

/** Frames of the standard library, per pattern, most specific first. */
const TIMER_FRAME = /^context\.|^time\.(NewTimer|newTimer|AfterFunc|NewTicker|After|Tick|\(\*Timer\)|\(\*Ticker\))/;
const LOG_FRAME = /^fmt\.|^log\.|^log\/slog\./;
const DECODER_FRAME = /^bytes\.(makeSlice|growSlice|NewBuffer|\(\*Buffer\)\.)|^io\.ReadAll$|^bufio\.|^encoding\/|^sync\.\(\*Pool\)\.Get$/;
const MAP_FRAME = /^runtime\.(mapassign|makemap|hashGrow|growWork|evacuate)|^internal\/runtime\/maps\.|^sync\.\(\*Map\)\.|^internal\/sync\.|^maps\.(Clone|Copy|Collect|Insert)\b|^reflect\.mapassign/;
/** A database function that creates or moves an iterator or snapshot (matched on the name after the package). */
const ITERATOR_NAME = /iter|snapshot/i;
/** A database's bounded cache (block cache, table cache): filled through iterators, but not held by them. */
const CACHE_PACKAGE = /(^|\/)cache$/;

const POOL_GET = 'sync.(*Pool).Get';

export function classifyHeapStack(stack: readonly string[]): Classified<HeapClass> {
  if (stack.includes('runtime.newproc1')) return { kind: 'goroutine-creation', suspect: 'runtime.newproc1' };
  let own = stack.findIndex(isOwn);
  // A pool's New func is the node's code but not the suspect: the code that took the buffer from the
  // pool (and kept it) is the caller of Get.
  const pool = stack.indexOf(POOL_GET);
  if (pool >= 0 && own >= 0 && own < pool) {
    const above = stack.slice(pool + 1).findIndex(isOwn);
    own = above >= 0 ? pool + 1 + above : -1;
  }
  const segment = own >= 0 ? stack.slice(0, own) : stack;
  const suspect = own >= 0 ? stack[own] : fallbackSuspect(stack);
  const kind = (k: HeapClass): Classified<HeapClass> => ({ kind: k, suspect });

  // The outermost library frame is the call the node made (NewIterator, Get, Info, Decode): it decides
  // who owns the memory, whatever standard-library frames that library allocated through.
  let outer = -1;
  for (let i = segment.length - 1; i >= 0 && outer < 0; i--) if (libraryRole(segment[i]) !== undefined) outer = i;
  const role = outer >= 0 ? libraryRole(segment[outer]) : undefined;
  if (role === 'db') {
    const throughCache = segment.some((f) => !isStdlib(f) && CACHE_PACKAGE.test(packagePath(f)));
    return kind(!throughCache && ITERATOR_NAME.test(nameInPackage(segment[outer])) ? 'unclosed-iterators' : 'library-internal');
  }
  if (role === 'log') return kind('log-formatting');
  // A codec's decode keeps its buffers in what it decodes; an encode's output is a fresh copy that
  // belongs to whoever keeps it (a trie node cache, say), not a pooled buffer.
  if (role === 'decoder') return kind(isEncode(segment[outer]) ? 'library-internal' : 'decoder-buffers');
  // A transport's connection state, a bounded cache filling, an event bus's subscriptions: held for
  // whoever keeps them open.
  if (role !== undefined) return kind('library-internal');
  // Neither the node's code nor a library on the stack: the standard library's own machinery (HTTP server
  // connections, the pprof handler, lazily built tables). Its frames say nothing about the node's misuse.
  if (own < 0) return kind('unclassified');

  // The node called the standard library directly: its frames decide.
  if (segment.some((f) => TIMER_FRAME.test(f))) return kind('timers-contexts');
  if (segment.some((f) => LOG_FRAME.test(f))) return kind('log-formatting');
  // sync.Pool's own per-P arrays (pinSlow) are bookkeeping, not a pooled buffer; encoding/* output
  // (json.Marshal) is a fresh copy, as for codecs above.
  const encoding = [...segment].reverse().find((f) => f.startsWith('encoding/'));
  const decoderFrames = !stack[0]?.startsWith('sync.(*Pool).pin') && !(encoding && isEncode(encoding));
  if (decoderFrames && segment.some((f) => DECODER_FRAME.test(f))) return kind('decoder-buffers');
  if (segment.some((f) => MAP_FRAME.test(f))) return kind('map-never-pruned');
  if (own === 0) return kind('own-allocation');
  return kind('unclassified');
}

export type GoroutineClass = 'goroutine-parked' | 'unclassified' | 'runtime';

/** What parked goroutines wait for, from the frames between the park and the suspect. */
const BLOCKED_IN: ReadonlyArray<readonly [RegExp, string]> = [
  [/^runtime\.chanrecv/, 'channel receive'],
  [/^runtime\.chansend/, 'channel send'],
  [/^runtime\.selectgo$/, 'select'],
  [/^runtime\.block$/, 'select {} (forever)'],
  [/^sync\.runtime_notifyListWait$|^sync\.\(\*Cond\)\.Wait$/, 'sync.Cond wait'],
  [/^sync\.|^internal\/sync\.|^runtime\.semacquire|^runtime\.sema/, 'mutex, WaitGroup or semaphore'],
  [/^runtime\.netpollblock$|^internal\/poll\./, 'network or file I/O'],
  [/^time\.Sleep$/, 'sleep'],
];

export interface GoroutineClassified extends Classified<GoroutineClass> {
  blockedIn?: string;
}

/**
 * A grown goroutine stack: parked in runtime.gopark (any wait: channel, select, lock, I/O, sleep) is
 * the goroutine pattern; running or in a system call at the snapshot, 'unclassified'; the runtime's own
 * goroutines (GC workers and the like: every frame is the runtime's) are not the node's.
 */
export function classifyGoroutineStack(stack: readonly string[]): GoroutineClassified {
  if (stack.every(isRuntime)) return { kind: 'runtime', suspect: stack[0] ?? '<unknown>' };
  const own = stack.findIndex(isOwn);
  const suspect = own >= 0 ? stack[own] : (stack.find((f) => !isStdlib(f)) ?? entryOf(stack));
  const parked = stack.some((f) => f === 'runtime.gopark' || f === 'runtime.goparkunlock');
  if (!parked) return { kind: 'unclassified', suspect };
  const segment = own >= 0 ? stack.slice(0, own) : stack;
  const blockedIn = BLOCKED_IN.find(([re]) => segment.some((f) => re.test(f)))?.[1];
  return blockedIn ? { kind: 'goroutine-parked', suspect, blockedIn } : { kind: 'goroutine-parked', suspect };
}

/** No own frame: the nearest library frame, else the nearest frame outside the runtime, else the leaf. */
function fallbackSuspect(stack: readonly string[]): string {
  return stack.find((f) => !isStdlib(f)) ?? stack.find((f) => !isRuntime(f)) ?? stack[0] ?? '<unknown>';
}

/** The function a goroutine was started with: its root frame, skipping runtime.goexit. */
function entryOf(stack: readonly string[]): string {
  let i = stack.length - 1;
  while (i > 0 && stack[i] === 'runtime.goexit') i--;
  return stack[i] ?? '<unknown>';
}

/** A codec function that encodes (Marshal, EncodeToBytes, ToBytes, Append…) rather than decodes. */
function isEncode(fn: string): boolean {
  const name = nameInPackage(fn);
  return !/decode|unmarshal|read|parse/i.test(name) && /encode|marshal|append|tobytes|write/i.test(name);
}

/** `github.com/x/leveldb.(*DB).NewIterator` → `(*DB).NewIterator`. */
function nameInPackage(fn: string): string {
  return fn.slice(packagePath(fn).length + 1);
}
