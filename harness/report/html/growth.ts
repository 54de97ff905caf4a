/** What grew: the heap and goroutine top-growth tables of the summary, and the leak patterns found in them. */
import type { NodeReport } from '../summary.ts';
import { esc, slugify } from './escape.ts';
import { bytes, count, signed, signedBytes } from './format.ts';
import { linksWorthSaying } from '../../analysis/growth-link.ts';
import { describeProvenLeaks } from '../../analysis/proven-leaks.ts';

export function heapGrowthTable(node: NodeReport): string {
  const rows = node.heap.topGrowth;
  if (rows.length === 0) return '<p class="empty">No function\'s flat heap in use grew.</p>';
  const body = rows.map(
    (g) =>
      `<tr data-function="${esc(g.function)}" data-bytes="${g.inuseBytes}"><td class="fn">${esc(g.function)}</td><td class="num">${signedBytes(g.inuseBytes)}</td>` +
      `<td class="num">${signed(g.inuseObjects)}</td><td class="num">${signedBytes(g.cumInuseBytes)}</td></tr>`,
  );
  return (
    `<table class="data growth" id="heap-growth-${esc(slugify(node.name))}"><thead><tr><th>function (flat, like pprof -top -diff_base)</th><th>inuse_space</th><th>inuse_objects</th><th>cum inuse_space</th></tr></thead>` +
    `<tbody>${body.join('')}</tbody></table>`
  );
}

export function goroutineGrowthTable(node: NodeReport): string {
  const rows = node.goroutines.topGrowth;
  if (rows.length === 0) return '<p class="empty">No goroutine stack grew (after the scenario\'s goroutineIgnore list).</p>';
  const body = rows.map(
    (g) =>
      `<tr data-count="${g.count}" data-entry="${esc(g.entry)}"><td class="num">${signed(g.count)}</td><td class="num">${count(g.before)} → ${count(g.after)}</td>` +
      `<td class="fn"><details><summary>${esc(g.entry)} → ${esc(g.stack[0] ?? '(no stack)')}</summary><pre class="stack">${g.stack.map(esc).join('\n')}</pre></details></td></tr>`,
  );
  return (
    `<table class="data growth" id="goroutine-growth-${esc(slugify(node.name))}"><thead><tr><th>growth</th><th>before → after</th><th>started by → blocked in (click for the stack)</th></tr></thead>` +
    `<tbody>${body.join('')}</tbody></table>`
  );
}

export function patternsSection(node: NodeReport): string {
  const findings = node.patterns ?? [];
  if (findings.length === 0) return '';
  const link = node.growthLinks && linksWorthSaying(node.growthLinks) ? `<p class="link"><strong>Heap and goroutines:</strong> ${esc(node.growthLinks.message)}</p>` : '';
  const items = findings.map((p) => {
    const amount = (n: number) => (p.unit === 'bytes' ? signedBytes(n) : signed(n));
    const suspects = p.suspects.map(
      (s, i) =>
        `<tr${i === 0 ? ' class="prime"' : ''}><td class="fn">${esc(s.function)}${i === 0 ? ' <span class="tag">most likely</span>' : ''}</td><td class="num">${amount(s.growth)}</td>` +
        `<td>${s.stack.length ? `<details><summary>stack</summary><pre class="stack">${s.stack.map(esc).join('\n')}</pre></details>` : ''}</td></tr>`,
    );
    return (
      `<div class="pattern" data-pattern="${esc(p.pattern)}"><h4>${esc(p.title)} <span class="muted">${amount(p.growth)} ${p.unit === 'bytes' ? '' : 'goroutines'}</span></h4>` +
      (suspects.length ? `<table class="data"><thead><tr><th>suspect</th><th>growth</th><th></th></tr></thead><tbody>${suspects.join('')}</tbody></table>` : '') +
      `<p class="hint"><strong>Usual fix:</strong> ${esc(p.hint)}</p></div>`
    );
  });
  return `<h3>Leak patterns</h3>${link}${items.join('\n')}`;
}

/**
 * The heap trend's evidence: the sites the tail cycles' profiles show grew (a leak), or why a rising floor
 * is unattributed, with what would settle it and the pprof command that shows the same diff.
 */
export function trendEvidenceSection(node: NodeReport): string {
  const fit = node.trend?.heapAlloc;
  const a = fit?.attribution;
  if (!fit || !a) return '';
  const rows = (sites: NonNullable<typeof a>['sites']) =>
    sites
      .slice(0, 10)
      .map((s) => `<tr><td class="fn">${esc(s.function)}${s.bounded ? ` <span class="tag">${esc(s.bounded)}</span>` : ''}</td><td class="num">${signedBytes(s.growth)}</td><td class="num">${signedBytes(s.slopePerCycle)}/cycle</td><td>${s.stack.length ? `<details><summary>stack</summary><pre class="stack">${s.stack.map(esc).join('\n')}</pre></details>` : ''}</td></tr>`)
      .join('');
  const table = (title: string, sites: NonNullable<typeof a>['sites']) =>
    sites.length ? `<h4>${esc(title)}</h4><table class="data"><thead><tr><th>site</th><th>growth</th><th>slope</th><th></th></tr></thead><tbody>${rows(sites)}</tbody></table>` : '';
  const command = a.fromProfile && a.toProfile ? `<pre>go tool pprof -top -sample_index=inuse_space -diff_base ${esc(a.fromProfile)} ${esc(a.toProfile)}</pre>` : '';
  const advice = fit.advice?.length ? `<ul class="advice">${fit.advice.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : '';
  return (
    `<h3>Heap trend evidence: ${esc(fit.verdict)}</h3>` +
    `<p>Heap profiles of cycles ${a.fromCycle} → ${a.toCycle}: ${signedBytes(a.profileGrowth)} in all; a site counts from ${bytes(a.resolution)} of growth (4 samples at one per ${bytes(a.rate)}).</p>` +
    table('Sites that grew', a.sites) +
    table('Growth inside bounded structures', a.bounded) +
    advice +
    command
  );
}

/** Heap profiles are sampled (runtime.MemProfileRate): figures near the rate are estimates. */
export function sampleRateNote(node: NodeReport): string {
  return node.heapSampleRate ? `<p class="note">The heap profiles record one sample per ${bytes(node.heapSampleRate)} allocated, on average: figures of that order are estimates.</p>` : '';
}

/** Goroutines the Go runtime proved leaked (nodes built with provenLeaks), by stack. */
export function provenLeaksSection(node: NodeReport): string {
  const leaks = node.provenLeaks;
  if (!leaks) return '';
  const rows = leaks.stacks
    .slice(0, 15)
    .map((s) => `<tr><td class="fn">${esc(s.entry)}</td><td>${esc(s.blockedIn)}</td><td class="num">${count(s.count)}</td><td class="num">${signed(s.newSinceBefore)}</td><td><details><summary>stack</summary><pre class="stack">${s.stack.map(esc).join('\n')}</pre></details></td></tr>`)
    .join('');
  const table = rows ? `<table class="data"><thead><tr><th>entry</th><th>blocked in</th><th>goroutines</th><th>new since before</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : '';
  return `<h3>Goroutines the Go runtime proved leaked</h3><p>${esc(describeProvenLeaks(leaks))} (<code>go tool pprof -traces ${esc(leaks.profiles.after)}</code>)</p>${table}`;
}
