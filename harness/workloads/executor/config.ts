/**
 * The executors a workload can run on (k6's names): how its operations are paced. Two open models
 * (operations start on a schedule, whatever the node's latency) and two closed ones (clients loop, so a
 * slow node slows the load). Every executor is bounded by a count (maxOps) and by time (the phase).
 */
import { z } from 'zod';
import { durationMs, waitDuration } from '../../scenario/fields.ts';

const positiveInt = z.number().int().positive();
const rate = z.number().positive().max(100_000);

/** Fields every executor has. */
const bounds = {
  /** Hard bound on operations, over every run() of the workload (cycles add up). */
  maxOps: positiveInt.max(1_000_000_000).default(1_000_000),
};

/** The open models: a schedule of operations handed to clients in turn. */
const arrival = {
  /** Operations open at once; past it the schedule skips (counted), it never queues. */
  maxInFlight: positiveInt.max(10_000).default(64),
  /** Clients the operations rotate over (op i on client i % clients). Default: one per node. */
  clients: positiveInt.max(10_000).optional(),
  /** Operations per op() call (one request carrying several; the client reads ctx.count). */
  batch: positiveInt.max(10_000).default(1),
  /** Pacing tick. Default: about 8 operations a tick, between 10 and 100 ms. */
  tickMs: positiveInt.max(1_000).optional(),
  ...bounds,
};

/** The closed models: clients that each loop their operation, with a pause between two. */
const looping = {
  clients: positiveInt.max(10_000),
  /** Think time between a client's operations ('200ms'). */
  pause: durationMs().default(0),
  ...bounds,
};

export const executorSchemas = {
  'constant-arrival-rate': z.strictObject({ type: z.literal('constant-arrival-rate'), rate, ...arrival }),
  'ramping-arrival-rate': z.strictObject({
    type: z.literal('ramping-arrival-rate'),
    /** Rate at the start of the first stage. */
    startRate: z.number().min(0).max(100_000).default(0),
    /** Each stage moves the rate linearly to `target` over `duration`; the executor ends with the last stage. */
    stages: z
      .array(z.strictObject({ target: z.number().min(0).max(100_000), duration: waitDuration(1) }))
      .min(1)
      .max(100),
    ...arrival,
  }),
  'constant-concurrency': z.strictObject({ type: z.literal('constant-concurrency'), ...looping }),
  'per-client-iterations': z.strictObject({
    type: z.literal('per-client-iterations'),
    /** Operations each client does (over every run()); the executor ends when every client is done. */
    iterations: positiveInt.max(1_000_000_000),
    ...looping,
  }),
} as const;

export const executorSchema = z
  .discriminatedUnion('type', [
    executorSchemas['constant-arrival-rate'],
    executorSchemas['ramping-arrival-rate'],
    executorSchemas['constant-concurrency'],
    executorSchemas['per-client-iterations'],
  ])
  .refine((e) => e.type !== 'ramping-arrival-rate' || e.startRate > 0 || e.stages.some((s) => s.target > 0), {
    message: 'a ramping-arrival-rate needs a stage with a target above 0',
  });

/** An executor as a workload declaration or a scenario writes it (durations as strings, defaults left out). */
export type ExecutorInput = z.input<typeof executorSchema>;
export type ExecutorConfig = z.output<typeof executorSchema>;
export type ExecutorType = ExecutorConfig['type'];
