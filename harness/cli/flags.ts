/**
 * Parsers of the CLI's flag values, and checks of the paths it will write, all before anything is built
 * or started. A wrong value is one commander line (exit 2); a path that cannot be written a UsageError.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.ts';
import { makeDir } from '../fs/make-dir.ts';
import { formatDuration, MAX_SEED, MAX_WAIT_MS, parseDuration } from '../scenario/units.ts';
import { parseSegment, type Segment } from '../workloads/segment.ts';

/** '90s', '5m': above 0 and at most what a timer holds. */
export function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0 || ms > MAX_WAIT_MS) throw new InvalidArgumentError(`expected a duration above 0 and up to ${formatDuration(MAX_WAIT_MS)}, such as '90s' or '5m'`);
  return ms;
}

/** A seed: 0 to 2^32-1, the same range as the scenario's `seed`. */
export function seedArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > MAX_SEED) throw new InvalidArgumentError(`expected a whole number from 0 to ${MAX_SEED}`);
  return Number(value);
}

export function positiveIntArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number of at least 1');
  return Number(value);
}

/** `--segment 2/4`: segment i of n, 1 ≤ i ≤ n ≤ 10,000. */
export function segmentArg(value: string): Segment {
  const segment = parseSegment(value);
  if (!segment) throw new InvalidArgumentError('expected i/n with 1 ≤ i ≤ n ≤ 10000, such as 2/4');
  return segment;
}

/** A folder the command reads (`run --load-stats`): it must be there already. */
export function checkInputFolder(flag: string, dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (error) {
    throw new UsageError(`${flag} ${dir}: no such folder (${codeOf(error)})`);
  }
  if (!isDir) throw new UsageError(`${flag} ${dir}: is a file; give the folder the load segments write their stats into`);
}

/** `--tag a --tag b,c`: every tag, in order; an empty one is a mistake. */
export function tagsArg(value: string, previous: string[] | undefined): string[] {
  const tags = value.split(',').map((t) => t.trim());
  if (tags.some((t) => t === '')) throw new InvalidArgumentError('expected a tag, or tags separated by commas');
  return [...(previous ?? []), ...tags];
}

/** A flag given as '' (an unset CI variable, say) is a mistake, not "not given". */
export function nonEmptyArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a value, got an empty string');
  return value;
}

/** A folder the command will write into: made now (so /proc or a path under a file fails here, not mid-run). */
export function checkOutputFolder(flag: string, dir: string): void {
  try {
    makeDir(dir);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`${flag} ${dir}: cannot write a folder there (${codeOf(error)})`);
  }
}

/** A file the command writes at its end (JUnit): its folder writable, and the path not itself a folder. */
export function checkOutputFile(flag: string, file: string): void {
  let isDir = false;
  try {
    isDir = statSync(file).isDirectory();
  } catch {
    // not there yet: the usual case
  }
  if (isDir) throw new UsageError(`${flag} ${file}: is a folder; give a file name such as ${path.join(file, 'junit.xml')}`);
  try {
    checkOutputFolder(flag, path.dirname(path.resolve(file)));
  } catch (error) {
    throw new UsageError(`${flag} ${file}: cannot write a file there (${(error as Error).message.replace(/^.*\((\w+)\)$/, '$1')})`);
  }
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);
