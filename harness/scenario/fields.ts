/** Zod fields shared by scenario, flavor and workload schemas: durations and sizes as users write them. */
import { z } from 'zod';
import { MAX_SEED, MAX_WAIT_MS, formatDuration, parseDuration, parseSize } from './units.ts';

/** Milliseconds, or a string like '500ms', '2s', '5m'; at most `max` ms (a timer's limit). Parses to whole milliseconds. */
export function durationMs(max = MAX_WAIT_MS) {
  return z.union([z.number().min(0), z.string()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < 0 || ms > max) {
      ctx.addIssue({ code: 'custom', message: `expected a duration up to ${max === MAX_WAIT_MS ? formatDuration(max) : `${max} ms`} such as 500, '500ms' or '2s', got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return Math.round(ms);
  });
}

/**
 * A duration as a scenario writes it ('30s', '5m', or milliseconds), parsed to milliseconds, from `min`
 * up to what a timer holds (24 days: Node fires longer timers after 1 ms).
 */
export function waitDuration(min = 0) {
  const range = min > 0 ? `from ${formatDuration(min)} ` : '';
  return z
    .union([z.number(), z.string()])
    .refine((v) => parseDuration(v) !== undefined, { message: "expected a duration such as '30s', '5m' or milliseconds" })
    .transform((v) => parseDuration(v)!)
    .refine((ms) => ms >= min && ms <= MAX_WAIT_MS, { message: `expected a duration ${range}up to ${formatDuration(MAX_WAIT_MS)}` });
}

/** A duration the harness waits for (warm-up, a phase, a fault's time): at most 24 days. */
export const duration = waitDuration();

/** A duration nobody waits for (how long a node must live before an OOM): any length. */
export const span = z
  .union([z.number(), z.string()])
  .refine((v) => parseDuration(v) !== undefined, { message: "expected a duration such as '30s', '5m' or milliseconds" })
  .transform((v) => parseDuration(v)!);

/** A size as a scenario writes it ('64MB', '512KB', or bytes), parsed to bytes. */
export const size = z
  .union([z.number(), z.string()])
  .refine((v) => parseSize(v) !== undefined, { message: "expected a size such as '64MB', '512KB' or bytes" })
  .transform((v) => parseSize(v)!);


/** A seed for every random choice of a run: a whole number from 0 to 2^32-1. */
export const seed = z.number().int().min(0).max(MAX_SEED, { message: `expected a seed from 0 to ${MAX_SEED}` });

/** A regular expression's source, checked here so a typo fails before the run, not after it. */
export const regexSource = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(error as Error).message}` });
  }
});
