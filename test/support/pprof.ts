/** Runs the real `go tool pprof` and parses what it prints, for parity checks. Nothing here is hard-coded. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readProfile, type FunctionGrowth, type Profile } from '../../harness/analysis/index.ts';

export interface PprofTable {
  total: number;
  baseTotal: number;
  rows: FunctionGrowth[];
}

export function runPprof(args: string[], cwd: string): string {
  try {
    return execFileSync('go', ['tool', 'pprof', '-symbolize=none', ...args], {
      cwd,
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`go tool pprof ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** An exact integer as pprof prints it with -unit=B (e.g. 3310550B, -24B) or for counts (e.g. 30). */
export function exact(text: string): number {
  const m = /^(-?\d+)(B?)$/.exec(text);
  if (!m) throw new Error(`pprof printed ${JSON.stringify(text)}, not an exact integer; is -unit=B missing?`);
  return Number(m[1]);
}

const MARKER = / \((inline|partial-inline)\)$/;

export function splitMarker(name: string): { name: string; inline?: 'inline' | 'partial-inline' } {
  const m = MARKER.exec(name);
  return m ? { name: name.slice(0, m.index), inline: m[1] as 'inline' | 'partial-inline' } : { name };
}

/** Runs `go tool pprof -top` with no trimming and parses its table. */
export function pprofTop(cwd: string, opts: { sampleIndex: string; bytes: boolean; cum: boolean; base?: string; file: string }): PprofTable {
  const args = ['-top', '-nodecount=1000000', '-nodefraction=0', '-edgefraction=0', `-sample_index=${opts.sampleIndex}`];
  if (opts.bytes) args.push('-unit=B');
  if (opts.cum) args.push('-cum');
  if (opts.base) args.push('-diff_base', opts.base);
  args.push(opts.file);
  const out = runPprof(args, cwd);
  const lines = out.split('\n');
  assert.ok(!lines.some((l) => /^Dropped /.test(l)), `pprof dropped nodes:\n${out}`);
  const header = lines.findIndex((l) => /^\s+flat\s+flat%\s+sum%\s+cum\s+cum%\s*$/.test(l));
  const showing = /^Showing nodes accounting for (\S+), \S+ of (\S+) total$/.exec(lines.find((l) => l.startsWith('Showing nodes')) ?? '');
  assert.ok(header >= 0 && showing, `unexpected pprof output:\n${out}`);
  const rows: FunctionGrowth[] = [];
  for (const line of lines.slice(header + 1)) {
    if (line.trim() === '') continue;
    const m = /^\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+%\s+(.+)$/.exec(line);
    assert.ok(m, `unparsable pprof row: ${JSON.stringify(line)}`);
    const { name, inline } = splitMarker(m[3]);
    const row: FunctionGrowth = { function: name, flat: exact(m[1]), cum: exact(m[2]) };
    if (inline) row.inline = inline;
    rows.push(row);
  }
  return { total: exact(showing[1]), baseTotal: exact(showing[2]), rows };
}

const diffCache = new Map<string, PprofTable>();
/**
 * `go tool pprof -top -cum -diff_base` of a fixture folder's heap (inuse_space, bytes) or goroutine pair
 * (heap-before/after.pb.gz, goroutine-before/after.pb.gz), run once per folder and kind.
 */
export function pprofDiff(dir: string, kind: 'heap' | 'goroutine'): PprofTable {
  const key = `${dir}|${kind}`;
  let table = diffCache.get(key);
  if (!table) {
    table =
      kind === 'heap'
        ? pprofTop(dir, { sampleIndex: 'inuse_space', bytes: true, cum: true, base: 'heap-before.pb.gz', file: 'heap-after.pb.gz' })
        : pprofTop(dir, { sampleIndex: 'goroutine', bytes: false, cum: true, base: 'goroutine-before.pb.gz', file: 'goroutine-after.pb.gz' });
    diffCache.set(key, table);
  }
  return table;
}

/** pprof's cum for a function in a folder's diff: the net growth of every stack through it (0 when absent). */
export function pprofCum(dir: string, kind: 'heap' | 'goroutine', fn: string): number {
  return pprofDiff(dir, kind).rows.find((r) => r.function === fn)?.cum ?? 0;
}

/** `go tool pprof -traces`: the value of each stack of function names (leaf first, markers dropped), summed over labels. */
export function pprofTraceGroups(cwd: string, file: string): Map<string, number> {
  const out = runPprof(['-traces', file], cwd);
  const groups = new Map<string, number>();
  for (const block of out.split(/^-+\+-+$/m).slice(1)) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    // Label lines ("       who:  labeled") come before the value line; frames follow it.
    const valueAt = lines.findIndex((l) => /^\s*-?\d+\s{3}\S/.test(l));
    if (valueAt < 0) continue;
    const first = /^\s*(-?\d+)\s{3}(.+)$/.exec(lines[valueAt]!)!;
    const key = [splitMarker(first[2]!).name, ...lines.slice(valueAt + 1).map((l) => splitMarker(l.trim()).name)].join('\n');
    groups.set(key, (groups.get(key) ?? 0) + Number(first[1]));
  }
  return groups;
}

/** A fixture folder's before/after heap and goroutine profiles, decoded (heap-before.pb.gz, …). */
export function fixtureProfiles(dir: string): { heapBefore: Profile; heapAfter: Profile; goroutineBefore: Profile; goroutineAfter: Profile } {
  return {
    heapBefore: readProfile(join(dir, 'heap-before.pb.gz')),
    heapAfter: readProfile(join(dir, 'heap-after.pb.gz')),
    goroutineBefore: readProfile(join(dir, 'goroutine-before.pb.gz')),
    goroutineAfter: readProfile(join(dir, 'goroutine-after.pb.gz')),
  };
}
