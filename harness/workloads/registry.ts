/**
 * Every workload a scenario can name: its implementation, by kind. The schemas live in schemas.ts so that
 * validating a scenario does not load the workloads' clients (ethers, cosmjs).
 * Adding a workload: one file in this folder, its schema in schemas.ts and one case here.
 */
import { cometPeerChurn } from './comet-peer-churn.ts';
import { cometStateSync } from './comet-state-sync.ts';
import { cometTxFlood } from './comet-tx-flood.ts';
import { gethPeerChurn } from './geth-peer-churn.ts';
import { wsStreams } from './ws-streams.ts';
import { gethStateIteration } from './geth-state-iteration.ts';
import { gethTxFlood } from './geth-tx-flood.ts';
import { gethWsZombies } from './geth-ws-zombies.ts';
import { fixtureOps } from './fixture-ops.ts';
import type { WorkloadEntry } from './schemas.ts';
import { isDefinedEntry } from './define.ts';
import { definedWorkload } from './executor/workload.ts';
import type { Workload } from './workload.ts';

// The schemas, for code that knew them here (loading a scenario imports schemas.ts itself).
export { workloadSchema, workloadSchemas, type WorkloadDecl } from './schemas.ts';

export function createWorkload(decl: WorkloadEntry): Workload {
  if (isDefinedEntry(decl)) return definedWorkload(decl);
  switch (decl.kind) {
    case 'geth-tx-flood':
      return gethTxFlood(decl);
    case 'geth-ws-zombies':
      return gethWsZombies(decl);
    case 'comet-state-sync':
      return cometStateSync(decl);
    case 'geth-state-iteration':
      return gethStateIteration(decl);
    case 'geth-peer-churn':
      return gethPeerChurn(decl);
    case 'comet-peer-churn':
      return cometPeerChurn(decl);
    case 'ws-streams':
      return wsStreams(decl);
    case 'comet-tx-flood':
      return cometTxFlood(decl);
    case 'fixture-ops':
      return fixtureOps(decl);
  }
}
