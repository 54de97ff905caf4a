/** Links to the raw files of the run (relative, so the folder can be moved or zipped) and pprof commands. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { NodeReport, RunSummary } from '../summary.ts';
import { esc } from './escape.ts';

/** A link when the file exists, else the name struck through: a dead link in a report misleads. */
export function fileLink(reportDir: string, rel: string, label = rel): string {
  if (existsSync(path.join(reportDir, rel))) return `<a href="${esc(encodeRelative(rel))}">${esc(label)}</a>`;
  return `<span class="missing" title="not in the report folder">${esc(label)}</span>`;
}

/** Percent-encode each path segment (node names and scenario files may carry spaces or '#'). */
function encodeRelative(rel: string): string {
  return rel.split(/[\\/]/).map(encodeURIComponent).join('/');
}

export function runFilesSection(summary: RunSummary): string {
  // Every run folder has these three; summary.json and junit.xml may be written just after the page (the
  // runner records the page's name in the summary), so they are linked without looking for them.
  const always = [summary.samples || 'samples.jsonl', 'summary.json', 'junit.xml'].map((f) => `<li><a href="${esc(encodeRelative(f))}">${esc(f)}</a></li>`);
  const logs = nodeLogs(summary.reportDir).map((f) => `<li>${fileLink(summary.reportDir, f)}</li>`);
  return `<section id="files"><h2>Files</h2><ul class="files">${[...always, ...logs].join('')}</ul></section>`;
}

/**
 * Every node log in the folder (nodes/<node>/*.log), whether or not the node made it into summary.nodes:
 * after an early failure the log of the node that would not start is what the reader needs.
 */
function nodeLogs(reportDir: string): string[] {
  const dir = path.join(reportDir, 'nodes');
  if (!existsSync(dir)) return [];
  const logs: string[] = [];
  for (const node of readdirSync(dir, { withFileTypes: true })) {
    if (!node.isDirectory()) continue;
    for (const f of readdirSync(path.join(dir, node.name), { withFileTypes: true })) {
      if (f.isFile() && f.name.endsWith('.log')) logs.push(path.posix.join('nodes', node.name, f.name));
    }
  }
  return logs.sort();
}

export function nodeFilesSection(summary: RunSummary, node: NodeReport): string {
  const p = node.profiles;
  const profiles = [p.heapBefore, p.heapAfter, p.goroutineBefore, p.goroutineAfter, ...(node.trend?.points ?? []).flatMap((t) => (t.profile ? [t.profile] : []))];
  const items = [...new Set(profiles)].map((f) => `<li>${fileLink(summary.reportDir, f)}</li>`);
  items.push(`<li>${fileLink(summary.reportDir, node.log, `${node.log} (node log)`)}</li>`);
  const commands = node.pprofCommands.map(
    (c) => `<div class="cmd"><pre><code>${esc(c)}</code></pre><button type="button" class="copy" title="copy to the clipboard">copy</button></div>`,
  );
  return (
    `<h3>Raw files and pprof</h3><ul class="files">${items.join('')}</ul>` +
    (commands.length ? `<p class="note">Run from the report folder:</p>${commands.join('')}` : '')
  );
}
