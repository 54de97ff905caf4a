/**
 * Cleanup by label: every container and network of one run (its teardown), and those of runs whose
 * harness process died on this host (Ryuk is disabled, so nothing else removes them).
 */
import os from 'node:os';
import { docker } from './engine.ts';
import { engineError, oneLine, statusOf } from './errors.ts';
import { LABEL_HOST, LABEL_PID, LABEL_RUN } from './labels.ts';
import { removeNetwork } from './networks.ts';

/** Signal 0 only asks whether the process exists; EPERM means it does, as another user's. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the containers, then the networks, labelled `chainsoak.run` by a harness process on this host
 * (`chainsoak.host`) that no longer exists (`chainsoak.pid`). Returns one line per thing removed (or
 * that could not be). Other hosts' runs, and live runs, are left alone.
 */
export async function reapStale(): Promise<string[]> {
  const d = await docker();
  const host = os.hostname();
  const filters = { label: [LABEL_RUN, LABEL_PID, `${LABEL_HOST}=${host}`] };
  const dead = (labels: Record<string, string> | undefined): number | undefined => {
    const pid = Number(labels?.[LABEL_PID]);
    return Number.isInteger(pid) && pid > 0 && !processAlive(pid) ? pid : undefined;
  };
  const lines: string[] = [];
  try {
    for (const c of await d.listContainers({ all: true, filters })) {
      const pid = dead(c.Labels);
      if (pid === undefined) continue;
      const name = c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
      try {
        await d.getContainer(c.Id).remove({ force: true, v: true });
        lines.push(`removed container ${name} of run ${c.Labels[LABEL_RUN]} (pid ${pid} is gone)`);
      } catch (err) {
        if (statusOf(err) !== 404) lines.push(`could not remove container ${name} of run ${c.Labels[LABEL_RUN]}: ${oneLine(err)}`);
      }
    }
    for (const n of await d.listNetworks({ filters })) {
      const pid = dead(n.Labels);
      if (pid === undefined) continue;
      try {
        await removeNetwork(d, n.Name);
        lines.push(`removed network ${n.Name} of run ${n.Labels?.[LABEL_RUN]} (pid ${pid} is gone)`);
      } catch (err) {
        lines.push(`could not remove network ${n.Name} of run ${n.Labels?.[LABEL_RUN]}: ${oneLine(err)}`);
      }
    }
  } catch (err) {
    throw engineError('reap stale containers', err);
  }
  return lines;
}

/** Remove every container and network of one run (teardown, on every path). Returns one line per thing. */
export async function removeLabelled(runId: string): Promise<string[]> {
  const d = await docker();
  const filters = { label: [`${LABEL_RUN}=${runId}`] };
  const lines: string[] = [];
  try {
    for (const c of await d.listContainers({ all: true, filters })) {
      const name = c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
      try {
        await d.getContainer(c.Id).remove({ force: true, v: true });
        lines.push(`removed container ${name}`);
      } catch (err) {
        if (statusOf(err) !== 404) lines.push(`could not remove container ${name}: ${oneLine(err)}`);
      }
    }
    for (const n of await d.listNetworks({ filters })) {
      try {
        await removeNetwork(d, n.Name);
        lines.push(`removed network ${n.Name}`);
      } catch (err) {
        lines.push(`could not remove network ${n.Name}: ${oneLine(err)}`);
      }
    }
  } catch (err) {
    throw engineError(`remove run ${runId}`, err);
  }
  return lines;
}
