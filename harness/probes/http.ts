/**
 * Small loopback HTTP helpers for probes and readiness checks, with a timeout on every request. Every
 * request asks for an uncompressed answer: fetch() offers gzip by default, and a node that takes it up
 * (Prometheus' promhttp, geth's RPC server) keeps gzip writers in a sync.Pool — megabytes of the probe's
 * own making in the node's heap profiles, which the trend's attribution would have to explain away.
 */
const PLAIN = { 'accept-encoding': 'identity' } as const;

export async function fetchBytes(url: string, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  const response = await fetch(url, { headers: PLAIN, signal: withTimeout(timeoutMs, signal) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Does an HTTP server answer at `url`: with a 2xx status, or (`anyStatus`) with any (a listener is up)? */
export async function answersHttp(url: string, timeoutMs: number, signal?: AbortSignal, anyStatus = false): Promise<boolean> {
  try {
    const response = await fetch(url, { headers: PLAIN, signal: withTimeout(timeoutMs, signal) });
    await response.arrayBuffer();
    return anyStatus || response.ok;
  } catch {
    return false;
  }
}

/** One JSON-RPC 2.0 call over HTTP; throws on transport errors and JSON-RPC errors alike. */
export async function jsonRpc<T>(url: string, method: string, params: unknown[] = [], timeoutMs = 5000, signal?: AbortSignal): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...PLAIN, 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: withTimeout(timeoutMs, signal),
  });
  if (!response.ok) throw new Error(`${method} at ${url}: HTTP ${response.status}`);
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method} at ${url}: ${body.error.message}`);
  return body.result as T;
}

/** Several JSON-RPC calls in one HTTP request (a batch); results in call order. */
export async function jsonRpcBatch(url: string, calls: Array<{ method: string; params?: unknown[] }>, timeoutMs = 5000, signal?: AbortSignal): Promise<unknown[]> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...PLAIN, 'content-type': 'application/json' },
    body: JSON.stringify(calls.map((c, id) => ({ jsonrpc: '2.0', id, method: c.method, params: c.params ?? [] }))),
    signal: withTimeout(timeoutMs, signal),
  });
  if (!response.ok) throw new Error(`batch at ${url}: HTTP ${response.status}`);
  const answers = (await response.json()) as Array<{ id: number; result?: unknown; error?: { message: string } }>;
  return calls.map((c, id) => {
    const answer = answers.find((a) => a.id === id);
    if (!answer || answer.error) throw new Error(`${c.method} at ${url}: ${answer?.error?.message ?? 'no answer'}`);
    return answer.result;
  });
}

/**
 * Read only the first line of a response and drop the rest: `goroutine?debug=1` starts with
 * "goroutine profile: total N", so sampling the count does not download every stack.
 */
export async function fetchFirstLine(url: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: PLAIN, signal: AbortSignal.any([controller.signal, withTimeout(timeoutMs, signal)]) });
  if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const reader = response.body.getReader();
  let text = '';
  try {
    while (!text.includes('\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
  } finally {
    controller.abort();
    reader.releaseLock();
  }
  return text.split('\n', 1)[0] ?? '';
}

function withTimeout(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([timeout, signal]) : timeout;
}
