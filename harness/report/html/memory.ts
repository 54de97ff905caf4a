/** Where the memory is: runtime figures per phase, and the outside-the-Go-heap flag. */
import type { NodeReport, PhaseFigures } from '../summary.ts';
import { esc } from './escape.ts';
import { bytes, count, duration, percent, signedBytes } from './format.ts';

export function memorySection(node: NodeReport): string {
  const parts: string[] = [];
  const outside = node.outsideHeap;
  if (outside?.message) {
    parts.push(
      `<p class="outside ${outside.flagged ? 'flagged' : 'ok'}">${outside.flagged ? '<strong>Memory outside the Go heap:</strong> ' : ''}${esc(outside.message)} ` +
        `<span class="muted">(HeapInuse ${signedBytes(outside.heapInuseGrowth)}, Sys ${signedBytes(outside.sysGrowth)}, RSS ${signedBytes(outside.rssGrowth)})</span></p>`,
    );
  }
  const phases = node.phases ?? [];
  if (phases.length === 0) {
    parts.push('<p class="empty">No per-phase figures in this summary.</p>');
    return parts.join('\n');
  }
  const container = phases.some((p) => p.container);
  const head = [
    'phase', 'time', 'HeapInuse start → end (max)', 'HeapAlloc start → end (max)', 'allocated (TotalAlloc churn)', 'Sys start → end', 'RSS start → end',
    ...(container ? ['container usage start → end (max)'] : []),
    'goroutines start → end (max)', 'GCs', 'GC pause', 'GC CPU',
  ];
  const rows = phases.map((p) => phaseRow(p, container));
  parts.push(`<table class="data phases"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
  return parts.join('\n');
}

function phaseRow(p: PhaseFigures, container: boolean): string {
  const span = p.endT - p.startT;
  const churn = span > 0 ? ` <span class="muted">(${bytes((p.allocated * 1000) / span)}/s)</span>` : '';
  const cells = [
    esc(p.phase),
    `${(p.startT / 1000).toFixed(0)}–${(p.endT / 1000).toFixed(0)} s <span class="muted">(${duration(span)})</span>`,
    `${bytes(p.heapInuse.start)} → ${bytes(p.heapInuse.end)} (${bytes(p.heapInuse.max)})`,
    `${bytes(p.heapAlloc.start)} → ${bytes(p.heapAlloc.end)} (${bytes(p.heapAlloc.max)})`,
    `${bytes(p.allocated)}${churn}`,
    `${bytes(p.sys.start)} → ${bytes(p.sys.end)}`,
    `${bytes(p.rss.start)} → ${bytes(p.rss.end)}`,
    ...(container ? [p.container ? `${bytes(p.container.usage.start)} → ${bytes(p.container.usage.end)} (${bytes(p.container.usage.max)})` : '–'] : []),
    `${count(p.goroutines.start)} → ${count(p.goroutines.end)} (${count(p.goroutines.max)})`,
    count(p.numGC),
    p.gcPauseMs === undefined ? '–' : `${p.gcPauseMs.toFixed(1)} ms`,
    p.gcCpuFraction === undefined ? '–' : percent(p.gcCpuFraction, 2),
  ];
  return `<tr data-phase="${esc(p.phase)}">${cells.map((c, i) => `<td${i > 0 ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`;
}
