/**
 * Network faults through Toxiproxy (github.com/Shopify/toxiproxy/v2, MIT): a TCP proxy put in front of a
 * node's port, whose links get "toxics" (latency, bandwidth, timeout, reset, ...) or are taken down, over
 * toxiproxy's HTTP admin API. The server is built like a node (build.ts), and either runs in its own
 * process group on 127.0.0.1, killed with the process if nobody stopped it (server.ts), or is reached
 * where a runtime placed it (admin.ts). Toxics are toxics.ts; the scenario's network faults schema.ts.
 */
export type { ToxiproxyProxy, ToxiproxyProxyState } from './admin.ts';
export { ToxiproxyAdmin } from './admin.ts';
export { ensureToxiproxy, TOXIPROXY_CACHE_NAME, TOXIPROXY_VERSION, toxiproxyBuild } from './build.ts';
export type { NetworkFaultAction, NetworkFaultDecl, NetworkFaultInput } from './schema.ts';
export { networkFaultActions, networkFaultSchema, toxicFor } from './schema.ts';
export type { StartToxiproxyOptions, Toxiproxy } from './server.ts';
export { startToxiproxy } from './server.ts';
export type { Toxic, ToxicStream, ToxicType } from './toxics.ts';
export { toxicProblem } from './toxics.ts';
