/**
 * New-block notifications over a node's websocket, for samples taken right after a block commits.
 * One subscription per node; the promise ends when the connection does (the sampler reconnects).
 */
import WebSocket from 'ws';

type Subscribe = { request: object; heightOf(message: any): number | undefined };

/** geth: eth_subscribe newHeads; the notification carries the header with a hex number. */
export const ethNewHeads: Subscribe = {
  request: { jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] },
  heightOf: (m) => (m?.method === 'eth_subscription' && m.params?.result?.number ? Number.parseInt(m.params.result.number, 16) : undefined),
};

/** CometBFT/Tendermint: subscribe to NewBlock; events arrive as results with the block header. */
export const cometNewBlock: Subscribe = {
  request: { jsonrpc: '2.0', id: 1, method: 'subscribe', params: { query: "tm.event='NewBlock'" } },
  heightOf: (m) => {
    const height = m?.result?.data?.value?.block?.header?.height;
    return height === undefined ? undefined : Number(height);
  },
};

export function watchBlocks(url: string, subscribe: Subscribe, onBlock: (height: number) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const ws = new WebSocket(url, { handshakeTimeout: 5000 });
    const end = () => {
      signal.removeEventListener('abort', end);
      ws.terminate();
      resolve();
    };
    signal.addEventListener('abort', end, { once: true });
    ws.on('open', () => ws.send(JSON.stringify(subscribe.request)));
    ws.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      const height = subscribe.heightOf(message);
      if (height !== undefined && Number.isFinite(height)) onBlock(height);
    });
    ws.on('error', () => undefined);
    ws.on('close', end);
  });
}
