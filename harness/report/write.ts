/** Writes a run's report files: report.html, summary.json and junit.xml, from its summary and samples. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Sample } from '../probes/sampler.ts';
import { writeHtmlReport } from './html/index.ts';
import { writeJUnit } from './junit.ts';
import { writeSummary, type RunSummary } from './summary.ts';

/** Without samples (a summary amended after the run, e.g. by history), they are read from samples.jsonl. */
export async function writeRunReport(summary: RunSummary, samples?: Sample[]): Promise<void> {
  await writeHtml(summary, samples ?? (await readSamples(path.join(summary.reportDir, summary.samples))));
  await writeSummary(summary);
  await writeJUnit(path.join(summary.reportDir, 'junit.xml'), [summary]);
}

/** The HTML report is a view of the run: a problem writing it is reported, never the run's verdict. */
async function writeHtml(summary: RunSummary, samples: Sample[]): Promise<void> {
  try {
    summary.html = path.relative(summary.reportDir, await writeHtmlReport(summary, samples));
  } catch (error) {
    summary.events.push({ t: summary.durationMs, kind: 'html-report-failed', detail: (error as Error).message });
  }
}

async function readSamples(file: string): Promise<Sample[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      return line ? [JSON.parse(line) as Sample] : [];
    } catch {
      return []; // a torn last line of an interrupted run
    }
  });
}
