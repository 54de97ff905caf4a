/**
 * Goroutine leaks the Go runtime proved: the `/debug/pprof/goroutineleak` profile of a node built with
 * GOEXPERIMENT=goroutineleakprofile (Go 1.26+). Serving it runs a GC cycle that treats only runnable
 * goroutines and globals as roots; a goroutine blocked on a channel, select, sync.Mutex/RWMutex,
 * WaitGroup or Cond that this marking never reaches can never be woken, and is listed. Unlike goroutine
 * growth (which a busy but healthy node also shows), every goroutine in it is a leak; but a blocked
 * goroutine whose channel or lock is still reachable (a global, a live goroutine's stack) is not proven,
 * however forgotten it is, and neither is one blocked in I/O, a sleep or a syscall.
 *
 * The profile is a goroutine profile in form (protobuf, one sample per distinct stack and label set,
 * sample type goroutineleak/count), so stacks group like goroutine-diff.ts. It carries no `created by`
 * frame (only `?debug=2` text prints it), so a stack's creator is its last frame: the function the `go`
 * statement started.
 */
import { toMatcher } from './goroutine-diff.ts';
import { ProfileError, readProfile, type Profile } from './profile.ts';
import type { ProvenLeaks, ProvenLeakStack } from '../result/types.ts';

export type { ProvenLeaks, ProvenLeakStack } from '../result/types.ts';


export interface ProvenLeaksOptions {
  /** Leave out stacks with a matching frame, as diffGoroutines does (the scenario's goroutineIgnore). */
  ignore?: Array<string | RegExp>;
}

/** The sample type Go names this profile by; anything else (a plain goroutine profile) is refused. */
const SAMPLE_TYPE = 'goroutineleak';

/** Proven leaked goroutines per stack, from a goroutineleak profile (key: frames joined by '\n'). */
export function provenLeakGroups(profile: Profile): Map<string, { stack: string[]; count: number }> {
  // A goroutine profile passed by mistake would make every goroutine a "proven" leak: refuse it.
  const index = profile.sampleTypes.findIndex((t) => t.type === SAMPLE_TYPE);
  if (index < 0) {
    const have = profile.sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ');
    throw new ProfileError(profile.source, `profile ${profile.source} is not a goroutine leak profile (sample types: ${have})`);
  }
  const groups = new Map<string, { stack: string[]; count: number }>();
  for (const sample of profile.samples) {
    const value = sample.values[index]!;
    if (value === 0) continue;
    const stack = Array.from(sample.frames, (id) => profile.functionNames[id]!);
    const key = stack.join('\n');
    const group = groups.get(key);
    if (group) group.count += value;
    else groups.set(key, { stack, count: value });
  }
  return groups;
}

/**
 * Proven leaked goroutines of `after`, grouped by stack, and how many of them are new since `before`
 * (both profiles of the same process; a leaked goroutine stays leaked, so a stack only grows).
 */
export function provenLeaks(before: Profile | undefined, after: Profile, options: ProvenLeaksOptions = {}): ProvenLeaks {
  const matchers = (options.ignore ?? []).map(toMatcher);
  const isIgnored = (stack: readonly string[]) => matchers.length > 0 && stack.some((f) => matchers.some((m) => m(f)));
  const was = before ? provenLeakGroups(before) : undefined;
  const stacks: ProvenLeakStack[] = [];
  let ignored = 0;
  for (const [key, { stack, count }] of provenLeakGroups(after)) {
    if (isIgnored(stack)) {
      ignored += count;
      continue;
    }
    const prior = was?.get(key)?.count ?? 0;
    stacks.push({ stack, entry: entryOf(stack), blockedIn: blockedIn(stack), count, before: prior, newSinceBefore: Math.max(0, count - prior) });
  }
  stacks.sort((a, b) => b.newSinceBefore - a.newSinceBefore || b.count - a.count || compare(a.entry, b.entry) || compare(a.stack.join('\n'), b.stack.join('\n')));
  let beforeTotal: number | null = null;
  if (was) {
    beforeTotal = 0;
    for (const { stack, count } of was.values()) if (!isIgnored(stack)) beforeTotal += count;
  }
  return {
    total: stacks.reduce((n, s) => n + s.count, 0),
    before: beforeTotal,
    newSinceBefore: stacks.reduce((n, s) => n + s.newSinceBefore, 0),
    stacks,
    ignored,
  };
}

/** provenLeaks from profile files (a snapshot's goroutineLeakProfile paths). */
export function readProvenLeaks(beforeFile: string | undefined, afterFile: string, options: ProvenLeaksOptions = {}): ProvenLeaks {
  return provenLeaks(beforeFile ? readProfile(beforeFile) : undefined, readProfile(afterFile), options);
}

/** One line for a report or a budget: "3 goroutines proven leaked, 2 new since before; most in main.f (blocked in main.g)". */
export function describeProvenLeaks(leaks: ProvenLeaks): string {
  if (leaks.total === 0) return 'no goroutine proven leaked';
  const plural = leaks.total === 1 ? 'goroutine' : 'goroutines';
  const since = leaks.before === null ? '' : `, ${leaks.newSinceBefore} new since before`;
  const top = leaks.stacks[0]!;
  const where = top.blockedIn === top.entry ? top.entry : `${top.entry} (blocked in ${top.blockedIn})`;
  return `${leaks.total} ${plural} proven leaked${since}; most in ${where}`;
}

/** Runtime and sync frames say how it blocks (chanrecv, selectgo, semacquire); the first other frame says where. */
const PLUMBING = /^(runtime|sync|internal\/sync|sync\/atomic)\./;

function blockedIn(stack: readonly string[]): string {
  return stack.find((f) => !PLUMBING.test(f)) ?? stack.at(-1) ?? '<unknown>';
}

function entryOf(stack: readonly string[]): string {
  let i = stack.length - 1;
  while (i > 0 && stack[i] === 'runtime.goexit') i--;
  return i >= 0 ? stack[i]! : '<unknown>';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
