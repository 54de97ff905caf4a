// The last line of defence: a process group still registered when the process exits is SIGKILLed by the
// exit hook, and the hook listens only while a group is registered (runs that come and go add none).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { groupsToKillOnExit } from '../../harness/runtimes/process-groups.ts';
import { processAlive, repoRoot } from '../helpers.ts';

/** Running: exists and is not a zombie (a killed orphan waits for whichever init reaps it). */
function running(pid: number): boolean {
  return processAlive(pid) && !/Z/.test(spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout);
}

describe('exit cleanup of process groups', () => {
  it("listens on 'exit' only while a group is registered", () => {
    const base = process.listenerCount('exit');
    groupsToKillOnExit.add(999_999_001);
    groupsToKillOnExit.add(999_999_002);
    assert.equal(process.listenerCount('exit'), base + 1);
    groupsToKillOnExit.delete(999_999_001);
    assert.equal(process.listenerCount('exit'), base + 1);
    groupsToKillOnExit.delete(999_999_002);
    groupsToKillOnExit.delete(999_999_002);
    assert.equal(process.listenerCount('exit'), base);
  });

  it('kills a registered group when the process exits, and leaves one that was taken off alone', async () => {
    const module = path.join(repoRoot, 'harness/runtimes/process-groups.ts');
    // A child starts two detached `sleep`s (each a group of its own), registers both, takes the second off, exits.
    const script = `
      import { spawn } from 'node:child_process';
      import { groupsToKillOnExit } from ${JSON.stringify(module)};
      const [kept, forgotten] = [spawn('sleep', ['60'], { detached: true, stdio: 'ignore' }), spawn('sleep', ['60'], { detached: true, stdio: 'ignore' })];
      for (const c of [kept, forgotten]) { c.unref(); groupsToKillOnExit.add(c.pid); }
      groupsToKillOnExit.delete(forgotten.pid);
      console.log(kept.pid, forgotten.pid);
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    const [kept, forgotten] = r.stdout.trim().split(/\s+/).map(Number);
    assert.ok(kept && forgotten, `pids: ${r.stdout} ${r.stderr}`);
    try {
      for (let i = 0; i < 20 && running(kept); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(running(kept), false, 'the registered group was killed at exit');
      assert.equal(running(forgotten), true, 'the group taken off the list was left alone');
    } finally {
      for (const pid of [kept, forgotten]) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  });
});
