/** Figure values for people: sizes in KB/MB, rates and latencies with sensible precision. */
import bytes from 'bytes';
import type { Figure, FigureUnit } from './figures.ts';

/** A value in its unit, e.g. `3.6 MB`, `150.0 ops/s`, `0.10%`, `4.2 ms`. */
export function formatValue(value: number, unit: FigureUnit, signed = false): string {
  if (!Number.isFinite(value)) return String(value);
  const sign = signed && value > 0 ? '+' : value < 0 ? '-' : '';
  const v = Math.abs(value);
  switch (unit) {
    case 'bytes':
    case 'bytes/1k ops':
    case 'bytes/cycle':
      return sign + (bytes.format(v, { decimalPlaces: 1, unitSeparator: ' ' }) ?? String(v)) + unit.slice('bytes'.length);
    case 'ratio':
      return `${sign}${(v * 100).toFixed(2)}%`;
    case 'ms':
      return `${sign}${v.toFixed(1)} ms`;
    case 'ops/s':
      return `${sign}${v.toFixed(1)} ops/s`;
    case 'verdict':
      return `${sign}${round(v, 2)}`;
    default:
      return `${sign}${round(v, 1)} ${unit}`;
  }
}

const round = (v: number, digits: number) => String(Math.round(v * 10 ** digits) / 10 ** digits);

/** 'geth heap in-use growth', or 'accepted rate' for a run-wide figure. */
export function figureName(figure: Pick<Figure, 'node' | 'label'>): string {
  return figure.node ? `${figure.node} ${figure.label}` : figure.label;
}
