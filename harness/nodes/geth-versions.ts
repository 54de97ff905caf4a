/**
 * What differs between geth releases on chainsoak's command line and dev chain, read from each tag's
 * cmd/utils/flags.go (flag `Name:`s), cmd/geth/config.go and params/config.go, v1.10.0 to v1.17.x.
 *
 * Flags chainsoak passes that every release from v1.10.0 has, so they are not in the table: --config
 * ([Node.P2P] ListenAddr), --dev, --dev.period, --datadir, --port, --nat, --nodiscover, --maxpeers,
 * --bootnodes, --networkid, --cache, --http/--ws with .addr/.port/.api, --ipcdisable, --pprof with
 * .addr/.port, --verbosity; the APIs eth, net, web3, debug (debug_memStats), admin, txpool. The renamed
 * flags of the line (--rpc* to --http.* in v1.10's own deprecation, --txlookuplimit to
 * --history.transactions in v1.13, gone in v1.17.4) are not passed by chainsoak: a scenario's extraArgs
 * must use the name its version knows.
 */
import type { VersionRow } from './version-table.ts';

export interface GethTraits {
  /** `--authrpc.addr`/`--authrpc.port` (the engine API's listener) exist: v1.10.17 on. Before, nothing is opened for it. */
  authRpc: boolean;
  /** `--dev.gaslimit` exists: v1.10.13 on. Before, a dev chain's gas limit is the dev genesis's own. */
  devGasLimit: boolean;
  /**
   * What produces blocks under --dev: 'clique' (a pre-merge proof-of-authority chain, v1.10 to v1.12.0)
   * or 'simulated-beacon' (post-merge, a built-in beacon driving the engine API, v1.12.1 on). Both seal
   * a block every --dev.period seconds, or on each transaction with period 0.
   */
  devConsensus: 'clique' | 'simulated-beacon';
}

export const gethVersions: readonly VersionRow<GethTraits>[] = [
  { from: 'v1.10.0', traits: { authRpc: false, devGasLimit: false, devConsensus: 'clique' } },
  { from: 'v1.10.13', traits: { authRpc: false, devGasLimit: true, devConsensus: 'clique' } },
  { from: 'v1.10.17', traits: { authRpc: true, devGasLimit: true, devConsensus: 'clique' } },
  { from: 'v1.12.1', traits: { authRpc: true, devGasLimit: true, devConsensus: 'simulated-beacon' } },
];
