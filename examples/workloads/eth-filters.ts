// A workload written as a user would, in their own repository: many clients polling geth's filters.
// Each client installs a filter (eth_newFilter for logs, or eth_newBlockFilter) before the measured
// window, then every operation is one eth_getFilterChanges on it. With `renewEvery`, a client uninstalls
// its filter and installs a new one every that many polls: the filter system's create/expire path under
// load, where a node that forgets to drop a filter's state would grow.
import { defineWorkload, z } from 'chainsoak';

const hex = z.string().regex(/^0x[0-9a-fA-F]+$/, 'a 0x-prefixed hex string');

export default defineWorkload({
  kind: 'eth-filters',
  options: z.strictObject({
    /** 'logs': eth_newFilter (with address/topics); 'blocks': eth_newBlockFilter. */
    filter: z.enum(['logs', 'blocks']).default('logs'),
    /** Log filter: only logs of this contract. */
    address: hex.optional(),
    /** Log filter: topic0 values to match. */
    topics: z.array(hex).max(4).optional(),
    /** Uninstall the filter and install a new one every this many polls (0: keep it). */
    renewEvery: z.number().int().min(0).max(1_000_000).default(0),
    /** A request that takes longer fails. */
    requestTimeoutMs: z.number().int().positive().max(600_000).default(10_000),
  }),
  // Many clients, each polling about 10 times a second; a scenario may give another executor.
  executor: { type: 'constant-concurrency', clients: 20, pause: '100ms' },
  flavors: ['geth'],
  nodes: (node) => node.endpoints.http !== undefined,

  create(options) {
    let installed = 0;
    let renewed = 0;
    let changes = 0;

    async function rpc<T>(url: string, method: string, params: unknown[], signal?: AbortSignal): Promise<T> {
      const timeout = AbortSignal.timeout(options.requestTimeoutMs);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      if (!res.ok) throw new Error(`${method}: HTTP ${res.status}`);
      const answer = (await res.json()) as { result?: T; error?: { message: string } };
      if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
      return answer.result as T;
    }

    const install = async (url: string, signal?: AbortSignal) => {
      const criteria = { fromBlock: 'latest', ...(options.address ? { address: options.address } : {}), ...(options.topics ? { topics: [options.topics] } : {}) };
      const id = options.filter === 'blocks' ? await rpc<string>(url, 'eth_newBlockFilter', [], signal) : await rpc<string>(url, 'eth_newFilter', [criteria], signal);
      installed++;
      return id;
    };

    return {
      async client(_index, node) {
        const url = node.endpoints.http!;
        let id = await install(url);
        let polls = 0;
        return {
          async op({ signal }) {
            if (options.renewEvery > 0 && ++polls % options.renewEvery === 0) {
              await rpc<boolean>(url, 'eth_uninstallFilter', [id], signal);
              id = await install(url, signal);
              renewed++;
              return { tag: 'renew' };
            }
            const found = await rpc<unknown[]>(url, 'eth_getFilterChanges', [id], signal);
            changes += found.length;
            return { tag: 'poll' };
          },
          async close() {
            await rpc(url, 'eth_uninstallFilter', [id]).catch(() => undefined);
          },
        };
      },
      extra: () => ({ filtersInstalled: installed, filtersRenewed: renewed, filterChanges: changes }),
    };
  },
});
