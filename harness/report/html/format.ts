/** Number formatting for the HTML report (the browser side has its own copy in client.js). */
import bytesLib from 'bytes';

/** 47.4 MB; null → '–'. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const text = bytesLib.format(Math.abs(n), { decimalPlaces: 1, unitSeparator: ' ' }) ?? String(n);
  return n < 0 ? '-' + text : text;
}

/** +4.1 MB / -512 KB / 0 B: growth columns always show their sign. */
export function signedBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return (n > 0 ? '+' : '') + bytes(n);
}

export function signed(n: number): string {
  return (n > 0 ? '+' : '') + count(n);
}

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** 1.5 s, 2 min 3 s */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function percent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(digits)} %`;
}
