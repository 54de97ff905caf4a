/**
 * One CLI run of the shipped default scenario (scenarios/geth-tx-flood.ts, process runtime), shared by the
 * tests that each needed one: the geth end-to-end test checks its report, and the container end-to-end test
 * compares its container run of the same scenario with it. Made once per mocha process, on first use: the
 * tests only read the run's report folder, so neither can change what the other sees.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, type CliResult } from '../helpers.ts';

/**
 * The run's arguments, without --reports and --runtime. 15 s of flood at 150 tx/s (2250 txs) between the
 * scenario's own 20 s warmup and 10 s cooldown: over 30 blocks and over 10 samples for the report checks.
 */
export const DEFAULT_GETH_RUN = ['run', 'scenarios/geth-tx-flood.ts', '--duration', '15s', '--quiet'];

export interface DefaultGethRun extends CliResult {
  /** The run's report folder (from the CLI's `report:` line); undefined when it printed none. */
  dir: string | undefined;
  wallMs: number;
}

let shared: Promise<DefaultGethRun> | undefined;

export function defaultGethRun(): Promise<DefaultGethRun> {
  shared ??= (async () => {
    const reports = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-default-geth-'));
    const t0 = Date.now();
    const r = await cli([...DEFAULT_GETH_RUN, '--reports', reports]);
    return { ...r, dir: /report: (.*)/.exec(r.stdout)?.[1]?.trim(), wallMs: Date.now() - t0 };
  })();
  return shared;
}
