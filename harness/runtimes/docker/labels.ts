/**
 * The labels that tie Docker objects to chainsoak, so cleanup can find them by label.
 *
 * Every container and network of a run carries `chainsoak.run` (the run id), `chainsoak.pid` (the
 * harness process) and `chainsoak.host` (os.hostname()); `runLabels()` makes them, and
 * createContainer / createRunNetwork / runOnce add pid and host when `chainsoak.run` is given without them.
 * Images built here carry `chainsoak.image` and the hash of their content (images.ts).
 */
import os from 'node:os';

export const LABEL_RUN = 'chainsoak.run';
export const LABEL_PID = 'chainsoak.pid';
export const LABEL_HOST = 'chainsoak.host';
export const LABEL_IMAGE = 'chainsoak.image';
export const LABEL_CONTENT = 'chainsoak.content-hash';

/** The labels that tie a container or network to a run of this process on this host (for reapStale). */
export function runLabels(runId: string): Record<string, string> {
  return { [LABEL_RUN]: runId, [LABEL_PID]: String(process.pid), [LABEL_HOST]: os.hostname() };
}

/** The caller's labels, plus this process's pid and host when they name a run (so reapStale can judge it). */
export function withRunDefaults(labels: Record<string, string>): Record<string, string> {
  if (labels[LABEL_RUN] === undefined) return { ...labels };
  return { [LABEL_PID]: String(process.pid), [LABEL_HOST]: os.hostname(), ...labels };
}
