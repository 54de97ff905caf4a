/**
 * Bench 8: chainsoak's generator beside established ones. On each target node (geth --dev, CometBFT with
 * kvstore), one after another in one run, chainsoak's paced loop (in a child process of its own, like the
 * others), vegeta and wrk send bodies of the same kind (fresh presigned transactions, one a request) at the
 * same rate to the same node:
 *   - cost: each at BENCH_LOADGEN_<GETH|COMET>_RATE for BENCH_LOADGEN_SECONDS: client CPU per 1,000
 *     requests (the process's user+sys CPU, its start-up measured alone and taken off), achieved rate, errors;
 *   - highest rate: each steps through BENCH_LOADGEN_<GETH|COMET>_STEPS (BENCH_LOADGEN_STEP_SECONDS a step)
 *     until it achieves less than 95% of the step's rate or sees an error. The node's saturation rate is
 *     the highest rate any generator achieved.
 * Ratios printed: ours / vegeta CPU per request; ours / the node's saturation rate. Every generator is a
 * child process, ended after its run (or killed 30 s past it); the nodes are stopped at the end, or on
 * Ctrl-C. BENCH_LOADGEN_TARGETS=geth,cometbft chooses targets; BENCH_LOADGEN_CONNECTIONS (default 64)
 * bounds connections for all three; BENCH_LOADGEN_THREADS (default 2) sets wrk's threads and vegeta's
 * GOMAXPROCS (1: one thread each, as chainsoak's JavaScript).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runMeasured, runningGenerators, type GeneratorRun, type LoadGenerator, type MeasuredRun } from './loadgen/generator.ts';
import { ours } from './loadgen/ours.ts';
import { cometTarget, gethTarget, type TargetKind, type TargetNode } from './loadgen/targets.ts';
import { ensureVegeta, vegeta, VEGETA_VERSION } from './loadgen/vegeta.ts';
import { wrk, wrkVersion } from './loadgen/wrk.ts';

type Row = (label: string, value: string) => void;

const env = (name: string, fallback: string) => process.env[`BENCH_LOADGEN_${name}`] ?? fallback;
const numbers = (text: string) => text.split(',').map(Number).filter((n) => n > 0);
const seconds = Number(env('SECONDS', '10'));
const stepSeconds = Number(env('STEP_SECONDS', '3'));
const connections = Number(env('CONNECTIONS', '64'));
/** wrk's threads and vegeta's GOMAXPROCS; chainsoak's generator runs its JavaScript on one thread. */
const threads = Number(env('THREADS', String(Math.min(2, os.cpus().length))));

interface TargetPlan {
  kind: TargetKind;
  rate: number;
  steps: number[];
}

const plans: TargetPlan[] = [
  { kind: gethTarget, rate: Number(env('GETH_RATE', '500')), steps: numbers(env('GETH_STEPS', '1000,2000,3000')) },
  { kind: cometTarget, rate: Number(env('COMET_RATE', '1000')), steps: numbers(env('COMET_STEPS', '2000,5000,10000,15000,20000')) },
];

/** A server on 127.0.0.1 that answers every request with a JSON-RPC result: generators' start-up runs go here. */
async function stubServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"jsonrpc":"2.0","id":1,"result":"0x0"}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

interface Cost {
  run: MeasuredRun;
  startupCpuMs: number;
  cpuMsPer1k: number;
}

interface Highest {
  /** The highest step rate it sustained (achieved >= 95%, no error); 0 when not even the first. */
  sustained: number;
  /** The highest rate it achieved in any step. */
  achieved: number;
  /** Why it stopped stepping up, when it did. */
  stoppedAt?: string;
}

const achievedRate = (r: MeasuredRun) => (r.windowMs > 0 ? (r.ok * 1000) / r.windowMs : 0);

async function withBodies<T>(dir: string, name: string, bodies: string[], use: (file: string) => Promise<T>): Promise<T> {
  const file = path.join(dir, `${name}.jsonl`);
  await writeFile(file, bodies.join('\n') + '\n');
  try {
    return await use(file);
  } finally {
    await rm(file, { force: true });
  }
}

async function cost(gen: LoadGenerator, node: TargetNode, rate: number, dir: string, stubUrl: string): Promise<Cost> {
  const count = Math.round(rate * seconds);
  return withBodies(dir, `${gen.name}-cost`, await node.bodies(count), async (bodiesFile) => {
    const base: GeneratorRun = { url: node.url, bodiesFile, count, rate, durationMs: seconds * 1000, connections, dir };
    // Start-up alone: the same file, one request a second for a second (one or two requests), to a stub
    // (the node sees none of them).
    const startupCpuMs = (await runMeasured(gen, { ...base, url: stubUrl, rate: 1, durationMs: 1000 })).cpuMs;
    const run = await runMeasured(gen, base);
    return { run, startupCpuMs, cpuMsPer1k: run.requests ? ((run.cpuMs - startupCpuMs) / run.requests) * 1000 : NaN };
  });
}

async function highest(gen: LoadGenerator, node: TargetNode, steps: number[], dir: string): Promise<Highest> {
  const out: Highest = { sustained: 0, achieved: 0 };
  for (const rate of steps) {
    const count = Math.round(rate * stepSeconds);
    const run = await withBodies(dir, `${gen.name}-${rate}`, await node.bodies(count), (bodiesFile) =>
      runMeasured(gen, { url: node.url, bodiesFile, count, rate, durationMs: stepSeconds * 1000, connections, dir }),
    );
    const achieved = achievedRate(run);
    out.achieved = Math.max(out.achieved, achieved);
    if (run.errors > 0 || achieved < 0.95 * rate) {
      out.stoppedAt = `${rate}/s: achieved ${achieved.toFixed(0)}/s, ${run.errors} errors${run.errorSample ? ` (${run.errorSample.slice(0, 80)})` : ''}${run.schedule ? `; ${run.schedule}` : ''}`;
      break;
    }
    out.sustained = rate;
  }
  return out;
}

async function compareOn(plan: TargetPlan, generators: LoadGenerator[], row: Row, dir: string, stubUrl: string, stopOnSignal: (stop: () => Promise<void>) => void): Promise<void> {
  const node = await plan.kind.start(() => {});
  stopOnSignal(() => node.stop());
  try {
    row(`8. ${node.label}: ${node.request}`, `${connections} connections`);
    const costs = new Map<string, Cost>();
    for (const gen of generators) {
      const c = await cost(gen, node, plan.rate, dir, stubUrl);
      costs.set(gen.name, c);
      const r = c.run;
      row(
        `   ${gen.name}: CPU per 1,000 requests at ${plan.rate}/s for ${seconds} s`,
        `${(c.cpuMsPer1k / 1000).toFixed(3)} CPU-s (start-up ${c.startupCpuMs.toFixed(0)} ms off); achieved ${achievedRate(r).toFixed(0)}/s, ${r.ok}/${r.requests} ok, ${r.errors} errors${r.schedule ? `; ${r.schedule}` : ''}`,
      );
    }
    const highs = new Map<string, Highest>();
    for (const gen of generators) {
      const h = await highest(gen, node, plan.steps, dir);
      highs.set(gen.name, h);
      row(`   ${gen.name}: highest rate sustained (steps ${plan.steps.join(', ')}/s, ${stepSeconds} s)`, `${h.sustained}/s; best achieved ${h.achieved.toFixed(0)}/s${h.stoppedAt ? `; stopped at ${h.stoppedAt}` : ''}`);
    }
    const saturation = Math.max(...[...highs.values()].map((h) => h.achieved));
    const top = plan.steps.at(-1)!;
    const ceiling = [...highs.values()].every((h) => h.sustained === top);
    row(`   the node's saturation rate (the highest any generator achieved)`, `${saturation.toFixed(0)}/s${ceiling ? ` (every generator sustained ${top}/s: the node saturates above it, add steps)` : ''}`);
    const mine = costs.get(ours.name)!;
    const theirs = costs.get('vegeta');
    if (theirs) row('   ratio: chainsoak / vegeta CPU per request (goal <= 1)', (mine.cpuMsPer1k / theirs.cpuMsPer1k).toFixed(2));
    row("   ratio: chainsoak's best achieved / the node's saturation (goal >= 0.95)", (highs.get(ours.name)!.achieved / saturation).toFixed(2));
  } finally {
    await node.stop();
  }
}

export async function loadgenCompare(row: Row): Promise<void> {
  const only = env('TARGETS', 'geth,cometbft').split(',');
  const generators: LoadGenerator[] = [ours, vegeta(await ensureVegeta(), threads)];
  const wrkLine = wrkVersion();
  if (wrkLine) generators.push(wrk(threads));
  row('8. load generators', `chainsoak, vegeta ${VEGETA_VERSION}, ${wrkLine ?? 'wrk: not installed (sh test/support/ensure-wrk.sh), left out'}; ${threads} thread(s) for vegeta and wrk`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-loadgen-'));
  const stub = await stubServer();
  // Ctrl-C: kill the generator that runs, stop the node, leave with 130.
  let stopNode: (() => Promise<void>) | undefined;
  const onSignal = () => {
    for (const child of runningGenerators) child.kill('SIGKILL');
    void (stopNode?.() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const plan of plans) {
      if (!only.includes(plan.kind.name)) continue;
      await compareOn(plan, generators, row, dir, stub.url, (stop) => (stopNode = stop));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  }
}
