/**
 * Toxiproxy's HTTP admin API, as one client class wherever the server runs: a process of this harness
 * (server.ts) or a node of a runtime (faults/links.ts). Every failure is a one-line InfraError.
 *
 * Admin API used (toxiproxy v2.5.0, api.go): GET /version, POST /proxies, GET /proxies/{proxy},
 * POST /proxies/{proxy} (enabled), DELETE /proxies/{proxy}, POST /proxies/{proxy}/toxics,
 * DELETE /proxies/{proxy}/toxics/{toxic}, POST /reset.
 */
import { InfraError } from '../../errors.ts';
import { NAME_RE, toxicProblem, type Toxic } from './toxics.ts';

export interface ToxiproxyProxy {
  name: string;
  /** host:port the proxy really listens on (the port chosen when created with port 0). */
  listen: string;
  /** host:port it forwards to. */
  upstream: string;
}

export interface ToxiproxyProxyState extends ToxiproxyProxy {
  enabled: boolean;
  toxics: Toxic[];
}

const REQUEST_TIMEOUT_MS = 10_000; // toxiproxy's own handler timeout is 25 s; its calls take milliseconds

/** toxiproxy's answers and fetch's causes may span lines; errors here are one line. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** host:port on a loopback host: a proxy must not open a node's port to the network. */
function isLoopbackListen(listen: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[3]) > 65535) return false;
  const host = m[1] ?? m[2]!;
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The proxy's name, checked: it goes into the URL path of every call. */
function proxyName(proxy: string | { name: string }): string {
  const name = typeof proxy === 'string' ? proxy : proxy.name;
  if (!NAME_RE.test(name)) throw new InfraError(`toxiproxy: bad proxy name ${JSON.stringify(name)} (letters, digits, _ . -)`);
  return name;
}

/**
 * Toxiproxy's admin API at `adminUrl`, wherever the server runs (a process of startToxiproxy, or a node
 * of a runtime: see faults/links.ts). `listen` addresses are what the server binds: loopback, or
 * `0.0.0.0` where the server has a network namespace of its own (a container; `allowUnspecified`).
 */
export class ToxiproxyAdmin {
  constructor(
    readonly adminUrl: string,
    private readonly allowUnspecified = false,
  ) {}

  protected isRunning(): boolean {
    return true;
  }

  /** One admin call; any failure is a one-line InfraError naming the call and toxiproxy's answer. */
  private async call(method: 'GET' | 'POST' | 'DELETE', urlPath: string, what: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.adminUrl}${urlPath}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new InfraError(oneLine(`toxiproxy: ${what}: ${method} ${urlPath} failed: ${cause}${this.isRunning() ? '' : ' (toxiproxy is not running)'}`));
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        /* not JSON */
      }
      throw new InfraError(oneLine(`toxiproxy: ${what}: ${method} ${urlPath}: HTTP ${res.status} ${message}`));
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  async createProxy(spec: { name: string; listen?: string; upstream: string }): Promise<ToxiproxyProxy> {
    const name = proxyName(spec.name);
    const listen = spec.listen ?? '127.0.0.1:0';
    if (!isLoopbackListen(listen) && !(this.allowUnspecified && /^0\.0\.0\.0:\d{1,5}$/.test(listen))) throw new InfraError(`toxiproxy: proxy ${name}: listen address '${listen}' is not a loopback host:port (e.g. 127.0.0.1:0)`);
    if (!/^[^\s:]+:\d{1,5}$|^\[[^\]]+\]:\d{1,5}$/.test(spec.upstream)) throw new InfraError(`toxiproxy: proxy ${name}: upstream '${spec.upstream}' is not host:port`);
    const p = (await this.call('POST', '/proxies', `create proxy ${name}`, { name, listen, upstream: spec.upstream, enabled: true })) as ToxiproxyProxyState;
    return { name: p.name, listen: p.listen, upstream: p.upstream };
  }

  async getProxy(proxy: string | { name: string }): Promise<ToxiproxyProxyState> {
    const name = proxyName(proxy);
    const p = (await this.call('GET', `/proxies/${name}`, `show proxy ${name}`)) as ToxiproxyProxyState;
    return { name: p.name, listen: p.listen, upstream: p.upstream, enabled: p.enabled, toxics: p.toxics ?? [] };
  }

  async addToxic(proxy: string | { name: string }, toxic: Toxic): Promise<void> {
    const name = proxyName(proxy);
    const problem = toxicProblem(toxic);
    if (problem) throw new InfraError(oneLine(`toxiproxy: add toxic to proxy ${name}: ${problem}`));
    const body = { name: toxic.name, type: toxic.type, stream: toxic.stream, toxicity: toxic.toxicity ?? 1, attributes: toxic.attributes };
    await this.call('POST', `/proxies/${name}/toxics`, `add ${toxic.type} toxic ${toxic.name} to proxy ${name}`, body);
  }

  async removeToxic(proxy: string | { name: string }, toxicName: string): Promise<void> {
    const name = proxyName(proxy);
    if (!NAME_RE.test(toxicName)) throw new InfraError(`toxiproxy: bad toxic name ${JSON.stringify(toxicName)}`);
    await this.call('DELETE', `/proxies/${name}/toxics/${toxicName}`, `remove toxic ${toxicName} from proxy ${name}`);
  }

  async setEnabled(proxy: string | { name: string }, enabled: boolean): Promise<void> {
    const name = proxyName(proxy);
    await this.call('POST', `/proxies/${name}`, `${enabled ? 'enable' : 'disable'} proxy ${name}`, { enabled });
  }

  async resetAll(): Promise<void> {
    await this.call('POST', '/reset', 'reset');
  }

  async deleteProxy(proxy: string): Promise<void> {
    const name = proxyName(proxy);
    await this.call('DELETE', `/proxies/${name}`, `delete proxy ${name}`);
  }

}
