/**
 * What a workload's client is to the executor: something that does one operation. The executor decides
 * when and how often; the client only says how the operation went.
 */
import type { RunningNode } from '../../runtimes/runtime.ts';

export interface OpContext {
  /** Index of this operation over the whole workload (the first one's, with `batch`); segments' indices are disjoint. */
  index: number;
  /**
   * How many operations this call carries: 1, or up to the arrival-rate executor's `batch` (several
   * operations in one request, counted and timed as `count`).
   */
  count: number;
  /** Index of the client doing it (0-based over the whole workload). */
  client: number;
  /** The node this client talks to. */
  node: RunningNode;
  /** Aborted on Ctrl-C, SIGTERM or a node crash: give up the operation. */
  signal: AbortSignal;
}

/**
 * How an operation went. Resolving with nothing or `{ ok: true }` is accepted; `{ ok: false, error }` or a
 * rejection is failed (the error text goes to the error sample). `tag` counts the operation under a
 * name of its own too (a method, a query kind): `extra['<tag>.ok']`, `['<tag>.failed']`, `['<tag>.p50Ms']`.
 */
export type OpOutcome = void | undefined | { ok?: boolean; error?: string; tag?: string };

export interface WorkloadClient {
  op(ctx: OpContext): Promise<OpOutcome>;
  /** Let go of what the client holds (a socket, a subscription); called once, after the last run. */
  close?(): void | Promise<void>;
}
