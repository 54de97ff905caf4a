/**
 * `mkdir -p` without Node's recursive mkdir. Node 20's `mkdir(dir, { recursive: true })` never returns for
 * a path under /proc (the kernel answers ENOENT for the child while the parent exists, and libuv retries
 * forever, synchronously: 100% CPU, and not even a signal handler gets to run). Here each missing folder is
 * made on its own, from the deepest one that exists, so every failure is an ordinary error with a code.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function makeDir(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    const kind = entryKind(at);
    if (kind === 'dir') break;
    if (kind === 'other') throw codeError('ENOTDIR', `${at} is not a folder`);
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || entryKind(folder) !== 'dir') throw error;
    }
  }
}

function entryKind(p: string): 'dir' | 'other' | 'none' {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'none'; // ENOENT, or ENOTDIR under a file: the walk up finds the file
  }
}

function codeError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
