/**
 * Bench 7: how long the CLI takes to answer the commands that should not load the run machinery, against
 * `node -e 1` (the floor). Median and minimum wall time of BENCH_CLI_REPEATS (default 9) runs each,
 * printed, never asserted: a busy machine moves them a lot.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'harness', 'bin.mjs');
const repeats = Number(process.env.BENCH_CLI_REPEATS ?? 9);

const commands: Array<[string, string[]]> = [
  ['node -e 1 (the floor)', ['-e', '1']],
  ['chainsoak --help', [bin, '--help']],
  ['chainsoak --version', [bin, '--version']],
  ['chainsoak run <missing file> (usage error)', [bin, 'run', 'no-such-scenario.ts']],
  ['chainsoak run <file> --node geth@v9 (usage error after loading it)', [bin, 'run', 'scenarios/geth-tx-flood.ts', '--node', 'geth@v9']],
  ['chainsoak validate <one file>', [bin, 'validate', 'scenarios/geth-tx-flood.ts']],
  ['chainsoak validate scenarios/', [bin, 'validate', 'scenarios/']],
];

export function cliStart(row: (label: string, value: string) => void): void {
  for (const [label, args] of commands) {
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore', env: { ...process.env, CI: '1' } });
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    row(`7. ${label}`, `median ${median.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms`);
  }
}
