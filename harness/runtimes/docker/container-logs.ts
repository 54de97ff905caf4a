/**
 * A container's output, read through the logs API in Docker's multiplexed frame format
 * ([stream, 0, 0, 0, size (u32 BE)] then the payload): followed into a node's log file across its runs,
 * or split into stdout and stderr at once for a one-shot container (run-once.ts).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { DockerContainer } from './engine.ts';
import { statusOf } from './errors.ts';

/**
 * Copies a container's stdout and stderr into its log file, across stops and starts: it follows the
 * logs API (json-file driver) with timestamps, and after a stop resumes from the last entry it wrote,
 * so nothing printed between two follows is lost or written twice. Starts made outside this handle
 * (docker start) are noticed within a second.
 */
export class LogFollower {
  private readonly out: WriteStream;
  private loop: Promise<void> | undefined;
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private current: NodeJS.ReadableStream | undefined;
  /** Fixed-width timestamp of the last entry written, and how many entries had exactly that time. */
  private lastKey = '';
  private atLastKey = 0;
  private seenStartedAt = '';
  /** At a re-follow: how many entries at lastKey the replay sends again (written already). */
  private skipAtKey = 0;
  private pending = Buffer.alloc(0);

  constructor(
    private readonly c: DockerContainer,
    logFile: string,
  ) {
    this.out = createWriteStream(logFile, { flags: 'a' });
    this.out.on('error', () => undefined); // a log file that cannot be written must not crash the run
  }

  begin(): void {
    if (this.loop === undefined && !this.closed) this.loop = this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Stop following: the current follow may end by itself within 2 s (the run ended), then a last replay. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    if (this.loop !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        this.loop.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 2000);
        }),
      ]);
      clearTimeout(timer);
      if (!ended) {
        (this.current as unknown as { destroy?: () => void } | undefined)?.destroy?.();
        await this.loop;
      }
    }
    await new Promise<void>((resolve) => this.out.end(resolve));
  }

  private async run(): Promise<void> {
    await this.followRuns();
    // Closing: whatever the engine holds that was not written yet (the container may be gone: fine).
    await this.follow(false).catch(() => undefined);
  }

  private async followRuns(): Promise<void> {
    while (!this.closed) {
      let state;
      try {
        state = (await this.c.inspect()).State;
      } catch (err) {
        if (statusOf(err) === 404) return;
        await this.idle(1000);
        continue;
      }
      if (state.Running || state.StartedAt !== this.seenStartedAt) {
        this.seenStartedAt = state.StartedAt;
        try {
          await this.follow(true); // until the run ends
          await this.follow(false); // whatever the engine wrote after the follow ended
        } catch {
          await this.idle(1000);
        }
        continue;
      }
      await this.idle(1000);
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  private since(): string | number {
    if (this.lastKey === '') return 0;
    const [seconds, fraction] = this.lastKey.split('.') as [string, string];
    return `${Math.floor(Date.parse(`${seconds}Z`) / 1000)}.${fraction}`;
  }

  private async follow(follow: boolean): Promise<void> {
    if (follow && this.closed) return;
    const options = { stdout: true, stderr: true, timestamps: true, since: this.since() };
    this.pending = Buffer.alloc(0);
    this.skipAtKey = this.atLastKey;
    if (!follow) {
      const buffer = await this.c.logs({ ...options, follow: false });
      this.frames(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer as unknown as string));
      return;
    }
    const stream = await this.c.logs({ ...options, follow: true });
    this.current = stream;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => this.frames(chunk));
      stream.once('error', reject);
      stream.once('end', resolve);
      stream.once('close', resolve);
    });
    this.current = undefined;
  }

  /** Docker's multiplexed frames: [stream, 0, 0, 0, size (u32 BE)] then "<RFC 3339 nano time> <text>". */
  private frames(chunk: Buffer): void {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buffer.length >= 8) {
      const size = buffer.readUInt32BE(4);
      if (buffer.length < 8 + size) break;
      this.entry(buffer.subarray(8, 8 + size));
      buffer = buffer.subarray(8 + size);
    }
    this.pending = Buffer.from(buffer);
  }

  private entry(payload: Buffer): void {
    const space = payload.indexOf(0x20);
    const stamp = space > 0 ? payload.subarray(0, space).toString('latin1') : '';
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
    if (match === null) {
      this.out.write(payload); // no timestamp (should not happen): keep the text
      return;
    }
    const key = `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}`;
    if (key < this.lastKey) return;
    if (key === this.lastKey) {
      // `since` includes entries at exactly that time: skip the ones already written.
      if (this.skipAtKey > 0) {
        this.skipAtKey--;
        return;
      }
      this.atLastKey++;
    } else {
      this.lastKey = key;
      this.atLastKey = 1;
    }
    this.out.write(payload.subarray(space + 1));
  }
}

/** Split a non-follow logs buffer (multiplexed frames, no timestamps) into stdout and stderr. */
export function demux(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let rest = buffer;
  while (rest.length >= 8) {
    const size = rest.readUInt32BE(4);
    const payload = rest.subarray(8, 8 + size);
    (rest[0] === 2 ? err : out).push(payload);
    rest = rest.subarray(8 + size);
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
