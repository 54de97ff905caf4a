/**
 * A tiny JSON-RPC 2.0 client over HTTP with keep-alive and batch support. Built on node:http (cheaper
 * per request than fetch) for load generators: postRaw() sends a prebuilt body so the hot path does no
 * object building or stringifying. Loopback nodes only; every request has a timeout.
 */
import http from 'node:http';

export interface JsonRpcRequest {
  method: string;
  params?: unknown[] | Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcResponse<T = unknown> {
  jsonrpc?: string;
  id: number | string | null;
  result?: T;
  error?: JsonRpcErrorObject;
}

export class JsonRpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(error: JsonRpcErrorObject, method?: string) {
    super(method ? `${method}: ${error.message}` : error.message);
    this.name = 'JsonRpcError';
    this.code = error.code;
    this.data = error.data;
  }
}

export interface JsonRpcHttpOptions {
  /** Per-request timeout (whole round trip). Default 30,000 ms. */
  timeoutMs?: number;
  /** Keep-alive socket pool size. Default 16. */
  maxSockets?: number;
  /** Largest response body accepted. Default 64 MiB. */
  maxResponseBytes?: number;
}

export class JsonRpcHttpClient {
  readonly url: string;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly target: URL;
  private nextId = 1;

  constructor(url: string, opts: JsonRpcHttpOptions = {}) {
    this.url = url;
    this.target = new URL(url);
    if (this.target.protocol !== 'http:') throw new Error(`JsonRpcHttpClient needs an http:// URL, got ${url}`);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxResponseBytes = opts.maxResponseBytes ?? 64 * 1024 * 1024;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 16 });
  }

  /** One call; throws JsonRpcError when the node answers with an error. */
  async call<T = unknown>(method: string, params: unknown[] | Record<string, unknown> = [], signal?: AbortSignal): Promise<T> {
    const id = this.nextId++;
    const text = await this.postRaw(JSON.stringify({ jsonrpc: '2.0', id, method, params }), signal);
    const res = parseJson(text) as JsonRpcResponse<T>;
    if (res === null || typeof res !== 'object' || Array.isArray(res)) {
      throw new Error(`${method}: unexpected response ${text.slice(0, 200)}`);
    }
    if (res.error) throw new JsonRpcError(res.error, method);
    return res.result as T;
  }

  /**
   * One batch request; answers come back in request order (a missing answer becomes an error entry).
   * Throws when the whole batch fails (transport error, or the node rejects the batch as a whole).
   */
  async batch<T = unknown>(requests: JsonRpcRequest[], signal?: AbortSignal): Promise<JsonRpcResponse<T>[]> {
    if (requests.length === 0) return [];
    const base = this.nextId;
    this.nextId += requests.length;
    const body = JSON.stringify(requests.map((r, i) => ({ jsonrpc: '2.0', id: base + i, method: r.method, params: r.params ?? [] })));
    const text = await this.postRaw(body, signal);
    const parsed = parseJson(text);
    if (!Array.isArray(parsed)) {
      const err = (parsed as JsonRpcResponse | null)?.error;
      if (err) throw new JsonRpcError(err, 'batch');
      throw new Error(`batch: unexpected response ${text.slice(0, 200)}`);
    }
    const out: JsonRpcResponse<T>[] = new Array(requests.length);
    for (const item of parsed as JsonRpcResponse<T>[]) {
      const i = typeof item?.id === 'number' ? item.id - base : -1;
      if (i >= 0 && i < out.length) out[i] = item;
    }
    for (let i = 0; i < out.length; i++) {
      out[i] ??= { id: base + i, error: { code: -32603, message: 'no answer for this batch entry' } };
    }
    return out;
  }

  /** Like batch() but throws the first error; results in request order. */
  async batchResults<T = unknown>(requests: JsonRpcRequest[], signal?: AbortSignal): Promise<T[]> {
    const answers = await this.batch<T>(requests, signal);
    return answers.map((a, i) => {
      if (a.error) throw new JsonRpcError(a.error, requests[i].method);
      return a.result as T;
    });
  }

  /** POST a prebuilt JSON body and return the response text. Rejects on transport error, timeout or non-2xx. */
  async postRaw(body: string, signal?: AbortSignal): Promise<string> {
    try {
      return await this.postOnce(body, signal);
    } catch (error) {
      // A keep-alive socket the node closed while it sat idle (CometBFT drops idle RPC connections after
      // 10 s) fails the next request on it before the node read a byte: Node's documented answer is one
      // retry on a fresh socket (http.ClientRequest.reusedSocket).
      if (!(error instanceof StaleSocketError)) throw error;
      return this.postOnce(body, signal);
    }
  }

  private postOnce(body: string, signal?: AbortSignal): Promise<string> {
    return new Promise((resolveOuter, rejectOuter) => {
      let timer: NodeJS.Timeout | undefined;
      const resolve = (v: string) => {
        clearTimeout(timer);
        resolveOuter(v);
      };
      const reject = (e: unknown) => {
        clearTimeout(timer);
        rejectOuter(e);
      };
      if (signal?.aborted) {
        reject(new Error('aborted'));
        return;
      }
      const payload = Buffer.from(body, 'utf8');
      const req = http.request(
        {
          agent: this.agent,
          method: 'POST',
          hostname: this.target.hostname,
          port: this.target.port,
          path: this.target.pathname + this.target.search,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxResponseBytes) {
              req.destroy(new Error(`response larger than ${this.maxResponseBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) reject(new Error(`HTTP ${status} from ${this.url}: ${text.slice(0, 200).trim()}`));
            else resolve(text);
          });
          res.on('error', reject);
        },
      );
      timer = setTimeout(() => req.destroy(new Error(`timeout after ${this.timeoutMs} ms (${this.url})`)), this.timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => {
        const stale = req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE') && !signal?.aborted;
        reject(stale ? new StaleSocketError(error.message) : error);
      });
      req.end(payload);
    });
  }

  /** Close the keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}

/** A request that failed on a kept-alive socket the server had already closed. */
class StaleSocketError extends Error {}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`invalid JSON-RPC response: ${text.slice(0, 200)}`);
  }
}

/** Hex quantity ("0x1a") to bigint. */
export function hexToBigInt(hex: string): bigint {
  return BigInt(hex);
}

/** Hex quantity to number (throws above 2^53). */
export function hexToNumber(hex: string): number {
  const v = BigInt(hex);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`quantity ${hex} too large for a number`);
  return Number(v);
}
