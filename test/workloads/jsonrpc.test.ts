// The JSON-RPC client's one retry: a request sent on a kept-alive socket the server has just closed fails
// before the server read it (CometBFT drops idle RPC connections after 10 s; a commit check after a ~10 s
// flood hit it as "socket hang up"). A scripted server resets the second request of every connection.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { JsonRpcHttpClient } from '../../harness/workloads/jsonrpc.ts';

async function resettingServer(): Promise<{ url: string; answered: () => number; connections: () => number; close: () => Promise<void> }> {
  let answered = 0;
  let connections = 0;
  const perSocket = new WeakMap<object, number>();
  const server = http.createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    // The second request on a kept-alive connection: reset, as a server that closed it while idle does.
    if (n === 2) return req.socket.resetAndDestroy();
    req.resume();
    req.on('end', () => {
      answered += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: 'ok' }));
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    answered: () => answered,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('JSON-RPC client over kept-alive sockets', function () {
  it('retries once on a fresh socket when the reused one is reset before an answer', async () => {
    const server = await resettingServer();
    const client = new JsonRpcHttpClient(server.url);
    try {
      assert.equal(await client.call('status'), 'ok');
      assert.equal(await client.call('status'), 'ok', 'the reset reused socket is retried');
      assert.equal(server.answered(), 2);
      assert.equal(server.connections(), 2, 'the retry went over a new connection');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('does not retry a reset on a fresh socket (that is the server failing, not a stale socket)', async () => {
    const server = http.createServer((req) => req.socket.resetAndDestroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let connections = 0;
    server.on('connection', () => (connections += 1));
    const client = new JsonRpcHttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    try {
      await assert.rejects(client.call('status'), /ECONNRESET|socket hang up/);
      assert.equal(connections, 1);
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
