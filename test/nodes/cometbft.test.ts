/**
 * CometBFT and Tendermint flavors on real binaries built through ensureBinary (cometbft v0.38.26 default,
 * cometbft v1.0.x, tendermint v0.34.24). Cold builds take 30 s to a few minutes each on 2 cores; with the
 * chainsoak cache warm the whole file runs in well under a minute.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../harness/errors.ts';
import { cometbft, cometbftVersions } from '../../harness/nodes/cometbft.ts';
import { flavors } from '../../harness/nodes/registry.ts';
import { getTomlValue, setTomlKeys, tomlKeys, traitsFor } from '../../harness/nodes/tendermint-family.ts';
import { tendermint } from '../../harness/nodes/tendermint.ts';
import { readMemStatsFromPprof } from '../../harness/probes/memstats.ts';
import { chainFiguresFromPrometheus, memStatsFromPrometheus, parsePrometheusText, readChainFigures } from '../../harness/probes/prometheus.ts';
import type { NodeSite } from '../../harness/runtimes/runtime.ts';
import { directDial } from '../../harness/run/network.ts';
import { processSites } from '../support/network.ts';
import { buildTimes, cometBinary, cometGet, cometHeight, startTestComet, startTestCometNetwork, waitForHeight, waitForPeers, type TestCometNetwork } from '../support/comet.ts';
import { listeningAddresses } from '../helpers.ts';

/** The newest v1.0.x the proxy served when this was written. */
const COMETBFT_V1 = 'v1.0.1';


const portOf = (url: string) => Number(new URL(url).port);

describe('cometbft / tendermint flavors: pure parts', () => {
  it('are registered', () => {
    assert.equal(flavors.get('cometbft'), cometbft);
    assert.equal(flavors.get('tendermint'), tendermint);
    assert.equal(cometbft.defaultVersion, 'v0.38.26');
  });

  it('options: defaults, durations, strictness', () => {
    const o = cometbft.optionsSchema.parse({}) as Record<string, unknown>;
    assert.deepEqual(o, { app: 'persistent_kvstore', role: 'validator', blockTime: 300, config: {}, logLevel: 'info', extraArgs: [], peering: 'mesh' });
    assert.equal((cometbft.optionsSchema.parse({ blockTime: '1s' }) as { blockTime: number }).blockTime, 1000);
    assert.throws(() => cometbft.optionsSchema.parse({ blocktime: 1 }));
    assert.throws(() => cometbft.optionsSchema.parse({ app: 'counter' }));
    assert.throws(() => cometbft.optionsSchema.parse({ config: { 'mempool.size': { nested: 1 } } }));
  });

  it('version table: skip_timeout_commit before v1, timeout_commit = 0s in v1.x', () => {
    assert.equal(traitsFor(cometbftVersions, 'v0.37.18').skipTimeoutCommit, 'skip-flag');
    assert.equal(traitsFor(cometbftVersions, 'v0.38.26').skipTimeoutCommit, 'skip-flag');
    assert.equal(traitsFor(cometbftVersions, 'v1.0.1').skipTimeoutCommit, 'zero-timeout');
    assert.deepEqual(traitsFor(cometbftVersions, 'v1.0.1').disabledListeners, ['grpc.laddr', 'grpc.privileged.laddr']);
  });

  it('config.toml editing keeps layout, handles sections and multi-line arrays, rejects unknown keys', () => {
    const doc = ['# top', 'moniker = "x"', '', '[rpc]', 'laddr = "tcp://0.0.0.0:1"', 'cors = [', '  "a",', ']', '[p2p]', 'laddr = "tcp://0.0.0.0:2" # c', '[[p2p.x]]', 'laddr = 3', ''].join('\n');
    const out = setTomlKeys(doc, { moniker: 'v"0', 'rpc.laddr': 'tcp://127.0.0.1:5', 'rpc.cors': ['b'], 'p2p.laddr': 'tcp://127.0.0.1:6' });
    assert.equal(getTomlValue(out, 'moniker'), '"v\\"0"');
    assert.equal(getTomlValue(out, 'rpc.laddr'), '"tcp://127.0.0.1:5"');
    assert.equal(getTomlValue(out, 'rpc.cors'), '["b"]');
    assert.equal(getTomlValue(out, 'p2p.laddr'), '"tcp://127.0.0.1:6"');
    assert.match(out, /^# top$/m);
    assert.match(out, /^laddr = 3$/m, 'an array-of-tables entry is left alone');
    assert.deepEqual(tomlKeys(out), ['moniker', 'rpc.laddr', 'rpc.cors', 'p2p.laddr']);
    assert.throws(() => setTomlKeys(doc, { 'mempool.sise': 1 }), UsageError);
  });

  it('Prometheus text: labels with escapes, special values, MemStats and chain figures', () => {
    const text = [
      '# HELP go_memstats_heap_inuse_bytes x',
      '# TYPE go_memstats_heap_inuse_bytes gauge',
      'go_memstats_heap_inuse_bytes 2.875392e+07',
      'go_memstats_heap_alloc_bytes 2e+07',
      'go_memstats_sys_bytes 5e+07',
      'go_gc_duration_seconds{quantile="0.5"} NaN',
      'go_gc_duration_seconds_count 3',
      'go_memstats_alloc_bytes_total 9e+07',
      'go_memstats_heap_objects 12345',
      'tendermint_consensus_height{chain_id="c\\"1",x="a,b"} 6',
      'tendermint_consensus_latest_block_height{chain_id="c\\"1",x="a,b"} 5',
      'tendermint_mempool_size{chain_id="c"} 2 1700000000000',
      'tendermint_p2p_peers{chain_id="c"} 3',
    ].join('\n');
    const samples = parsePrometheusText(text);
    assert.deepEqual(samples.find((s) => s.name === 'tendermint_consensus_height')!.labels, { chain_id: 'c"1', x: 'a,b' });
    assert.ok(Number.isNaN(samples.find((s) => s.name === 'go_gc_duration_seconds')!.value));
    assert.deepEqual(memStatsFromPrometheus(samples), { HeapInuse: 28753920, HeapAlloc: 2e7, Sys: 5e7, NumGC: 3, TotalAlloc: 9e7, HeapObjects: 12345 });
    assert.deepEqual(chainFiguresFromPrometheus(text), { consensusHeight: 6, latestBlockHeight: 5, mempoolSize: 2, peers: 3, namespace: 'tendermint' });
    assert.throws(() => memStatsFromPrometheus('go_memstats_sys_bytes 1'), /go_memstats_heap_inuse_bytes/);
  });

  it('prepareNetwork: 2 validators + 1 full node share one genesis with 2 validators; every laddr on 127.0.0.1', async () => {
    const binary = await cometBinary('cometbft');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-prep-'));
    try {
      const roles = ['validator', 'full', 'validator'] as const;
      const sites = await processSites(cometbft, binary, dir, ['n0', 'n1', 'n2']);
      const contexts = sites.map((site, i) => ({ site, version: 'custom', dial: directDial, options: cometbft.optionsSchema.parse({ role: roles[i], blockTime: 0 }) }));
      const plans = await cometbft.prepareNetwork!(contexts);
      const geneses = await Promise.all(sites.map((s) => s.files.read('home/config/genesis.json')));
      assert.equal(new Set(geneses).size, 1, 'one genesis');
      const validators = (JSON.parse(geneses[0]!) as { validators: Array<{ address: string }> }).validators;
      assert.equal(validators.length, 2);
      const keyAddress = async (site: NodeSite) => (JSON.parse(await site.files.read('home/config/priv_validator_key.json')) as { address: string }).address;
      assert.deepEqual(validators.map((v) => v.address).sort(), [await keyAddress(sites[0]!), await keyAddress(sites[2]!)].sort());
      for (const [i, site] of sites.entries()) {
        const toml = await site.files.read('home/config/config.toml');
        assert.equal(getTomlValue(toml, 'moniker'), `"n${i}"`);
        for (const port of ['rpc', 'p2p', 'pprof', 'prometheus']) assert.match(site.listen(port), /^127\.0\.0\.1:\d+$/);
        assert.equal(getTomlValue(toml, 'rpc.laddr'), `"tcp://${site.listen('rpc')}"`);
        assert.equal(getTomlValue(toml, 'p2p.laddr'), `"tcp://${site.listen('p2p')}"`);
        assert.equal(getTomlValue(toml, 'rpc.pprof_laddr'), `"${site.listen('pprof')}"`);
        assert.equal(getTomlValue(toml, 'instrumentation.prometheus_listen_addr'), `"${site.listen('prometheus')}"`);
        assert.equal(getTomlValue(toml, 'consensus.skip_timeout_commit'), 'true', 'blockTime 0 on v0.38');
        const peers = JSON.parse(getTomlValue(toml, 'p2p.persistent_peers')!) as string;
        assert.equal(peers.split(',').length, 2);
        for (const p of peers.split(',')) assert.match(p, /^[0-9a-f]{40}@127\.0\.0\.1:\d+$/);
        assert.deepEqual(plans[i]!.args.slice(0, 3), ['start', '--home', site.home]);
      }
      const [lone] = await processSites(cometbft, binary, dir, ['x']);
      await assert.rejects(cometbft.prepareNetwork!([{ ...contexts[1]!, site: lone! }]), UsageError, 'a network needs a validator');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe(`cometbft ${cometbft.defaultVersion}: single node`, function () {
  this.timeout(600_000);
  let net: TestCometNetwork;

  before(async () => {
    net = await startTestComet({ app: 'persistent_kvstore', blockTime: 300, config: { 'mempool.size': 5, 'p2p.send_rate': 5120001 } });
  });
  after(async () => net?.stop());

  it('binds exactly its four ports, all on 127.0.0.1', () => {
    const node = net.nodes[0]!;
    const addresses = listeningAddresses(node.pid()!);
    for (const a of addresses) assert.match(a, /^127\.0\.0\.1:\d+$/);
    const expected = ['rpc', 'pprof', 'prometheus'].map((k) => portOf(node.endpoints[k]!));
    const listening = addresses.map((a) => Number(a.split(':')[1]));
    for (const p of expected) assert.ok(listening.includes(p), `port ${p} listening (${addresses.join(' ')})`);
    assert.equal(addresses.length, 4, `p2p, rpc, pprof, prometheus: ${addresses.join(' ')}`);
  });

  it('makes blocks', async () => {
    const node = net.nodes[0]!;
    const start = await cometHeight(node);
    assert.ok(start >= 1, 'ready means height >= 1 for a lone validator');
    assert.ok((await waitForHeight(node, start + 5, 30_000)) >= start + 5);
  });

  it('applies config overrides to config.toml and the node obeys them (mempool.size = 5 fills up)', async () => {
    const toml = await readFile(path.join(net.homes[0]!, 'config', 'config.toml'), 'utf8');
    assert.equal(getTomlValue(toml, 'mempool.size'), '5');
    assert.equal(getTomlValue(toml, 'p2p.send_rate'), '5120001');
    const node = net.nodes[0]!;
    const tag = Date.now().toString(36);
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => cometGet(node, `/broadcast_tx_sync?tx=${encodeURIComponent(`"k${tag}${i}=v${i}"`)}`)),
    );
    const full = results.filter((r) => r.status === 'rejected' && /mempool is full/i.test(String(r.reason)));
    assert.ok(full.length > 0, `expected 'mempool is full' for some of 40 concurrent txs with mempool.size 5: ${results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join(' | ')}`);
  });
});

describe(`cometbft ${cometbft.defaultVersion}: 4 validators on 127.0.0.1`, function () {
  this.timeout(600_000);
  let net: TestCometNetwork;

  before(async () => {
    net = await startTestCometNetwork(Array.from({ length: 4 }, (_, i) => ({ name: `val${i}`, options: { blockTime: 300 } })));
  });
  after(async () => net?.stop());

  it('every node reaches height 5 and has 3 peers', async () => {
    for (const node of net.nodes) assert.ok((await waitForHeight(node, 5, 60_000)) >= 5);
    for (const node of net.nodes) {
      const info = await waitForPeers(node, 3);
      assert.equal(Number(info.n_peers), 3, `${node.name} peers`);
      for (const p of info.peers) assert.equal(p.remote_ip, '127.0.0.1');
    }
  });

  it('every listener of every node is on 127.0.0.1', () => {
    for (const node of net.nodes) {
      const addresses = listeningAddresses(node.pid()!);
      assert.equal(addresses.length, 4, `${node.name}: ${addresses.join(' ')}`);
      for (const a of addresses) assert.match(a, /^127\.0\.0\.1:\d+$/);
    }
  });

  it('Prometheus on the real endpoint: plausible MemStats, height and peers', async () => {
    const node = net.nodes[0]!;
    const prom = await cometbft.readMemStats!(node.endpoints);
    const pprof = await readMemStatsFromPprof(node.endpoints);
    assert.ok(prom.HeapInuse > 1 << 20 && prom.HeapInuse < 4 * 2 ** 30, `HeapInuse ${prom.HeapInuse}`);
    assert.ok(prom.HeapAlloc > 0 && prom.HeapAlloc <= prom.Sys, `HeapAlloc ${prom.HeapAlloc} Sys ${prom.Sys}`);
    assert.ok(prom.HeapInuse <= prom.Sys);
    assert.ok(prom.TotalAlloc >= prom.HeapAlloc);
    assert.ok(prom.HeapObjects > 1000);
    // pprof read after: counters can only have grown; Sys is the same order of magnitude.
    assert.ok(pprof.NumGC >= prom.NumGC && pprof.TotalAlloc >= prom.TotalAlloc, JSON.stringify({ prom, pprof }));
    assert.ok(pprof.Sys / prom.Sys > 0.5 && pprof.Sys / prom.Sys < 2);
    await waitForPeers(node, 3);
    const chain = await readChainFigures(node.endpoints);
    const status = await cometHeight(node);
    assert.equal(chain.namespace, 'cometbft');
    assert.equal(chain.peers, 3);
    assert.ok(chain.mempoolSize >= 0);
    assert.ok(chain.latestBlockHeight >= 5 && Math.abs(chain.latestBlockHeight - status) <= 3, `metrics ${chain.latestBlockHeight}, /status ${status}`);
    assert.ok(chain.consensusHeight >= chain.latestBlockHeight);
  });
});

for (const { flavor, version } of [
  { flavor: 'tendermint', version: tendermint.defaultVersion },
  { flavor: 'cometbft', version: COMETBFT_V1 },
] as const) {
  describe(`${flavor} ${version}: single node`, function () {
    this.timeout(600_000);
    let net: TestCometNetwork;
    before(async () => {
      net = await startTestComet({ blockTime: 0 }, { flavor, version });
    });
    after(async () => net?.stop());

    it('starts on 127.0.0.1 and makes blocks; Prometheus answers under its namespace', async () => {
      const node = net.nodes[0]!;
      for (const a of listeningAddresses(node.pid()!)) assert.match(a, /^127\.0\.0\.1:\d+$/);
      assert.ok((await waitForHeight(node, 5, 30_000)) >= 5);
      const chain = await readChainFigures(node.endpoints);
      assert.equal(chain.namespace, flavor === 'tendermint' ? 'tendermint' : 'cometbft');
      assert.ok(chain.latestBlockHeight >= 5);
      const mem = await (flavor === 'tendermint' ? tendermint : cometbft).readMemStats!(node.endpoints);
      assert.ok(mem.HeapInuse > 1 << 20);
      const toml = await readFile(path.join(net.homes[0]!, 'config', 'config.toml'), 'utf8');
      // blockTime 0: v1.x says it with timeout_commit = "0s" alone; older versions also set skip_timeout_commit.
      assert.equal(getTomlValue(toml, 'consensus.timeout_commit'), '"0s"');
      assert.equal(getTomlValue(toml, 'consensus.skip_timeout_commit'), version.startsWith('v1.') ? 'false' : 'true');
    });
  });
}

after(() => {
  if (Object.keys(buildTimes).length > 0) console.log(`      binaries (ensureBinary, s): ${JSON.stringify(buildTimes)}`);
});
