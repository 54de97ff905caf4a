/** The table `chainsoak compare` prints: one row per figure, then the overall verdict. */
import Table from 'cli-table3';
import type { CompareResult } from './compare.ts';
import { figureName, formatValue } from './format.ts';
import type { FigureComparison, SideStats } from './noise.ts';

export function compareTable(result: CompareResult): string {
  const lines = [`${result.scenario}: base ${result.base} vs candidate ${result.candidate}, ${result.runsPerSide} run(s) each, seed ${result.seed}`];
  for (const run of result.runs) {
    const nodes = run.nodes.map((n) => `${n.name} ${n.flavor} ${n.version}`).join(', ');
    lines.push(`  ${run.label.padEnd(12)} ${run.verdict.padEnd(5)} ${nodes}  ${run.reportDir}`);
  }
  if (result.comparisons.length) {
    const table = new Table({ head: ['figure', 'base', 'candidate', 'difference', 'noise band', 'verdict'], style: { head: [], border: [] } });
    for (const c of result.comparisons) {
      table.push([
        figureName(c) + (c.gating ? '' : ' (info)'),
        side(c, c.base),
        side(c, c.candidate),
        Number.isFinite(c.difference) ? formatValue(c.difference, c.unit, true) : '',
        `±${formatValue(c.band, c.unit)}${c.band > c.statistical ? ' (floor)' : ''}`,
        c.verdict === 'regressed' ? 'REGRESSED' : c.verdict,
      ]);
    }
    lines.push(table.toString());
    if (result.runsPerSide === 1) lines.push('one run a side: no spread between runs to go by, so each band is its practical floor (--runs 3 or more to see the noise)');
  }
  if (result.error) lines.push(`error: ${result.error.run}: ${result.error.message}`);
  else if (result.verdict === 'candidate regressed') {
    const which = result.comparisons.filter((c) => result.regressed.includes(c.key)).map(figureName);
    lines.push(`candidate regressed: ${which.join(', ')} (exit 1)`);
  } else lines.push(`no regression: every gating figure is within the noise between runs (exit 0)`);
  lines.push(`compare: ${result.dir}`);
  return lines.join('\n');
}

function side(c: FigureComparison, s: SideStats): string {
  if (s.n === 0) return '—';
  return formatValue(s.center, c.unit) + (Number.isFinite(s.spread) ? ` ± ${formatValue(s.spread, c.unit)}` : '');
}
