/**
 * The shared executor: runs a workload's clients under its executor for one run() (a phase, or one cycle
 * of it), counting every operation in OpCounters. The open models are the floods' paced loop
 * (paced-loop.ts) with one operation per item; the closed models are clients looping. Both stop at the
 * count bound, the time bound and on abort, then wait for the operations in flight.
 */
import { countShare, ownedCount, type Segment } from '../segment.ts';
import { pacedLoop, type PacedLoopResult } from '../paced-loop.ts';
import { sleep, startCpuMeter } from '../stats.ts';
import type { RunningNode } from '../../runtimes/runtime.ts';
import type { WorkloadClient } from './client.ts';
import type { ExecutorConfig, executorSchemas } from './config.ts';
import type { OpCounters } from './counters.ts';
import type { z } from 'zod';

export interface OwnedClient {
  /** Index over the whole workload (a segment owns every count-th one). */
  index: number;
  node: RunningNode;
  client: WorkloadClient;
  /** Operations this client did, over every run() (per-client-iterations stops at its iterations). */
  done: number;
}

export interface ExecutorRun {
  clients: OwnedClient[];
  counters: OpCounters;
  segment: Segment;
  /** Operations this segment took before this run() (cycles continue the count). */
  from: number;
  durationMs: number;
  signal: AbortSignal;
}

export function runExecutor(config: ExecutorConfig, x: ExecutorRun): Promise<PacedLoopResult> {
  switch (config.type) {
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return arrivalRate(config, x);
    case 'constant-concurrency':
    case 'per-client-iterations':
      return looping(config, x);
  }
}

/**
 * One call of the client on lane `lane` for this segment's operations `locals` (consecutive): their
 * index over the whole workload, so segments' indices never meet.
 */
function callOn(x: ExecutorRun, lane: number, locals: readonly number[]): Promise<void> {
  const c = x.clients[lane]!;
  const index = locals[0]! * x.segment.count + x.segment.index;
  const count = locals.length;
  c.done += count;
  return x.counters.count(c.node.name, count, () => c.client.op({ index, count, client: c.index, node: c.node, signal: x.signal }));
}

type ArrivalConfig = z.output<(typeof executorSchemas)['constant-arrival-rate'] | (typeof executorSchemas)['ramping-arrival-rate']>;
type LoopingConfig = z.output<(typeof executorSchemas)['constant-concurrency'] | (typeof executorSchemas)['per-client-iterations']>;

async function arrivalRate(config: ArrivalConfig, x: ExecutorRun): Promise<PacedLoopResult> {
  const share = 1 / x.segment.count;
  const ramping = config.type === 'ramping-arrival-rate' ? config : undefined;
  const peak = ramping ? Math.max(ramping.startRate, ...ramping.stages.map((s) => s.target)) : (config as { rate: number }).rate;
  const rate = peak * share;
  const stagesMs = ramping ? ramping.stages.reduce((ms, s) => ms + s.duration, 0) : Infinity;
  const n = x.clients.length;
  if (n === 0) return idle(x);
  // Op i goes to client i % n, or the next one whose node is up (a fault may have taken it down).
  const laneOf = (i: number) => {
    for (let k = 0; k < n; k++) if (x.clients[(i + k) % n]!.node.isRunning()) return (i + k) % n;
    return i % n;
  };
  return pacedLoop({
    rate,
    ...(ramping ? { schedule: rampSchedule(ramping.startRate * share, ramping.stages.map((s) => ({ target: s.target * share, duration: s.duration }))) } : {}),
    tickMs: config.tickMs ?? Math.min(100, Math.max(10, Math.round(8000 / rate))),
    from: x.from,
    limit: countShare(x.segment, config.maxOps),
    durationMs: Math.min(x.durationMs, stagesMs),
    batchSize: config.batch,
    lanes: n,
    laneOf,
    maxInFlight: config.maxInFlight,
    inFlight: () => x.counters.inFlight,
    signal: x.signal,
    send: (lane, items) => callOn(x, lane, items),
  });
}

/**
 * Operations allowed by `elapsedMs` when the rate moves linearly from one stage's target to the next:
 * the area under the rate curve. Past the last stage nothing more is allowed.
 */
export function rampSchedule(startRate: number, stages: ReadonlyArray<{ target: number; duration: number }>): (elapsedMs: number) => number {
  return (elapsedMs) => {
    let ops = 0;
    let from = startRate;
    let left = elapsedMs;
    for (const s of stages) {
      const t = Math.min(left, s.duration);
      const rateAtT = from + ((s.target - from) * t) / s.duration;
      ops += ((from + rateAtT) / 2) * (t / 1000);
      left -= t;
      if (left <= 0) break;
      from = s.target;
    }
    return ops;
  };
}

async function looping(config: LoopingConfig, x: ExecutorRun): Promise<PacedLoopResult> {
  const cpu = startCpuMeter();
  const t0 = performance.now();
  const end = t0 + x.durationMs;
  const limit = countShare(x.segment, config.maxOps);
  const iterations = config.type === 'per-client-iterations' ? config.iterations : Infinity;
  const sentPerLane: number[] = new Array(x.clients.length).fill(0);
  let cursor = x.from;
  await Promise.all(
    x.clients.map(async (c, lane) => {
      while (!x.signal.aborted && cursor < limit && c.done < iterations && performance.now() < end) {
        sentPerLane[lane]!++;
        await callOn(x, lane, [cursor++]);
        if (config.pause > 0) await sleep(Math.min(config.pause, end - performance.now()), x.signal);
      }
    }),
  );
  return { cursor, windowMs: performance.now() - t0, skipped: 0, lateTicks: 0, cpuMs: cpu().totalMs, sentPerLane };
}

/** A segment that owns no client (more segments than clients) sends nothing. */
function idle(x: ExecutorRun): Promise<PacedLoopResult> {
  return Promise.resolve({ cursor: x.from, windowMs: 0, skipped: 0, lateTicks: 0, cpuMs: 0, sentPerLane: [] });
}

/** The clients this segment owns among `total`. */
export function ownedClientIndices(segment: Segment, total: number): number[] {
  return Array.from({ length: ownedCount(segment, total) }, (_, k) => segment.index + k * segment.count);
}
