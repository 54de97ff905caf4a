/**
 * The live console view: phase, progress, workload rate, and each node's heap and goroutines.
 * On a terminal it redraws in place (log-update); in CI logs it prints one status line every 10 s.
 */
import { createLogUpdate } from 'log-update';
import type { Sampler } from '../probes/sampler.ts';
import { formatBytes } from '../scenario/units.ts';
import type { Workload } from '../workloads/workload.ts';

export interface LiveView {
  log(message: string): void;
  phase(name: string, durationMs: number): void;
  track(workloads: Workload[]): void;
  watch(sampler: Sampler, nodes: string[]): void;
  stop(): void;
}

export class ConsoleView implements LiveView {
  private readonly tty: boolean;
  private readonly update;
  private timer: NodeJS.Timeout | undefined;
  private phaseName = 'setup';
  private phaseStarted = Date.now();
  private phaseMs = 0;
  private workloads: Workload[] = [];
  private sampler: Sampler | undefined;
  private nodes: string[] = [];
  private lastSent = 0;
  private lastTick = Date.now();
  private rate = 0;

  constructor(private readonly title: string, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY) && !process.env.CI;
    this.update = createLogUpdate(stream, { showCursor: true });
    this.timer = setInterval(() => this.render(), this.tty ? 1000 : 10_000);
    this.timer.unref();
  }

  log(message: string): void {
    if (this.tty) this.update.clear();
    this.stream.write(`  ${message}\n`);
    if (this.tty) this.render();
  }

  phase(name: string, durationMs: number): void {
    this.phaseName = name;
    this.phaseStarted = Date.now();
    this.phaseMs = durationMs;
  }

  track(workloads: Workload[]): void {
    this.workloads = workloads;
    this.lastSent = 0;
  }

  watch(sampler: Sampler, nodes: string[]): void {
    this.sampler = sampler;
    this.nodes = nodes;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.update.clear();
  }

  private render(): void {
    const lines = [this.statusLine(), ...this.nodeLines()];
    if (this.tty) this.update(lines.join('\n'));
    else this.stream.write(lines.map((l) => '  · ' + l.trim()).join('\n') + '\n');
  }

  private statusLine(): string {
    const elapsed = (Date.now() - this.phaseStarted) / 1000;
    const total = this.phaseMs / 1000;
    const width = 20;
    const done = total > 0 ? Math.min(width, Math.round((elapsed / total) * width)) : 0;
    const bar = total > 0 ? ` [${'#'.repeat(done)}${'-'.repeat(width - done)}] ${Math.min(elapsed, total).toFixed(0)}/${total.toFixed(0)} s` : '';
    let sent = 0, accepted = 0, failed = 0;
    for (const w of this.workloads) {
      const p = w.progress();
      sent += p.sent;
      accepted += p.accepted;
      failed += p.failed;
    }
    const now = Date.now();
    if (now - this.lastTick >= 900) {
      this.rate = ((sent - this.lastSent) * 1000) / (now - this.lastTick);
      this.lastSent = sent;
      this.lastTick = now;
    }
    const load = this.workloads.length ? `  sent ${sent} ok ${accepted} failed ${failed} ~${this.rate.toFixed(0)}/s` : '';
    return `${this.title} ${this.phaseName}${bar}${load}`;
  }

  private nodeLines(): string[] {
    return this.nodes.map((name) => {
      const s = this.sampler?.latest(name);
      if (!s) return `  ${name}: no sample yet`;
      const rss = s.rss === null ? '' : `  rss ${formatBytes(s.rss).replace('+', '')}`;
      return `  ${name}: heap in-use ${formatBytes(s.heapInuse).replace('+', '')}  goroutines ${s.goroutines}${rss}  gc ${s.numGC}`;
    });
  }
}
