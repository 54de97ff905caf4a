/**
 * Exits a scenario expects. Some cuts end a node by design: CometBFT stops itself when it loses its ABCI
 * connection to an out-of-process app. A fault that makes such a cut says which nodes it ends
 * (`expect: { nodeExits: ['comet'] }`). From the moment that fault fires, an exit of one of those nodes is
 * an event of the run, recorded with its time and code, instead of a crash that aborts it; an exit before
 * the fault, a second exit, or an exit of any other node stays the failure it always was. Whether each
 * expected exit happened is a result row of the verdict ('expected exit'), so a cut that did not bite fails.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { BudgetResult, ExpectedExitReport, LastFigures, Sample } from '../result/types.ts';
import type { ExitInfo } from '../runtimes/runtime.ts';
import { formatBytes } from '../scenario/units.ts';

/** A fault's `expect`: the nodes it ends by design. */
export const expectSchema = z.strictObject({ nodeExits: z.array(z.string().min(1)).min(1) });

export class ExpectedExits {
  private readonly armed = new Map<string, ExpectedExitReport>();
  readonly records: ExpectedExitReport[] = [];

  /** `now`: ms since the run started. */
  constructor(private readonly now: () => number) {}

  /**
   * A fault that ends these nodes fires now (before it is applied: the exit may follow at once). A node
   * still awaited from an earlier fault keeps that record: its one exit answers both.
   */
  arm(fault: { node: string; description: string }, nodes: readonly string[]): void {
    for (const node of nodes.filter((n) => !this.armed.has(n))) {
      const record: ExpectedExitReport = { node, fault: fault.description, faultNode: fault.node, faultAt: this.now(), exited: false };
      this.records.push(record);
      this.armed.set(node, record);
    }
  }

  /** An exit chainsoak did not cause: true (and recorded) when a fault that fired expected it. */
  claim(node: string, info: ExitInfo): boolean {
    const record = this.armed.get(node);
    if (!record) return false;
    this.armed.delete(node);
    Object.assign(record, { exited: true, exitAt: this.now(), code: info.code, signal: info.signal });
    return true;
  }

  /**
   * What each side did and held last: the records, and the figures of every node they name (the one
   * expected to exit, the fault's own). `runningAtEnd`: the nodes that still ran before cleanup stopped them.
   */
  report(runDir: string, runningAtEnd: ReadonlySet<string>, samples: readonly Sample[]): { exits: ExpectedExitReport[]; figures: LastFigures[] } {
    const nodes = [...new Set(this.records.flatMap((r) => [r.node, r.faultNode]))];
    const figures = nodes.map((node) => {
      const exit = this.records.find((r) => r.node === node && r.exited);
      const state: LastFigures['state'] = exit
        ? { running: false, exitAt: exit.exitAt!, code: exit.code ?? null, signal: exit.signal ?? null }
        : runningAtEnd.has(node) ? { running: true } : { running: false };
      return lastFigures(runDir, node, samples, state);
    });
    return { exits: this.records, figures };
  }
}

/** One 'expected exit' result per record: pass when the node exited after its fault. */
export function expectedExitResults(records: readonly ExpectedExitReport[]): BudgetResult[] {
  return records.map((r) => {
    const after = r.exitAt !== undefined ? r.exitAt - r.faultAt : undefined;
    const how = r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
    return {
      name: 'expected exit',
      node: r.node,
      limit: 0,
      observed: after ?? -1,
      unit: 'ms' as const,
      pass: r.exited,
      message: r.exited ? `exited ${(after! / 1000).toFixed(1)} s after ${r.fault} (${how})` : `did not exit after ${r.fault} (by the end of the run)`,
    };
  });
}

/**
 * What a node held last: its last memory sample, and its newest heap profile in the report folder
 * (`profiles/<node>/heap-*.pb.gz`). For a node that exited, that is what it held before it went.
 */
export function lastFigures(runDir: string, node: string, samples: readonly Sample[], state: LastFigures['state']): LastFigures {
  let last: Sample | undefined;
  for (const s of samples) if (s.node === node && (!last || s.t >= last.t)) last = s;
  const dir = path.join(runDir, 'profiles', node);
  let profile: { file: string; mtime: number } | undefined;
  try {
    for (const file of readdirSync(dir).filter((f) => f.startsWith('heap-'))) {
      const mtime = statSync(path.join(dir, file)).mtimeMs;
      if (!profile || mtime > profile.mtime) profile = { file, mtime };
    }
  } catch {
    // no profile taken of this node
  }
  return {
    node,
    state,
    ...(last
      ? { lastSample: { t: last.t, heapInuse: last.heapInuse, heapAlloc: last.heapAlloc, sys: last.sys, goroutines: last.goroutines, rss: last.rss } }
      : {}),
    ...(profile ? { lastProfile: path.relative(runDir, path.join(dir, profile.file)) } : {}),
  };
}

/** The console's lines: each side's state at the end, and what it held last. */
export function describeLastFigures(report: { figures: readonly LastFigures[] }): string[] {
  const size = (n: number) => formatBytes(n).replace(/^\+/, '');
  return report.figures.map((f) => {
    const state = f.state.running
      ? 'running at the end'
      : f.state.exitAt !== undefined
        ? `exited at ${(f.state.exitAt / 1000).toFixed(1)} s (${f.state.signal ? `killed by ${f.state.signal}` : `exit code ${f.state.code}`})`
        : 'down at the end';
    const s = f.lastSample;
    const sample = s
      ? `; last sample at ${(s.t / 1000).toFixed(1)} s: heap ${size(s.heapInuse)} in use, ${s.goroutines} goroutines${s.rss !== null ? `, RSS ${size(s.rss)}` : ''}`
      : '; no sample';
    return `${f.node}: ${state}${sample}${f.lastProfile ? `; last profile ${f.lastProfile}` : ''}`;
  });
}
