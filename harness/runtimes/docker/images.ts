/**
 * Node images: built FROM scratch from static node binaries on the host, and reused while the binaries'
 * content is the same. Nothing here pulls an image (no registry is reachable), so nothing needs one.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InfraError, UsageError } from '../../errors.ts';
import { docker } from './engine.ts';
import { engineError, oneLine, statusOf } from './errors.ts';
import { LABEL_CONTENT, LABEL_IMAGE } from './labels.ts';

/** Bumped when the image layout below changes, so cached images of the old layout are rebuilt. */
const IMAGE_RECIPE = 1;

export interface NodeImageSpec {
  /** geth, cometbft, ...: the repository is chainsoak/<flavor>. */
  flavor: string;
  /** The tag; characters a tag cannot have become '-'. */
  version: string;
  /** name in the image (/usr/local/bin/<name>) -> static binary on the host. */
  binaries: Record<string, string>;
  /** A name from `binaries`, or an absolute path in the image. */
  entrypoint: string;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function imageTag(flavor: string, version: string): string {
  const repo = flavor.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[._-]+$/g, '');
  const tag = version.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 128);
  if (repo === '' || tag === '') throw new UsageError(`cannot make an image tag of flavor '${flavor}' and version '${version}'`);
  return `chainsoak/${repo}:${tag}`;
}

/**
 * Build (or reuse) `chainsoak/<flavor>:<version>` FROM scratch (the engine's legacy builder; the context
 * is a temporary directory sent as a tar): each binary at /usr/local/bin/<name>,
 * an empty /tmp (mode 1777, for Go's os.TempDir), /etc/passwd and /etc/group with root and nobody
 * (65534), PATH=/usr/local/bin. Labelled chainsoak.image=1 and with the hash of the binaries' content:
 * an image of that tag with the same hash is reused without building. Returns the tag.
 */
export async function buildNodeImage(spec: NodeImageSpec): Promise<string> {
  const tag = imageTag(spec.flavor, spec.version);
  const names = Object.keys(spec.binaries).sort();
  if (names.length === 0) throw new UsageError(`image ${tag}: no binaries given`);
  for (const name of names) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new UsageError(`image ${tag}: '${name}' is not a file name`);
  }
  const entrypoint = spec.entrypoint.startsWith('/') ? spec.entrypoint : `/usr/local/bin/${spec.entrypoint}`;
  if (!spec.entrypoint.startsWith('/') && spec.binaries[spec.entrypoint] === undefined) {
    throw new UsageError(`image ${tag}: entrypoint '${spec.entrypoint}' is none of its binaries (${names.join(', ')})`);
  }

  const hash = createHash('sha256');
  hash.update(JSON.stringify({ recipe: IMAGE_RECIPE, entrypoint }));
  for (const name of names) {
    const file = spec.binaries[name]!;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new InfraError(`image ${tag}: binary '${name}' not found at ${file}`);
    hash.update(`\n${name}=${await sha256File(file)}`);
  }
  const contentHash = hash.digest('hex');

  const d = await docker();
  let previousId: string | undefined;
  try {
    const existing = await d.getImage(tag).inspect();
    if (existing.Config?.Labels?.[LABEL_CONTENT] === contentHash) return tag;
    previousId = existing.Id;
  } catch (err) {
    if (statusOf(err) !== 404) throw engineError(`inspect image ${tag}`, err);
  }

  const context = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-image-'));
  try {
    const root = path.join(context, 'rootfs');
    await mkdir(path.join(root, 'usr', 'local', 'bin'), { recursive: true });
    await mkdir(path.join(root, 'tmp'));
    await chmod(path.join(root, 'tmp'), 0o1777);
    await mkdir(path.join(root, 'etc'));
    await writeFile(
      path.join(root, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
    );
    await writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    for (const name of names) {
      const target = path.join(root, 'usr', 'local', 'bin', name);
      await copyFile(spec.binaries[name]!, target);
      await chmod(target, 0o755);
    }
    const labels: Record<string, string> = {
      [LABEL_IMAGE]: '1',
      'chainsoak.flavor': spec.flavor,
      'chainsoak.version': spec.version,
      [LABEL_CONTENT]: contentHash,
    };
    const dockerfile = [
      'FROM scratch',
      'COPY rootfs/ /',
      'ENV PATH=/usr/local/bin',
      `LABEL ${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`,
      `ENTRYPOINT ${JSON.stringify([entrypoint])}`,
      '',
    ].join('\n');
    await writeFile(path.join(context, 'Dockerfile'), dockerfile);

    // The context goes as a tar made by the system's tar: dockerode's and testcontainers' packer (tar-fs)
    // applies the umask, which turns /tmp's 1777 into 1755 (a non-root node could not use /tmp).
    const tar = spawn('tar', ['-c', '-f', '-', '-C', context, 'Dockerfile', 'rootfs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tarError = '';
    tar.stderr.on('data', (chunk: Buffer) => (tarError += chunk.toString()));
    const tarExit = new Promise<number | null>((resolve) => {
      tar.once('error', (err) => {
        tarError += err.message;
        resolve(-1);
      });
      tar.once('close', resolve);
    });
    let output: string;
    try {
      const stream = await d.buildImage(tar.stdout, { t: tag, rm: true, forcerm: true });
      output = await readAll(stream);
    } catch (err) {
      tar.kill();
      throw engineError(`build image ${tag}`, err);
    }
    const tarCode = await tarExit;
    if (tarCode !== 0) throw new InfraError(`build of image ${tag}: tar of the build context failed: ${tarError.trim() || `exit ${tarCode}`}`);
    const failure = buildFailure(output);
    if (failure !== undefined) throw new InfraError(`build of image ${tag} failed: ${failure}`);
    const built = await d.getImage(tag).inspect().catch((err: unknown) => {
      throw new InfraError(`build of image ${tag} left no image: ${oneLine(err)}`);
    });
    if (built.Config?.Labels?.[LABEL_CONTENT] !== contentHash) throw new InfraError(`build of image ${tag} did not produce the new image`);
    // The image this tag named before is now untagged: drop it unless a container still uses it.
    if (previousId !== undefined && previousId !== built.Id) await d.getImage(previousId).remove().catch(() => undefined);
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer | string) => chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    stream.once('error', reject);
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The first error a build's JSON message stream reports, if any. */
function buildFailure(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const message = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
      const error = message.errorDetail?.message ?? message.error;
      if (error !== undefined) return error.replace(/\s+/g, ' ').trim();
    } catch {
      // not JSON: ignore
    }
  }
  return undefined;
}
