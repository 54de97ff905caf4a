/**
 * A bridge network per run, so a run's nodes reach each other by name and no other run's; and the
 * removal of one, also used by cleanup (reap.ts).
 */
import { InfraError } from '../../errors.ts';
import { docker, type Dockerode } from './engine.ts';
import { engineError, oneLine, statusOf } from './errors.ts';
import { runLabels } from './labels.ts';

/** A user-defined bridge network for one run: `chainsoak-<runId>`, labelled with the run's labels. */
export async function createRunNetwork(runId: string, labels: Record<string, string> = {}): Promise<{ name: string; remove(): Promise<void> }> {
  const name = `chainsoak-${runId}`.replace(/[^A-Za-z0-9_.-]+/g, '-');
  const d = await docker();
  try {
    await d.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { ...runLabels(runId), ...labels } });
  } catch (err) {
    if (statusOf(err) === 409) throw new InfraError(`network ${name} already exists (a run with the same id?)`, { cause: err });
    if (/address pools have been fully subnetted|could not find an available/i.test(oneLine(err))) {
      throw new InfraError(`network ${name}: Docker has no free subnet left (stale networks? docker network prune)`, { cause: err });
    }
    throw engineError(`create network ${name}`, err);
  }
  return { name, remove: () => removeNetwork(d, name) };
}

/** Remove a network, first disconnecting whatever is still attached. A missing network is fine. */
export async function removeNetwork(d: Dockerode, name: string): Promise<void> {
  const network = d.getNetwork(name);
  try {
    const info = await network.inspect();
    for (const id of Object.keys(info.Containers ?? {})) {
      await network.disconnect({ Container: id, Force: true }).catch(() => undefined);
    }
    await network.remove();
  } catch (err) {
    if (statusOf(err) === 404) return;
    throw engineError(`remove network ${name}`, err);
  }
}
