/** How to build geth (github.com/ethereum/go-ethereum) from the Go module proxy. */
import type { GoBuildRecipe } from './flavor.ts';
import { compareSemver, isSemverTag } from './node-spec.ts';

/**
 * geth before v1.14.8 depends on github.com/fjl/memsize, which //go:linkname-pulls runtime internals
 * (runtime.stopTheWorld). Since Go 1.23 the linker refuses that unless -checklinkname=0 is given.
 * The flag does not exist before Go 1.23, so chainsoak needs Go >= 1.23 to build those tags.
 */
const FIRST_WITHOUT_LINKNAME_HACK = 'v1.14.8';

export const gethBuild: GoBuildRecipe = {
  module: 'github.com/ethereum/go-ethereum',
  cmdPath: 'cmd/geth',
  binary: 'geth',
  ldflags(version: string): string | undefined {
    if (!isSemverTag(version)) return undefined;
    return compareSemver(version, FIRST_WITHOUT_LINKNAME_HACK) < 0 ? '-checklinkname=0' : undefined;
  },
};
