/** The verdict table printed at the end of a run. */
import Table from 'cli-table3';
import { linksWorthSaying } from '../analysis/growth-link.ts';
import { describeProvenLeaks } from '../analysis/proven-leaks.ts';
import type { RunSummary } from './summary.ts';
import type { SegmentsReport } from '../result/types.ts';

export function verdictTable(summary: RunSummary): string {
  const table = new Table({ head: ['node', 'budget', 'observed / limit', 'result'], style: { head: [], border: [] } });
  for (const b of summary.budgets) {
    table.push([b.node, b.name, b.message, b.skipped ? 'skipped' : b.pass ? (b.warning ? 'pass (warning)' : 'pass') : 'FAIL']);
  }
  const warnings = summary.budgets.filter((b) => b.warning);
  const lines = [`${summary.scenario}: ${summary.verdict.toUpperCase()} (exit ${summary.exitCode})`];
  if (summary.budgets.length) lines.push(table.toString());
  for (const b of warnings) lines.push(`warning: ${b.node} ${b.name}: ${b.warning}`);
  for (const node of summary.nodes) {
    const heap = node.trend?.heapAlloc;
    if (heap?.projection && (heap.verdict === 'leak' || heap.verdict === 'rising')) lines.push(`${node.name} heap floor: ${heap.projection.message}`);
    const evidence = heap?.verdict === 'leak' ? heap.attribution : undefined;
    for (const site of evidence?.sites.slice(0, 5) ?? []) {
      lines.push(`  ${(site.growth / 1048576).toFixed(2).padStart(9)} MB  ${site.function}  (cycles ${evidence!.fromCycle}→${evidence!.toCycle})`);
    }
  }
  for (const node of summary.nodes) {
    const top = node.heap.topGrowth.slice(0, 5).filter((g) => g.inuseBytes > 0);
    if (top.length) {
      lines.push(`${node.name} top heap growth (flat inuse_space):`);
      for (const g of top) lines.push(`  ${(g.inuseBytes / 1048576).toFixed(2).padStart(9)} MB  ${g.function}`);
    }
    const gr = node.goroutines.topGrowth.slice(0, 3);
    if (gr.length) {
      lines.push(`${node.name} goroutine growth by stack:`);
      for (const g of gr) lines.push(`  ${String('+' + g.count).padStart(6)}  ${g.stack.length ? `${g.stack[0]} ← … ← ${g.entry}` : '(goroutine with no stack)'}`);
    }
    if (node.growthLinks && linksWorthSaying(node.growthLinks)) lines.push(`${node.name} ${node.growthLinks.message}`);
    if (node.provenLeaks?.total) {
      lines.push(`${node.name} ${describeProvenLeaks(node.provenLeaks)}:`);
      for (const s of node.provenLeaks.stacks.slice(0, 3)) lines.push(`  ${String(s.count).padStart(6)} (${s.newSinceBefore >= 0 ? '+' : ''}${s.newSinceBefore})  ${s.blockedIn} ← … ← ${s.entry}`);
    }
  }
  if (summary.segments) lines.push(...segmentLines(summary.segments));
  if (summary.error) lines.push(`error: ${summary.error.message}`);
  lines.push(`report: ${summary.reportDir}`);
  return lines.join('\n');
}


/** What the run folded from its load segments, and what it could not: a missing segment's load is not in the figures. */
function segmentLines(s: SegmentsReport): string[] {
  const lines = [`load segments: ${s.folded.length} of ${s.count} folded (${s.folded.join(', ')})${s.own ? `, ${s.own} sent by this run` : ''}`];
  if (s.missing.length) lines.push(`  MISSING ${s.missing.join(', ')}: no stats in ${s.dir}; their load is not in the figures`);
  for (const p of s.parts) {
    const sums = p.workloads.map((w) => `${w.kind} sent ${w.sent} accepted ${w.accepted} failed ${w.failed}`).join('; ');
    const notes = [p.exitCode ? `exit ${p.exitCode}: ${p.error}` : '', p.beforeRun ? 'ended before this run' : ''].filter(Boolean).join(', ');
    lines.push(`  ${p.segment}: ${sums}${notes ? ` (${notes})` : ''}`);
  }
  for (const i of s.invalid) lines.push(`  not folded: ${i.file}: ${i.reason}`);
  return lines;
}
