/** The top of the report: what ran, the verdict, the nodes, the budgets, the workloads, and any error. */
import type { RunSummary } from '../summary.ts';
import { esc, slugify } from './escape.ts';
import { bytes, count, duration, percent } from './format.ts';
import { budgetSpecOf } from '../../analysis/budget-table.ts';

export function headerSection(summary: RunSummary): string {
  const versions = [...new Set(summary.nodes.map((n) => `${n.flavor} ${n.version}`))].join(', ') || '–';
  const facts: Array<[string, string]> = [
    ['verdict', `<span class="verdict ${esc(summary.verdict)}">${esc(summary.verdict.toUpperCase())}</span> (exit ${summary.exitCode})`],
    ['scenario', `${esc(summary.scenario)}${summary.file ? ` <span class="muted">${esc(summary.file)}</span>` : ''}`],
    ['seed', esc(summary.seed)],
    ['node versions', esc(versions)],
    ['started', esc(summary.startedAt)],
    ['duration', `${esc(duration(summary.durationMs))} <span class="muted">(declared warm-up + phases + cool-down: ${esc(duration(summary.declaredMs))})</span>`],
  ];
  const parts = [
    `<header><h1>chainsoak: ${esc(summary.scenario)}</h1>`,
    `<table class="facts">${facts.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table></header>`,
  ];
  if (summary.error) {
    parts.push(
      `<section id="error" class="run-error"><h2>Error</h2><p>${esc(summary.error.message)}</p>${summary.error.detail ? `<pre>${esc(summary.error.detail)}</pre>` : ''}</section>`,
    );
  }
  parts.push(budgetsTable(summary), nodesTable(summary), workloadsTable(summary));
  return parts.join('\n');
}

function budgetsTable(summary: RunSummary): string {
  if (summary.budgets.length === 0) return '<section id="budgets"><h2>Budgets</h2><p class="empty">No budget was checked.</p></section>';
  const rows = summary.budgets.map((b) => {
    const result = b.skipped ? 'skipped' : b.pass ? (b.warning ? 'warning' : 'pass') : 'fail';
    const spec = budgetSpecOf(b.name);
    const about = spec ? ` title="reads ${esc(spec.reads)}; ${esc(spec.judges)}"` : '';
    const warning = b.warning ? `<div class="warning">⚠ ${esc(b.warning)}</div>` : '';
    return `<tr class="${result}"><td>${esc(b.node === '*' ? 'run' : b.node)}</td><td${about}>${esc(b.name)}</td><td><span class="result ${result}">${result}</span></td><td>${esc(b.message)}${warning}</td></tr>`;
  });
  return `<section id="budgets"><h2>Budgets</h2><table class="data"><thead><tr><th>node</th><th>budget</th><th>result</th><th>observed / limit</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function nodesTable(summary: RunSummary): string {
  if (summary.nodes.length === 0) return '<section id="nodes"><h2>Nodes</h2><p class="empty">No node was measured (no before and after snapshots).</p></section>';
  const rows = summary.nodes.map((n) => {
    const heapDelta = n.heap.after.inuseBytes - n.heap.before.inuseBytes;
    const rssDelta = n.rss.before === null || n.rss.after === null ? null : n.rss.after - n.rss.before;
    return (
      `<tr><td><a href="#node-${esc(slugify(n.name))}">${esc(n.name)}</a>${n.disrupted ? ' <span class="tag warn">disrupted: not judged</span>' : ''}</td>` +
      `<td>${esc(n.flavor)} ${esc(n.version)}<br><span class="muted small">${esc(n.binary)}</span></td>` +
      `<td class="num">${bytes(n.heap.before.inuseBytes)} → ${bytes(n.heap.after.inuseBytes)}<br><span class="${heapDelta > 0 ? 'up' : 'down'}">${heapDelta > 0 ? '+' : ''}${bytes(heapDelta)}</span></td>` +
      `<td class="num">${count(n.goroutines.before)} → ${count(n.goroutines.after)}</td>` +
      `<td class="num">${bytes(n.rss.before)} → ${bytes(n.rss.after)}${rssDelta === null ? '' : `<br><span class="${rssDelta > 0 ? 'up' : 'down'}">${rssDelta > 0 ? '+' : ''}${bytes(rssDelta)}</span>`}</td>` +
      `<td class="num">${n.heapSampleRate ? bytes(n.heapSampleRate) : '–'}</td></tr>`
    );
  });
  return `<section id="nodes"><h2>Nodes</h2><table class="data"><thead><tr><th>node</th><th>version</th><th>heap in use (forced GC)</th><th>goroutines</th><th>RSS</th><th>heap sample rate</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function workloadsTable(summary: RunSummary): string {
  if (summary.workloads.length === 0) return '';
  const folded = summary.segments ? `<p class="note">The load of ${summary.segments.folded.length} of ${summary.segments.count} segments, folded (below).</p>` : '';
  return `<section id="workloads"><h2>Workloads</h2>${folded}${workloadTable(summary.workloads.map((w) => ({ w })))}</section>${segmentsTable(summary)}`;
}

type WorkloadRow = { w: RunSummary['workloads'][number]; segment?: string };

/** Workload figures as a table; with a segment column when the rows are load segments' own. */
function workloadTable(list: WorkloadRow[]): string {
  const bySegment = list.some((r) => r.segment !== undefined);
  const rows = list.map(({ w, segment }) => {
    const l = w.latency;
    const errors = w.errors.length ? `<details><summary>${w.errors.length} distinct</summary><ul>${w.errors.map((e) => `<li>${esc(e)}</li>`).join('')}</ul></details>` : '';
    return (
      `<tr>${bySegment ? `<td>${esc(segment ?? '')}</td>` : ''}<td>${esc(w.phase)}</td><td>${esc(w.kind)}</td><td class="num">${count(w.sent)}</td><td class="num">${count(w.accepted)}</td>` +
      `<td class="num">${count(w.failed)}${w.sent ? ` <span class="muted">(${percent(w.failed / w.sent, 2)})</span>` : ''}</td><td class="num">${count(Math.round(w.achievedRate * 10) / 10)}/s</td>` +
      `<td class="num">${l ? `${l.p50Ms.toFixed(1)} / ${l.p95Ms.toFixed(1)} / ${l.p99Ms.toFixed(1)} / ${l.maxMs.toFixed(1)}` : '–'}</td><td>${errors}</td></tr>`
    );
  });
  return `<table class="data"><thead><tr>${bySegment ? '<th>segment</th>' : ''}<th>phase</th><th>kind</th><th>sent</th><th>accepted</th><th>failed</th><th>rate</th><th>latency ms p50 / p95 / p99 / max</th><th>errors</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** With --load-stats: each segment's own figures, what is missing and what could not be folded. */
function segmentsTable(summary: RunSummary): string {
  const s = summary.segments;
  if (!s) return '';
  const notes = [
    s.missing.length ? `<p class="warning">⚠ missing ${esc(s.missing.join(', '))}: no stats in ${esc(s.dir)}; their load is not in the figures.</p>` : '',
    ...s.parts.filter((p) => p.exitCode || p.beforeRun).map((p) => `<p class="note">${esc(p.segment)}: ${p.exitCode ? `exit ${p.exitCode}: ${esc(p.error ?? '')}` : ''}${p.beforeRun ? ' its load ended before this run started' : ''}</p>`),
    ...s.invalid.map((i) => `<p class="note">not folded: ${esc(i.file)}: ${esc(i.reason)}</p>`),
  ];
  const rows = s.parts.flatMap((p) => p.workloads.map((w) => ({ w, segment: `${p.segment}${p.file === null ? ' (this run)' : ''}` })));
  return `<section id="segments"><h2>Load segments</h2>${notes.join('')}${workloadTable(rows)}</section>`;
}

/** Events (phases, snapshots, faults) in order, folded: useful when reading the charts' markers. */
export function eventsSection(summary: RunSummary): string {
  if (summary.events.length === 0 && summary.timeline.length === 0) return '';
  const events = summary.events.map((e) => `<tr class="ev-${esc(e.kind)}"><td class="num">${(e.t / 1000).toFixed(1)} s</td><td>${esc(e.kind)}</td><td>${esc(e.detail ?? '')}</td></tr>`);
  const planned = summary.timeline.length ? `<h3>Planned timeline (seeded)</h3><pre>${summary.timeline.map(esc).join('\n')}</pre>` : '';
  return `<section id="events"><details><summary><h2>Events (${summary.events.length})</h2></summary><table class="data"><thead><tr><th>t</th><th>kind</th><th>detail</th></tr></thead><tbody>${events.join('')}</tbody></table>${planned}</details></section>`;
}
