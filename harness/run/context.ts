/**
 * Everything one run carries from step to step: the scenario, where its report goes, the abort signal
 * (Ctrl-C, SIGTERM, a node that crashed), the event timeline and the live view.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimeKind } from '../runtimes/runtime.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { LiveView } from '../report/console.ts';
import type { RunEvent } from '../result/types.ts';
import { makeDir } from '../fs/make-dir.ts';
import type { Segment } from '../workloads/segment.ts';
export type { RunEvent } from '../result/types.ts';

export interface RunOptions {
  /** Replace the node of every scenario node of that flavor: 'geth@v1.16.7', 'geth@/path/to/geth'. */
  node?: string;
  /** Stretch or shrink the phases to this total duration (ms), keeping their proportions. */
  durationMs?: number;
  seed?: number;
  /** Where the nodes run (default: the scenario's `runtime`, else 'process'). */
  runtime?: RuntimeKind;
  /** runtime 'external': a nodes file with each node's URLs. */
  nodesFile?: string;
  /** Keep node data directories after the run (they are deleted by default; logs and profiles stay). */
  keep?: boolean;
  /** Parent folder of run reports; default ./reports */
  reportsDir?: string;
  /** Abort from outside (the CLI wires Ctrl-C and SIGTERM here). */
  signal?: AbortSignal;
  /** Live console view; default: none (library use). */
  view?: LiveView;
  /** Send only this segment of every workload (`--segment i/n`): its share of the rate and count, its own items. */
  segment?: Segment;
  /**
   * A folder of `chainsoak load` segments' stats files: the run folds them into its report (fold-segments.ts)
   * and sends no load itself unless it runs a segment of its own (`segment`).
   */
  loadStats?: string;
  /** How long the run waits for missing segments after its 'after' snapshot (default 60 s). */
  loadStatsWaitMs?: number;
  /** Also judge the run against the last `against` runs of its scenario in this history file. */
  history?: { file: string; against?: number };
}

export class RunContext {
  readonly startedAt = Date.now();
  readonly dir: string;
  readonly events: RunEvent[] = [];
  /**
   * What the run decided in advance, in order (faults with their drawn times and nodes, workload draws):
   * the part of the timeline that depends only on the scenario and its seed, so two runs can be compared.
   */
  readonly timeline: string[] = [];
  readonly controller = new AbortController();
  readonly runtime: RuntimeKind;
  phase = 'setup';
  /** Stops following the caller's signal (close()). */
  private unfollow = () => {};

  constructor(readonly scenario: Scenario, readonly options: RunOptions) {
    const stamp = new Date(this.startedAt).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    this.dir = path.resolve(options.reportsDir ?? 'reports', `${scenario.name}-${stamp}-s${scenario.seed}`);
    makeDir(this.dir);
    this.runtime = options.runtime ?? scenario.runtime;
    if (options.signal) {
      const outer = options.signal;
      const follow = () => this.controller.abort(outer.reason);
      if (outer.aborted) follow();
      else {
        outer.addEventListener('abort', follow, { once: true });
        this.unfollow = () => outer.removeEventListener('abort', follow);
      }
    }
  }

  /**
   * The run is over. The caller's signal outlives many runs (the CLI's Ctrl-C signal over a folder of
   * scenarios, a compare's runs): a listener left on it would keep this run, its events and its report
   * data alive until the process ends, one more per run.
   */
  close(): void {
    this.unfollow();
  }

  /** The run's id: its report folder's name. */
  get id(): string {
    return path.basename(this.dir);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Abort the run with a reason (an Error); the first reason wins. */
  abort(reason: Error): void {
    if (!this.signal.aborted) this.controller.abort(reason);
  }

  throwIfAborted(): void {
    if (this.signal.aborted) throw this.signal.reason instanceof Error ? this.signal.reason : new Error(String(this.signal.reason));
  }

  event(kind: string, detail?: string): void {
    this.events.push({ t: Date.now() - this.startedAt, kind, ...(detail ? { detail } : {}) });
    this.options.view?.log(`${kind}${detail ? ': ' + detail : ''}`);
  }

  plan(kind: string, detail: string): void {
    this.timeline.push(`${kind} ${detail}`);
  }

  enterPhase(name: string, durationMs: number): void {
    this.phase = name;
    this.event('phase', `${name} (${Math.round(durationMs / 1000)} s)`);
    this.options.view?.phase(name, durationMs);
  }

  /** Wait, but wake up at once when the run is aborted. */
  async wait(ms: number): Promise<void> {
    if (ms <= 0) return;
    await sleep(ms, undefined, { signal: this.signal }).catch(() => undefined);
    this.throwIfAborted();
  }

  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }
}
