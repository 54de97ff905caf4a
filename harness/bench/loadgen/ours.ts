/** chainsoak's generator, in a child process of its own (ours-child.ts). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratorResult, LoadGenerator } from './generator.ts';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ours-child.ts');

export const ours: LoadGenerator = {
  name: 'chainsoak',
  command: (run) => ({
    file: process.execPath,
    args: ['--import', 'tsx', child, run.url, run.bodiesFile, String(run.rate), String(run.durationMs), String(run.connections)],
  }),
  result: async (stdout) => {
    const { skipped, lateTicks, ...result } = JSON.parse(stdout.trim().split('\n').at(-1)!) as GeneratorResult & { skipped: number; lateTicks: number };
    return { ...result, schedule: `${skipped} skipped behind schedule, ${lateTicks} late ticks` };
  },
};
