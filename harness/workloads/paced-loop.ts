/**
 * The open-loop generator every flood shares: each tick, hand out what the target rate makes due, group
 * it by lane (node), cut it into batches and send them without waiting, bounded by a count, a duration,
 * the abort signal and a cap on requests in flight. A node slow for more than 2 s makes the loop skip
 * (Pacer's maxBurst), never pile up memory. This is the arrival-rate engine of the shared executor
 * (executor/arrival-rate.ts) and of the floods, which batch many items per request.
 */
import { Pacer, sleep, startCpuMeter } from './stats.ts';

/**
 * The floods' default pacing tick: about 8 transactions a tick, between 20 and 100 ms (each wake-up costs
 * the generator CPU, so low rates use longer ticks). One transaction a request: down to 2 ms, because a
 * 20 ms tick at 4,000/s sends 80 requests at once and the node answers each burst's tail late; with 64
 * in flight that held a flood to 3,400-3,800/s on CometBFT where vegeta and wrk, spreading their
 * requests, reached 6,000/s (bench 8, docs/benchmarks.md).
 */
export function defaultTickMs(rate: number, batchSize: number): number {
  return Math.min(100, Math.max(batchSize === 1 ? 2 : 20, Math.round(8000 / rate)));
}

export interface PacedLoopOptions {
  /** Operations per second (the peak rate, with a schedule): sizes the largest burst. */
  rate: number;
  /** A rate that changes over time (ramping-arrival-rate): operations allowed by elapsed ms; see Pacer. */
  schedule?: (elapsedMs: number) => number;
  tickMs: number;
  /** Items [from, limit) may be sent; the loop stops at limit. */
  from: number;
  limit: number;
  durationMs: number;
  batchSize: number;
  lanes: number;
  /** Which lane item i goes to (geth: a sender's node, so nonces stay in order; comet: round-robin). */
  laneOf(i: number): number;
  maxInFlight: number;
  /** Requests the flood has open now (it counts them in send). */
  inFlight(): number;
  signal: AbortSignal;
  /** Send one batch of item indices on a lane; must not reject (count failures inside). */
  send(lane: number, items: number[]): Promise<void>;
}

export interface PacedLoopResult {
  /** Next item to send: from + what was sent. */
  cursor: number;
  windowMs: number;
  /** Items the pacer dropped because the loop fell behind. */
  skipped: number;
  /** Ticks that started more than a tick late (the generator or the machine was saturated). */
  lateTicks: number;
  cpuMs: number;
  /** Items sent on each lane (node). */
  sentPerLane: number[];
}

export async function pacedLoop(o: PacedLoopOptions): Promise<PacedLoopResult> {
  // Two seconds of backlog are caught up after a stall (a CometBFT commit holds broadcasts for a moment):
  // with half a second, a node that answered everything still lost a quarter of a 4,000/s flood to skips
  // (bench 8, docs/benchmarks.md); vegeta and wrk catch up too.
  const pacer = new Pacer(o.rate, { maxBurst: Math.max(1, Math.ceil(o.rate * 2)), ...(o.schedule ? { schedule: o.schedule } : {}) });
  const cpu = startCpuMeter();
  const inflight = new Set<Promise<void>>();
  const perLane: number[][] = Array.from({ length: o.lanes }, () => []);
  const t0 = performance.now();
  const end = t0 + o.durationMs;
  pacer.start(t0);
  let nextTick = t0;
  let cursor = o.from;
  let lateTicks = 0;
  const sentPerLane: number[] = new Array(o.lanes).fill(0);

  /** Ends the current wait early: set while the loop waits at the in-flight cap. */
  let wake: (() => void) | undefined;

  while (!o.signal.aborted && cursor < o.limit) {
    const now = performance.now();
    if (now >= end) break;
    if (now - nextTick > o.tickMs) lateTicks++;
    const room = o.maxInFlight - o.inFlight();
    const wanted = Math.min(pacer.due(now), o.limit - cursor);
    const due = room <= 0 ? 0 : Math.min(wanted, room * o.batchSize);
    // Items due that the cap held back: wait for a request to end, not for the next tick (a freed slot
    // left idle until the tick would bound the rate at maxInFlight requests per tick).
    const capped = wanted > due;
    if (due > 0) {
      for (let i = cursor; i < cursor + due; i++) perLane[o.lanes === 1 ? 0 : o.laneOf(i)]!.push(i);
      cursor += due;
      pacer.take(due);
      for (let lane = 0; lane < o.lanes; lane++) {
        const list = perLane[lane]!;
        sentPerLane[lane]! += list.length;
        for (let k = 0; k < list.length; k += o.batchSize) {
          const p = o.send(lane, list.length <= o.batchSize ? list : list.slice(k, k + o.batchSize));
          inflight.add(p);
          void p.finally(() => {
            inflight.delete(p);
            wake?.();
          });
        }
        perLane[lane] = [];
      }
    }
    nextTick += o.tickMs;
    const wait = nextTick - performance.now();
    if (wait > 0 && capped) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          o.signal.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, Math.min(wait, end - performance.now()));
        o.signal.addEventListener('abort', done, { once: true });
        wake = done;
      });
      // Woken before the tick: the tick is still ahead.
      if (performance.now() < nextTick) nextTick -= o.tickMs;
    } else if (wait > 0) await sleep(Math.min(wait, end - performance.now()), o.signal);
    else nextTick = performance.now();
  }
  // Drain: every request has its own timeout, so this is bounded.
  await Promise.all([...inflight]);
  return { cursor, windowMs: performance.now() - t0, skipped: pacer.skipped, lateTicks, cpuMs: cpu().totalMs, sentPerLane };
}

/**
 * A workload's paced loops added up over every run() call (a phase in cycles calls run() once per
 * cycle): the next item to send and the schedule figures every flood reports.
 */
export class PacedTotals {
  cursor = 0;
  windowMs = 0;
  skipped = 0;
  lateTicks = 0;
  cpuMs = 0;
  private readonly perLane: number[] = [];

  add(loop: PacedLoopResult): void {
    loop.sentPerLane.forEach((n, lane) => (this.perLane[lane] = (this.perLane[lane] ?? 0) + n));
    this.cursor = loop.cursor;
    this.windowMs += loop.windowMs;
    this.skipped += loop.skipped;
    this.lateTicks += loop.lateTicks;
    this.cpuMs += loop.cpuMs;
  }

  /** Items sent to each node, given the node name of each lane: per-node operations for the trend. */
  sentPerNode(laneNames: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    laneNames.forEach((name, lane) => (out[name] = (out[name] ?? 0) + (this.perLane[lane] ?? 0)));
    return out;
  }

  /** The generator's own figures for `extra`: how well it kept the schedule and what it cost. */
  figures(accepted: number): Record<string, number> {
    return {
      skippedBySchedule: this.skipped,
      lateTicks: this.lateTicks,
      cpuMs: Math.round(this.cpuMs),
      cpuMsPer1kAccepted: accepted ? Math.round((this.cpuMs / accepted) * 1000 * 10) / 10 : 0,
    };
  }
}
