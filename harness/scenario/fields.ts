/** Zod fields shared by scenario, flavor and workload schemas: durations and sizes as users write them. */
import { z } from 'zod';
import { parseDuration } from './units.ts';

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
