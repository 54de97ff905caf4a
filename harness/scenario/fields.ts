/** Zod fields shared by scenario, flavor and workload schemas: durations and sizes as users write them. */
import { z } from 'zod';
import { parseDuration, parseSize } from './units.ts';

/** Milliseconds, or a string like '500ms', '2s', '5m'; at most `max` ms. Parses to whole milliseconds. */
export function durationMs(max = Number.MAX_SAFE_INTEGER) {
  return z.union([z.number().min(0), z.string()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < 0 || ms > max) {
      ctx.addIssue({ code: 'custom', message: `expected a duration${max < Number.MAX_SAFE_INTEGER ? ` up to ${max} ms` : ''} such as 500, '500ms' or '2s', got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return Math.round(ms);
  });
}

/** A duration as a scenario writes it ('30s', '5m', or milliseconds), parsed to milliseconds. */
export const duration = z
  .union([z.number(), z.string()])
  .refine((v) => parseDuration(v) !== undefined, { message: "expected a duration such as '30s', '5m' or milliseconds" })
  .transform((v) => parseDuration(v)!);

/** A size as a scenario writes it ('64MB', '512KB', or bytes), parsed to bytes. */
export const size = z
  .union([z.number(), z.string()])
  .refine((v) => parseSize(v) !== undefined, { message: "expected a size such as '64MB', '512KB' or bytes" })
  .transform((v) => parseSize(v)!);
