// What differs between systems, exercised here on Linux: RSS of a host process through both readers,
// /proc (Linux) and ps (systems without /proc, forced here) against each other for the same process;
// and the one line where there are no process groups (Windows).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { InfraError } from '../../harness/errors.ts';
import { checkProcessGroups } from '../../harness/runtimes/process-groups.ts';
import { procRss, psRss, rssReaderFor } from '../../harness/runtimes/rss.ts';

const MB = 1024 * 1024;

describe('RSS readers', function () {
  this.timeout(30_000);
  let child: ChildProcess;

  before(async () => {
    // A process that touches 96 MB and then holds still, so both readers see the same figure.
    child = spawn(process.execPath, ['-e', "const b = Buffer.alloc(96 * 1024 * 1024, 1); process.stdout.write('ready\\n'); setInterval(() => b[0]++, 1000);"], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(child.stdout!, 'data');
  });
  after(() => child?.kill('SIGKILL'));

  it('ps agrees with /proc for the same process, within 2 MB', async () => {
    const pid = child.pid!;
    const [fromProc, fromPs] = [await procRss(pid), await psRss(pid)];
    assert.ok(fromProc !== undefined && fromPs !== undefined, `proc ${fromProc}, ps ${fromPs}`);
    assert.ok(fromProc > 96 * MB && fromProc < 400 * MB, `RSS from /proc: ${fromProc}`);
    assert.ok(Math.abs(fromPs - fromProc) < 2 * MB, `ps ${(fromPs / MB).toFixed(1)} MB vs /proc ${(fromProc / MB).toFixed(1)} MB`);
  });

  it('a process that is gone has no figure from either reader, and no error', async () => {
    const gone = spawn('true');
    await once(gone, 'exit');
    assert.equal(await procRss(gone.pid!), undefined);
    assert.equal(await psRss(gone.pid!), undefined);
  });

  it('reads through ps where there is no /proc', () => {
    assert.equal(rssReaderFor('/nonexistent/proc/self/status'), psRss);
    assert.equal(rssReaderFor('/proc/self/status'), procRss);
  });
});

describe('process groups', () => {
  it('Windows, which has none, is refused in one line that says what to do; POSIX systems pass', () => {
    assert.throws(() => checkProcessGroups('win32'), (e: unknown) => e instanceof InfraError && /process groups.*WSL2/.test(e.message) && !e.message.includes('\n'));
    for (const platform of ['linux', 'darwin', 'freebsd'] as const) assert.doesNotThrow(() => checkProcessGroups(platform));
  });
});
