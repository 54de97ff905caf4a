/**
 * A flavor names its endpoints by port (`{ port: 'rpc', scheme: 'ws', path: '/websocket' }`); the runtime
 * that knows where the port is reachable from the harness turns them into URLs. Resolved after every
 * start, into the same object, so whoever holds a node's endpoints sees the current addresses.
 */
import type { EndpointTemplate, NodeEndpoints } from '../nodes/flavor.ts';

export function resolveEndpoints(templates: Readonly<Record<string, EndpointTemplate>>, address: (port: string) => string, into?: NodeEndpoints): NodeEndpoints {
  const urls: Record<string, string> = {};
  for (const [name, t] of Object.entries(templates)) {
    const hostPort = address(t.port);
    urls[name] = t.scheme === 'tcp' ? hostPort : `${t.scheme}://${hostPort}${t.path ?? ''}`;
  }
  return Object.assign(into ?? ({} as NodeEndpoints), urls);
}
