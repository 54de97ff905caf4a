/** Durations and sizes as users write them in scenarios and flags: '90s', '5m', '64MB', or plain numbers. */
import bytes from 'bytes';
import ms from 'ms';

/** A duration: milliseconds as a number, or a string like '500ms', '30s', '5m', '1h'. */
export type Duration = number | string;
/** A size: bytes as a number, or a string like '512KB', '64MB', '1GB' (powers of 1024). */
export type Size = number | string;

/**
 * The longest wait chainsoak accepts, for every duration field and flag: 24 days. A Node timer holds at
 * most 2^31-1 ms (24.8 days) and fires after 1 ms beyond that, so '1000000h' would end a warm-up at once.
 */
export const MAX_WAIT_MS = 24 * 86_400_000;

/**
 * The largest seed: seeds are 32-bit (a bigger number would be replayed as another seed, or lose digits).
 * Here, beside the other bounds, rather than with the seed's schema: the CLI's flag parser needs it without zod.
 */
export const MAX_SEED = 2 ** 32 - 1;

export function parseDuration(value: Duration): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (!/^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*$/i.test(value)) return undefined;
  const parsed = ms(value.replace(/\s+/g, '') as ms.StringValue);
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined;
}

export function parseSize(value: Size): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (!/^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb)\s*$/i.test(value)) return undefined;
  const parsed = bytes.parse(value);
  return parsed === null || Number.isNaN(parsed) ? undefined : parsed;
}

export function formatBytes(n: number): string {
  const sign = n < 0 ? '-' : n > 0 ? '+' : '';
  return sign + (bytes.format(Math.abs(n), { decimalPlaces: 1, unitSeparator: ' ' }) ?? String(n));
}

export function formatDuration(msValue: number): string {
  return ms(Math.round(msValue));
}
