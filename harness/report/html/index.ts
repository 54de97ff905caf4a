/**
 * report.html: one self-contained page per run, readable offline — header and budgets, charts over time,
 * where the memory is per phase, what grew (tables, leak patterns, a differential heap flame graph,
 * goroutines grouped by stack), and links to the raw files. Everything it needs is inlined.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readProfile, type Profile } from '../../analysis/index.ts';
import type { Sample } from '../../probes/sampler.ts';
import type { NodeReport, RunSummary } from '../summary.ts';
import { loadAssets } from './assets.ts';
import { chartData, chartsSection } from './charts.ts';
import { esc, slugify } from './escape.ts';
import { flameSection } from './flame.ts';
import { goroutineSection } from './goroutines.ts';
import { goroutineGrowthTable, heapGrowthTable, patternsSection, provenLeaksSection, trendEvidenceSection, sampleRateNote } from './growth.ts';
import { eventsSection, expectedExitsSection, headerSection } from './header.ts';
import { fileLink, nodeFilesSection, runFilesSection } from './links.ts';
import { memorySection } from './memory.ts';
import { normalizeSummary } from './normalize.ts';
import { renderPage } from './page.ts';

export const HTML_REPORT_FILE = 'report.html';

/** Writes `<reportDir>/report.html` and returns its path. */
export async function writeHtmlReport(summary: RunSummary, samples: Sample[]): Promise<string> {
  const html = await renderHtmlReport(summary, samples);
  const file = path.join(summary.reportDir, HTML_REPORT_FILE);
  await writeFile(file, html);
  return file;
}

/** The page as a string (profiles are read from the report folder). */
export async function renderHtmlReport(given: RunSummary, samples: Sample[]): Promise<string> {
  const summary = normalizeSummary(given);
  const assets = await loadAssets();
  const data = chartData(summary, samples);
  const body = [headerSection(summary), expectedExitsSection(summary), chartsSection(data, summary, samples)];
  for (const node of summary.nodes) body.push(nodeSection(summary, node));
  body.push(eventsSection(summary), runFilesSection(summary));
  const toc = [
    { href: '#budgets', label: 'budgets' },
    { href: '#charts', label: 'charts' },
    ...summary.nodes.map((n) => ({ href: `#node-${slugify(n.name)}`, label: n.name })),
    { href: '#files', label: 'files' },
  ];
  return renderPage({ title: `chainsoak ${summary.scenario}: ${summary.verdict}`, body, data, toc }, assets);
}

function nodeSection(summary: RunSummary, node: NodeReport): string {
  const slug = slugify(node.name);
  const profiles = (before: string, after: string) => (): { before: Profile; after: Profile } => ({
    before: readProfile(path.join(summary.reportDir, before)),
    after: readProfile(path.join(summary.reportDir, after)),
  });
  return [
    `<section class="node" id="node-${esc(slug)}"><h2>${esc(node.name)} <span class="muted">${esc(node.flavor)} ${esc(node.version)}</span>${node.disrupted ? ' <span class="tag warn">disrupted: a fault hit it between the snapshots, shown but not judged</span>' : ''}</h2>`,
    '<h3>Where the memory is, per phase</h3>',
    memorySection(node),
    '<h3>Top heap growth</h3>',
    sampleRateNote(node),
    heapGrowthTable(node),
    '<h3>Top goroutine growth</h3>',
    goroutineGrowthTable(node),
    trendEvidenceSection(node),
    provenLeaksSection(node),
    patternsSection(node),
    `<h3>Heap flame graph, after against before</h3><p class="note">${fileLink(summary.reportDir, node.profiles.heapBefore)} → ${fileLink(summary.reportDir, node.profiles.heapAfter)}</p>`,
    flameSection(slug, profiles(node.profiles.heapBefore, node.profiles.heapAfter)),
    '<h3>Goroutines by stack</h3>',
    goroutineSection(slug, profiles(node.profiles.goroutineBefore, node.profiles.goroutineAfter)),
    nodeFilesSection(summary, node),
    '</section>',
  ].join('\n');
}
