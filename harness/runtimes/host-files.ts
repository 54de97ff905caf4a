/**
 * NodeFiles over a folder on this machine: a process node's directory, or the folder a container runtime
 * mounts into the container. Relative paths only: a path that climbs out of the node's folder is a bug.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NodeFiles } from './runtime.ts';

export class HostFiles implements NodeFiles {
  constructor(readonly root: string) {}

  /** The host path of a file of the node. */
  hostPath(rel: string): string {
    const full = path.resolve(this.root, rel);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) throw new Error(`${rel}: outside the node's folder ${this.root}`);
    return full;
  }

  read(rel: string): Promise<string> {
    return readFile(this.hostPath(rel), 'utf8');
  }

  async write(rel: string, text: string | Buffer): Promise<void> {
    const file = this.hostPath(rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }

  async exists(rel: string): Promise<boolean> {
    return stat(this.hostPath(rel)).then(
      () => true,
      () => false,
    );
  }

  list(rel: string): Promise<string[]> {
    return readdir(this.hostPath(rel)).catch(() => []);
  }

  remove(rel: string): Promise<void> {
    return rm(this.hostPath(rel), { recursive: true, force: true });
  }

  async exportTree(rel: string): Promise<Map<string, Buffer>> {
    const base = this.hostPath(rel);
    const tree = new Map<string, Buffer>();
    for (const entry of await readdir(base, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      tree.set(path.relative(base, full), await readFile(full));
    }
    return tree;
  }

  async importTree(rel: string, tree: ReadonlyMap<string, Buffer>): Promise<void> {
    for (const [file, bytes] of tree) await this.write(path.join(rel, file), bytes);
  }
}
