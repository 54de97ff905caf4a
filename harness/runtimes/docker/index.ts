/**
 * Docker substrate for the container runtime: images built FROM scratch from static node binaries
 * (images.ts), containers whose published ports bind 127.0.0.1 only (containers.ts), a bridge network per
 * run (networks.ts), one-shot containers for a node's own commands (run-once.ts), and cleanup by label,
 * per run and of runs whose harness process died (reap.ts). The engine connection is engine.ts.
 *
 * Nothing here pulls an image (no registry is reachable): images are FROM scratch.
 * Importing this module is cheap: testcontainers is loaded on the first call that needs Docker (engine.ts).
 */
export type { ContainerMemory, ContainerSpec, ContainerState, NodeContainer } from './containers.ts';
export { createContainer, startContainer } from './containers.ts';
export { dockerStatus } from './engine.ts';
export type { NodeImageSpec } from './images.ts';
export { buildNodeImage } from './images.ts';
export { LABEL_CONTENT, LABEL_HOST, LABEL_IMAGE, LABEL_PID, LABEL_RUN, runLabels } from './labels.ts';
export { createRunNetwork } from './networks.ts';
export { reapStale, removeLabelled } from './reap.ts';
export type { RunOnceSpec } from './run-once.ts';
export { runOnce } from './run-once.ts';
