/** Per pattern: the title a report shows and the usual fix, one line each. */
import type { PatternId } from '../patterns.ts';

export const TITLES: Record<PatternId, string> = {
  'goroutine-parked': 'goroutines parked on the same stacks, growing',
  'map-never-pruned': 'map growing, never pruned',
  'timers-contexts': 'contexts and timers never cancelled or stopped',
  'log-formatting': 'formatted strings (log lines) kept',
  'decoder-buffers': 'decoder and pooled buffers kept alive',
  'unclosed-iterators': 'database iterators or snapshots never released',
  'outside-heap': 'memory outside the Go heap: RSS grows, the heap does not',
  unclassified: 'growth with no known leak signature',
};

/** Titles that depend on what the evidence was. */
export const INFERRED_MAP_TITLE = "memory allocated and kept by the node's own code: a map, slice or cache never pruned";
export const UNPARKED_GOROUTINES_TITLE = 'goroutines growing, not parked (running or in a system call)';

export const HINTS: Record<PatternId, string> = {
  'goroutine-parked': 'pass a context and cancel it; give the goroutine a way out: select on ctx.Done() next to every channel operation',
  'map-never-pruned': 'prune the map by height or age, or use a bounded LRU; delete an entry when what it describes goes away',
  'timers-contexts': 'call cancel() after each iteration, not defer inside a loop; Stop() timers and tickers you no longer need',
  'log-formatting': "log identifiers (height, hash), not whole blocks or structs; don't keep formatted strings",
  'decoder-buffers': 'copy what you keep out of pooled and decode buffers (bytes.Clone) before returning them to the pool',
  'unclosed-iterators': 'Release()/Close() every iterator and snapshot: defer it right after creating it',
  'outside-heap': 'look for cgo and mmap allocations (C allocators, mmapped files, cgo database engines): Sys/RSS outside the Go heap',
  unclassified: "open the diff at the suspect (go tool pprof -http -diff_base) and find what keeps the memory reachable",
};
