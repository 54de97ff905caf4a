/**
 * Every goroutine of the `after` profile grouped by stack (same function names, leaf first, like the
 * diff in analysis/goroutine-diff.ts), with the `before` count of the same stack and the delta. Groups
 * that vanished are listed too (after 0). Largest growth first; stacks fold away in <details>.
 */
import { goroutineGroups, type Profile } from '../../analysis/index.ts';
import { esc } from './escape.ts';
import { count, signed } from './format.ts';

export interface GroupRow {
  stack: string[];
  before: number;
  after: number;
  delta: number;
}

/** Rows beyond this are summarized in one line: a page of 10k distinct stacks helps nobody. */
const MAX_ROWS = 300;

export function groupRows(before: Profile, after: Profile): GroupRow[] {
  const b = goroutineGroups(before);
  const a = goroutineGroups(after);
  const rows: GroupRow[] = [];
  for (const [key, g] of a) {
    const was = b.get(key)?.count ?? 0;
    rows.push({ stack: g.stack, before: was, after: g.count, delta: g.count - was });
  }
  for (const [key, g] of b) if (!a.has(key)) rows.push({ stack: g.stack, before: g.count, after: 0, delta: -g.count });
  return rows.sort((x, y) => y.delta - x.delta || y.after - x.after || (x.stack.join('\n') < y.stack.join('\n') ? -1 : 1));
}

/** The goroutine's start function: the root frame, skipping runtime.goexit. */
function entryOf(stack: string[]): string {
  let i = stack.length - 1;
  while (i > 0 && stack[i] === 'runtime.goexit') i--;
  return stack[i]!;
}

export function goroutineSection(slug: string, load: () => { before: Profile; after: Profile }): string {
  let rows: GroupRow[];
  try {
    const { before, after } = load();
    rows = groupRows(before, after);
  } catch (err) {
    return `<p class="empty">No goroutine groups: ${esc(err instanceof Error ? err.message : String(err))}</p>`;
  }
  const shown = rows.slice(0, MAX_ROWS);
  const totalBefore = rows.reduce((s, r) => s + r.before, 0);
  const totalAfter = rows.reduce((s, r) => s + r.after, 0);
  const parts = [
    `<p class="note">${count(rows.length)} distinct stacks; ${count(totalBefore)} goroutines before, ${count(totalAfter)} after (${signed(totalAfter - totalBefore)}). Largest growth first; click a row for its stack (leaf first).</p>`,
    `<div class="groups" id="goroutine-groups-${esc(slug)}">`,
    '<div class="group-head"><span>delta</span><span>after</span><span>before</span><span>started by → blocked in</span></div>',
  ];
  const row = (r: GroupRow) => {
    const cls = r.delta > 0 ? 'grow' : r.delta < 0 ? 'shrink' : 'same';
    return (
      `<details class="group ${cls}" data-before="${r.before}" data-after="${r.after}" data-delta="${r.delta}"><summary>` +
      `<span class="num">${esc(signed(r.delta))}</span><span class="num">${count(r.after)}</span><span class="num">${count(r.before)}</span>` +
      `<span class="fn">${r.stack.length ? `${esc(entryOf(r.stack))} → ${esc(r.stack[0])}` : '(goroutine with no stack)'}</span></summary>` +
      `<pre class="stack">${r.stack.map(esc).join('\n')}</pre></details>`
    );
  };
  // Unchanged stacks (most of a healthy node) fold into one row, so growth and shrink stay on screen.
  const same = shown.filter((r) => r.delta === 0);
  for (const r of shown.filter((r) => r.delta > 0)) parts.push(row(r));
  if (same.length) parts.push(`<details class="unchanged"><summary>${count(same.length)} stacks with the same count before and after (${count(same.reduce((s, r) => s + r.after, 0))} goroutines)</summary>${same.map(row).join('\n')}</details>`);
  for (const r of shown.filter((r) => r.delta < 0)) parts.push(row(r));
  parts.push('</div>');
  if (rows.length > shown.length) {
    const rest = rows.slice(MAX_ROWS);
    parts.push(`<p class="note">${count(rest.length)} more stacks (${count(rest.reduce((s, r) => s + r.after, 0))} goroutines after) not listed.</p>`);
  }
  return parts.join('\n');
}
