/**
 * Tendermint Core v0.34 (github.com/tendermint/tendermint, cmd/tendermint), the line most Cosmos SDK
 * v0.45/v0.46 chains still run. Same mechanism as CometBFT (tendermint-family.ts); this file is the data.
 * v0.34.0 and v0.34.24 build with Go 1.26 as they are (CGO_ENABLED=0, no -checklinkname=0 needed).
 */
import type { GoBuildRecipe } from './flavor.ts';
import { tendermintFamilyFlavor, type VersionTraits } from './tendermint-family.ts';

export const tendermintBuild: GoBuildRecipe = {
  module: 'github.com/tendermint/tendermint',
  cmdPath: 'cmd/tendermint',
  binary: 'tendermint',
};

const V034: VersionTraits = { skipTimeoutCommit: 'skip-flag', disabledListeners: ['rpc.grpc_laddr'] };

export const tendermint = tendermintFamilyFlavor({
  name: 'tendermint',
  defaultVersion: 'v0.34.24',
  build: tendermintBuild,
  versions: [
    { from: 'v0.34.0', traits: { ...V034, startCommand: 'node' } },
    { from: 'v0.34.1', traits: V034 },
  ],
});
