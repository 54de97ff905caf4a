/**
 * Resident set size of a host process, for the process runtime's memory figures (`rssGrowth`).
 * Linux has /proc: VmRSS from /proc/<pid>/status, a file read. Systems without /proc (macOS, the BSDs)
 * get it from `ps -o rss= -p <pid>` (POSIX, in KiB): one short process per reading, every sampling
 * interval. Either way a process that is gone, or a reader that cannot run, is a missing figure
 * (undefined), never an error: the run goes on and the report says the figure is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const PS_TIMEOUT_MS = 5_000;

export type RssReader = (pid: number) => Promise<number | undefined>;

/** VmRSS of /proc/<pid>/status, in bytes. */
export const procRss: RssReader = async (pid) => {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
};

/** `ps -o rss= -p <pid>` (KiB), in bytes; ps exits 1 when there is no such process. */
export const psRss: RssReader = async (pid) => {
  try {
    const { stdout } = await execFileP('ps', ['-o', 'rss=', '-p', String(pid)], { timeout: PS_TIMEOUT_MS });
    const kib = stdout.trim();
    return /^\d+$/.test(kib) ? Number(kib) * 1024 : undefined;
  } catch {
    return undefined;
  }
};

/** The reader for this system: /proc where the process can read its own status there, else ps. */
export function rssReaderFor(procSelfStatus = '/proc/self/status'): RssReader {
  return existsSync(procSelfStatus) ? procRss : psRss;
}

let reader: RssReader | undefined;

/** A host process's RSS in bytes, or undefined if it is gone or cannot be read. */
export function readRss(pid: number): Promise<number | undefined> {
  reader ??= rssReaderFor();
  return reader(pid);
}
