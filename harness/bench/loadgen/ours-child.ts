/**
 * chainsoak's own generator as a process of its own, so its CPU is measured like vegeta's and wrk's: the
 * floods' paced loop (paced-loop.ts) and JSON-RPC client (jsonrpc.ts), one body per request, the answer
 * read the way the floods read it (an `"error"` member is a failed request).
 *   node --import tsx ours-child.ts <url> <bodies file> <rate> <durationMs> <connections>
 * Prints one JSON line: { requests, ok, errors, windowMs, errorSample, skipped, lateTicks }.
 */
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { JsonRpcHttpClient } from '../../workloads/jsonrpc.ts';
import { defaultTickMs, pacedLoop } from '../../workloads/paced-loop.ts';
import { answerFailed, type GeneratorResult } from './generator.ts';

const [url, file, rateText, durationText, connectionsText] = process.argv.slice(2);
const rate = Number(rateText);
const durationMs = Number(durationText);
const connections = Number(connectionsText);
const bodies = readFileSync(file!, 'utf8').split('\n').filter(Boolean);
const client = new JsonRpcHttpClient(url!, { timeoutMs: 10_000, maxSockets: connections });
const signal = AbortSignal.timeout(durationMs + 15_000);
// Every request in flight listens to the signal, as in the floods (localAbort).
setMaxListeners(connections + 8, signal);
let ok = 0;
let errors = 0;
let inFlight = 0;
let errorSample: string | undefined;
const failed = (what: string) => {
  errors++;
  errorSample ??= what.slice(0, 160);
};

const loop = await pacedLoop({
  rate,
  tickMs: defaultTickMs(rate, 1), // the floods' tick for one tx a request
  from: 0,
  limit: bodies.length,
  durationMs,
  batchSize: 1,
  lanes: 1,
  laneOf: () => 0,
  maxInFlight: connections,
  inFlight: () => inFlight,
  signal,
  send: (_lane, items) => {
    inFlight++;
    return client.postRaw(bodies[items[0]!]!, signal).then(
      (text) => {
        inFlight--;
        if (answerFailed(text)) failed(text);
        else ok++;
      },
      (error: unknown) => {
        inFlight--;
        failed(error instanceof Error ? error.message : String(error));
      },
    );
  },
});
client.close();
const result: GeneratorResult & { skipped: number; lateTicks: number } = {
  requests: loop.cursor,
  ok,
  errors,
  windowMs: loop.windowMs,
  ...(errorSample ? { errorSample } : {}),
  // Why it fell short, when it did: items the pacer dropped behind schedule, ticks that started late.
  skipped: loop.skipped,
  lateTicks: loop.lateTicks,
};
console.log(JSON.stringify(result));
