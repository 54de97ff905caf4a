/** geth network: 'p2p': three real geth nodes of one genesis, devp2p on 127.0.0.1, connected by admin_addPeer. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { GETH_P2P_CHAIN_ID, geth } from '../../harness/nodes/geth.ts';
import { jsonRpc } from '../../harness/probes/http.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { startTestGethNetwork, type TestGethNetwork } from '../support/geth.ts';
import { directDial } from '../../harness/run/network.ts';
import { processSites } from '../support/network.ts';

const execFileP = promisify(execFile);

interface NodeInfo {
  id: string;
  enode: string;
  ip: string;
  ports: { discovery: number; listener: number };
  protocols: { eth?: { network?: number; genesis?: string } };
}

const rpc = <T>(node: RunningNode, method: string, params: unknown[] = []) => jsonRpc<T>(node.endpoints.http!, method, params, 10_000);

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('geth network: p2p (real geth, 3 nodes)', function () {
  this.timeout(600_000);
  let net: TestGethNetwork | undefined;

  before(async function () {
    net = await startTestGethNetwork(3, { verbosity: 2 });
  });

  after(async function () {
    await net?.stop();
  });

  it('shares one genesis, listens for devp2p on 127.0.0.1 with discovery off, and no node has peers at start', async function () {
    const infos = await Promise.all(net!.nodes.map((n) => rpc<NodeInfo>(n, 'admin_nodeInfo')));
    const genesis = new Set(infos.map((i) => i.protocols.eth?.genesis));
    assert.equal(genesis.size, 1, `one genesis: ${[...genesis].join(', ')}`);
    for (const [i, info] of infos.entries()) {
      const node = net!.nodes[i]!;
      assert.match(info.enode, /^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+/, info.enode);
      assert.equal(info.ip, '127.0.0.1');
      assert.equal(`127.0.0.1:${info.ports.listener}`, node.endpoints.p2p);
      assert.equal(info.ports.discovery, 0, 'no discovery port');
      assert.equal(info.protocols.eth?.network, GETH_P2P_CHAIN_ID);
      assert.equal(await rpc<string>(node, 'net_version'), String(GETH_P2P_CHAIN_ID));
      assert.equal(await rpc<string>(node, 'eth_chainId'), `0x${GETH_P2P_CHAIN_ID.toString(16)}`);
      assert.deepEqual(await rpc<unknown[]>(node, 'admin_peers'), [], `${node.name} starts without peers`);
      const config = await readFile(path.join(net!.homes[i]!, 'config.toml'), 'utf8');
      assert.match(config, /ListenAddr = "127\.0\.0\.1:\d+"/);
      assert.match(config, /NoDiscovery = true/);
    }
  });

  it('admin_addPeer connects the nodes: admin_peers and net_peerCount see each other', async function () {
    const [a, b, c] = net!.nodes as [RunningNode, RunningNode, RunningNode];
    const [ia, ib, ic] = await Promise.all([a, b, c].map((n) => rpc<NodeInfo>(n, 'admin_nodeInfo')));
    // a ring: a -> b, b -> c, c -> a: every node ends with two peers (one dialed, one inbound)
    assert.equal(await rpc<boolean>(a, 'admin_addPeer', [ib!.enode]), true);
    assert.equal(await rpc<boolean>(b, 'admin_addPeer', [ic!.enode]), true);
    assert.equal(await rpc<boolean>(c, 'admin_addPeer', [ia!.enode]), true);
    for (const node of [a, b, c]) {
      await waitFor(`${node.name} net_peerCount 2`, async () => (await rpc<string>(node, 'net_peerCount')) === '0x2');
      const peers = await rpc<Array<{ id: string; network: { remoteAddress: string; localAddress: string }; protocols: { eth?: unknown } }>>(node, 'admin_peers');
      assert.equal(peers.length, 2);
      for (const p of peers) {
        assert.match(p.network.remoteAddress, /^127\.0\.0\.1:/);
        assert.match(p.network.localAddress, /^127\.0\.0\.1:/);
        assert.ok(p.protocols.eth, `${node.name}: peer ${p.id.slice(0, 8)} speaks eth (genesis and fork ID matched)`);
      }
    }
    const ids = new Set((await rpc<Array<{ id: string }>>(a, 'admin_peers')).map((p) => p.id));
    assert.deepEqual(ids, new Set([ib!.id, ic!.id]));

    // and admin_removePeer disconnects the dialed one
    assert.equal(await rpc<boolean>(a, 'admin_removePeer', [ib!.enode]), true);
    await waitFor('a and b apart', async () => (await rpc<string>(a, 'net_peerCount')) === '0x1' && (await rpc<string>(b, 'net_peerCount')) === '0x1');
  });

  it('every listener of the nodes is on 127.0.0.1, TCP and UDP (ss)', async function () {
    const pids = new Set(net!.nodes.map((n) => n.pid()).filter((p): p is number => p !== undefined));
    assert.equal(pids.size, 3);
    const { stdout } = await execFileP('ss', ['-Hltunp']);
    const ours = stdout.split('\n').filter((line) => [...pids].some((pid) => line.includes(`pid=${pid},`)));
    // http, ws, authrpc, p2p, pprof per node: five TCP listeners, no UDP (no discovery)
    assert.equal(ours.length, 15, ours.join('\n'));
    for (const line of ours) {
      assert.match(line, /^tcp\s/, `no UDP socket: ${line}`);
      const local = line.trim().split(/\s+/)[4]!;
      assert.match(local, /^127\.0\.0\.1:\d+$/, `loopback only: ${line}`);
    }
  });

  it('dev nodes keep their behaviour through prepareNetwork (no p2p listener, --dev)', async function () {
    // A tag: the stand-in binary is never asked its version (`geth version`), as a developer's build would be.
    const [dev, p2p] = await processSites(geth, '/bin/false', path.join(net!.homes[0]!, '..', 'checks'), ['d', 'p']);
    const plans = await geth.prepareNetwork!([{ site: dev!, version: 'v1.17.10', dial: directDial, options: geth.optionsSchema.parse({}) }]);
    assert.ok(plans[0]!.args.includes('--dev'));
    assert.equal(plans[0]!.endpoints.p2p, undefined);
    assert.throws(() => geth.optionsSchema.parse({ network: 'p2p', bogus: 1 }));
    await assert.rejects(
      geth.prepareNetwork!([{ site: p2p!, version: 'v1.17.10', dial: directDial, options: geth.optionsSchema.parse({ network: 'p2p', devPeriod: 1 }) }]),
      /devPeriod needs network: 'dev'/,
    );
  });
});
