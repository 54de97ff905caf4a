/**
 * CometBFT (github.com/cometbft/cometbft, cmd/cometbft), v0.37 onwards: v0.37.x, v0.38.x, the v1.0.x line
 * and the later v0.39/v0.40 line. The mechanism is shared with Tendermint Core (tendermint-family.ts); this
 * file is the data: where to build it from, the pinned default, and what differs between versions.
 */
import type { GoBuildRecipe } from './flavor.ts';
import { tendermintFamilyFlavor, type VersionRow } from './tendermint-family.ts';

export const cometbftBuild: GoBuildRecipe = {
  module: 'github.com/cometbft/cometbft',
  cmdPath: 'cmd/cometbft',
  binary: 'cometbft',
};

/** gRPC listeners: [rpc] grpc_laddr up to v0.38 and on the v0.39/v0.40 line, a [grpc] section in v1.x. */
const GRPC_IN_RPC = ['rpc.grpc_laddr'] as const;
const GRPC_SECTION = ['grpc.laddr', 'grpc.privileged.laddr'] as const;

/** store/store.go: LRUs of 100 block commits and seen commits from v0.37; v1.0 adds 500 block parts (one per small block). */
const COMMIT_LOADS = ['LoadBlockCommit', 'LoadBlockExtendedCommit', 'LoadSeenCommit'];
const COMMIT_LRUS = { what: "the block store's LRUs of the last 100 commits", loads: COMMIT_LOADS } as const;
const PART_LRU = { what: "the block store's LRU of 500 block parts (one per small block) and its 100-commit LRUs", loads: [...COMMIT_LOADS, 'LoadBlockPart'] } as const;

export const cometbftVersions: readonly VersionRow[] = [
  { from: 'v0.37.0', traits: { skipTimeoutCommit: 'skip-flag', disabledListeners: GRPC_IN_RPC, blockCaches: COMMIT_LRUS } },
  // v1.0 deprecates consensus.skip_timeout_commit: timeout_commit = "0s" means skip.
  { from: 'v1.0.0-alpha.1', traits: { skipTimeoutCommit: 'zero-timeout', disabledListeners: GRPC_SECTION, blockCaches: PART_LRU } },
];

export const cometbft = tendermintFamilyFlavor({
  name: 'cometbft',
  defaultVersion: 'v0.38.26',
  build: cometbftBuild,
  versions: cometbftVersions,
});
