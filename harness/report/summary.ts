/** summary.json: the machine-readable result of one run. Field names are a public contract. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunSummary } from '../result/types.ts';

export type { NodeReport, PhaseFigures, RunSummary, ThroughputPoint, Verdict } from '../result/types.ts';

export async function writeSummary(summary: RunSummary): Promise<string> {
  const file = path.join(summary.reportDir, 'summary.json');
  await writeFile(file, JSON.stringify(summary, null, 2) + '\n');
  return file;
}
