/**
 * geth as a dev chain: one node, a block every `devPeriod` seconds, every port on 127.0.0.1.
 * A datadir is on by default: `--dev` without one keeps the whole chain in memory, which grows by
 * design and is what the positive-control scenario uses on purpose.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { jsonRpc } from '../probes/http.ts';
import { pickMemStats } from '../probes/memstats.ts';
import type { NodeFlavor } from './flavor.ts';
import { gethBuild } from './geth-build.ts';

const gethOptions = z.strictObject({
  /** false: no --datadir, the in-memory database (keeps every block: grows by design). */
  datadir: z.boolean().default(true),
  /** Seconds between dev blocks; 0 mines a block as soon as a transaction arrives. */
  devPeriod: z.number().int().min(0).max(3600).default(1),
  /** Block gas limit of the dev chain. */
  gasLimit: z.number().int().positive().optional(),
  /** --cache in MB (geth's default is large; a smaller cache plateaus sooner). */
  cacheMB: z.number().int().positive().optional(),
  verbosity: z.number().int().min(0).max(5).default(3),
  /** Extra command-line flags, appended as given. */
  extraArgs: z.array(z.string()).default([]),
});

export type GethOptions = z.input<typeof gethOptions>;

const API = 'eth,net,web3,debug,admin,txpool';

export const geth: NodeFlavor = {
  name: 'geth',
  defaultVersion: 'v1.17.10',
  build: gethBuild,
  portNames: ['http', 'ws', 'authrpc', 'p2p', 'pprof'],
  optionsSchema: gethOptions,

  async prepare({ home, ports, options }) {
    const opts = gethOptions.parse(options);
    await mkdir(home, { recursive: true });
    // geth has no flag for the p2p listen address; a config file pins it to loopback.
    const configPath = path.join(home, 'config.toml');
    await writeFile(configPath, `[Node.P2P]\nListenAddr = "127.0.0.1:${ports.p2p}"\n`);
    const args = [
      '--config', configPath,
      '--dev', '--dev.period', String(opts.devPeriod),
      ...(opts.datadir ? ['--datadir', path.join(home, 'data')] : []),
      ...(opts.gasLimit ? ['--dev.gaslimit', String(opts.gasLimit)] : []),
      ...(opts.cacheMB ? ['--cache', String(opts.cacheMB)] : []),
      '--http', '--http.addr', '127.0.0.1', '--http.port', String(ports.http), '--http.api', API,
      '--ws', '--ws.addr', '127.0.0.1', '--ws.port', String(ports.ws), '--ws.api', API,
      '--authrpc.addr', '127.0.0.1', '--authrpc.port', String(ports.authrpc),
      '--port', String(ports.p2p), '--nat', 'none', '--nodiscover', '--maxpeers', '0', '--ipcdisable',
      '--pprof', '--pprof.addr', '127.0.0.1', '--pprof.port', String(ports.pprof),
      '--verbosity', String(opts.verbosity),
      ...opts.extraArgs,
    ];
    return {
      args,
      endpoints: {
        http: `http://127.0.0.1:${ports.http}`,
        ws: `ws://127.0.0.1:${ports.ws}`,
        pprof: `http://127.0.0.1:${ports.pprof}`,
      },
    };
  },

  async isReady(endpoints, signal) {
    try {
      await jsonRpc<string>(endpoints.http!, 'eth_blockNumber', [], 2000, signal);
      return true;
    } catch {
      return false;
    }
  },

  async readMemStats(endpoints, signal) {
    return pickMemStats(await jsonRpc<Record<string, unknown>>(endpoints.http!, 'debug_memStats', [], 5000, signal));
  },
};
