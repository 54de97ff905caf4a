/** The verdict table printed at the end of a run. */
import Table from 'cli-table3';
import type { RunSummary } from './summary.ts';

export function verdictTable(summary: RunSummary): string {
  const table = new Table({ head: ['node', 'budget', 'observed / limit', 'result'], style: { head: [], border: [] } });
  for (const b of summary.budgets) {
    table.push([b.node, b.name, b.message, b.skipped ? 'skipped' : b.pass ? 'pass' : 'FAIL']);
  }
  const lines = [`${summary.scenario}: ${summary.verdict.toUpperCase()} (exit ${summary.exitCode})`];
  if (summary.budgets.length) lines.push(table.toString());
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
  }
  if (summary.error) lines.push(`error: ${summary.error.message}`);
  lines.push(`report: ${summary.reportDir}`);
  return lines.join('\n');
}
