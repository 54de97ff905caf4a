/**
 * The toxiproxy-server binary (github.com/Shopify/toxiproxy/v2, MIT): built like a node, `go install`
 * into chainsoak's binary cache, at a pinned version whose admin API the rest of this folder speaks.
 */
import type { GoBuildRecipe } from '../../nodes/flavor.ts';
import { ensureBinary, type EnsureBinaryOptions } from '../../nodes/install.ts';

export const TOXIPROXY_VERSION = 'v2.5.0';
/** Name of toxiproxy in chainsoak's binary cache: <cache>/nodes/toxiproxy/<version>/server. */
export const TOXIPROXY_CACHE_NAME = 'toxiproxy';

export const toxiproxyBuild: GoBuildRecipe = {
  module: 'github.com/Shopify/toxiproxy/v2',
  cmdPath: 'cmd/server',
  // `go install .../cmd/server` names the binary after the package directory.
  binary: 'server',
  // Release builds stamp the version (goreleaser: -X ...Version={{.Version}}); without it GET /version says "git".
  ldflags: (version) => `-X github.com/Shopify/toxiproxy/v2.Version=${version.replace(/^v/, '')}`,
};

/** The toxiproxy-server binary, built once into chainsoak's binary cache (about 40 s cold on 2 cores). */
export function ensureToxiproxy(opts: EnsureBinaryOptions = {}): Promise<string> {
  return ensureBinary(TOXIPROXY_CACHE_NAME, toxiproxyBuild, TOXIPROXY_VERSION, opts);
}
