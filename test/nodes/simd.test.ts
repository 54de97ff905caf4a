/**
 * The simd flavor on its real binaries (each SDK line's wrapper, built into the cache through the flavor's
 * buildOf and ensureBinary: minutes cold on 2 cores, seconds warm): one validator per line with its funded
 * accounts, every listener on 127.0.0.1; four validators on one chain; an unknown SDK line refused before
 * any build.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DirectSecp256k1Wallet } from '@cosmjs/proto-signing';
import { calculateFee, GasPrice, SigningStargateClient } from '@cosmjs/stargate';
import { UsageError } from '../../harness/errors.ts';
import { cosmosAccount } from '../../harness/nodes/cosmos-accounts.ts';
import { directDial } from '../../harness/run/network.ts';
import { flavorBuild } from '../../harness/nodes/install.ts';
import { flavors } from '../../harness/nodes/registry.ts';
import { SDK_LINES, simd, simdNodeInfo } from '../../harness/nodes/simd.ts';
import { getTomlValue } from '../../harness/nodes/tendermint-family.ts';
import { fetchBytes } from '../../harness/probes/http.ts';
import { cli, listeningAddresses } from '../helpers.ts';
import { cometHeight as height, waitForHeight } from '../support/comet.ts';
import { processSites, startTestNetwork, type TestNetwork } from '../support/network.ts';

/** `count` validators of one chain on the line's binary (built into the cache on first use, through the flavor's buildOf). */
function startSimd(count: number, options: Record<string, unknown> = {}, line = simd.defaultVersion): Promise<TestNetwork> {
  return startTestNetwork(Array.from({ length: count }, (_, i) => ({ name: `val${i}`, node: `simd@${line}`, options, readyTimeoutMs: 90_000 })));
}

describe('simd flavor: pure parts', () => {
  it('is registered with the SDK lines as versions', () => {
    assert.equal(flavors.get('simd'), simd);
    assert.equal(simd.defaultVersion, 'v0.50');
    assert.equal(simd.parseVersion!('0.50'), 'v0.50');
    assert.equal(simd.parseVersion!('v0.53'), 'v0.53');
    assert.throws(() => simd.parseVersion!('v0.49'), /unknown simd SDK line 'v0.49'; known lines: v0\.50, v0\.53/);
    const build = flavorBuild(simd, 'v0.50');
    assert.match(build.version, /^v0\.50-src-[0-9a-f]{12}$/);
    assert.match(build.recipe.localDir!, /harness\/nodes\/simd\/sdk-v0\.50$/);
  });

  it('options: defaults and strictness', () => {
    assert.deepEqual(simd.optionsSchema.parse({}), { accounts: 200, blockTime: 500, minGasPrice: 0.001, config: {}, appConfig: {}, logLevel: 'info', extraArgs: [] });
    assert.throws(() => simd.optionsSchema.parse({ accounts: 100_001 }));
    assert.throws(() => simd.optionsSchema.parse({ acounts: 5 }));
  });

  it('refuses nodes of one chain that ask for different funded accounts, before anything runs', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chainsoak-simd-'));
    try {
      // The check comes before any command of the binary: /bin/false would fail the first one.
      const sites = await processSites(simd, '/bin/false', dir, ['a', 'b']);
      const contexts = sites.map((site, i) => ({ site, version: 'v0.50', dial: directDial, options: simd.optionsSchema.parse({ accounts: 10 * (i + 1) }) }));
      await assert.rejects(simd.prepareNetwork!(contexts), (e: Error) => e instanceof UsageError && /a has accounts 10, b has 20/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unknown SDK line is one line and exit 2, before any build', async () => {
    const r = await cli(['nodes', 'install', 'simd@v0.49']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /unknown simd SDK line 'v0\.49'; known lines: v0\.50, v0\.53/);
    assert.equal(r.stdout, '');
  });
});

for (const line of Object.keys(SDK_LINES)) describe(`simd ${line}: one validator`, function () {
  this.timeout(600_000);
  let net: TestNetwork;

  before(async () => {
    net = await startSimd(1, { blockTime: 300, appConfig: { 'iavl-cache-size': 100_000 } }, line);
  });
  after(async () => net?.stop());

  it('makes blocks', async () => {
    const node = net.nodes[0]!;
    const start = await height(node);
    assert.ok(start >= 1, 'ready means height >= 1 for a lone validator');
    assert.ok((await waitForHeight(node, start + 3, 30_000)) >= start + 3);
  });

  it('binds every listener on 127.0.0.1 only: p2p, rpc, pprof, prometheus, REST, gRPC', async () => {
    const node = net.nodes[0]!;
    const addresses = listeningAddresses(node.pid()!);
    for (const a of addresses) assert.match(a, /^127\.0\.0\.1:\d+$/, `all listeners: ${addresses.join(' ')}`);
    const listening = new Set(addresses.map((a) => Number(a.split(':')[1])));
    const ports = ['rpc', 'pprof', 'prometheus', 'rest'].map((k) => Number(new URL(node.endpoints[k]!).port));
    ports.push(Number(node.endpoints.grpc!.split(':')[1]), Number(node.endpoints.p2p!.split(':')[1]));
    for (const p of ports) assert.ok(listening.has(p), `port ${p} listening (${addresses.join(' ')})`);
    assert.equal(listening.size, 6, `exactly these six: ${addresses.join(' ')}`);
  });

  it('funds test accounts 0 and 199 in genesis, visible over REST; app.toml has the user key', async () => {
    const node = net.nodes[0]!;
    const info = simdNodeInfo(node)!;
    assert.deepEqual([info.sdkLine, info.chainId, info.denom, info.prefix, info.accounts.count, info.gasPrice], [line, 'chainsoak-simd', 'stake', 'cosmos', 200, '0.001stake']);
    for (const i of [0, 199]) {
      const { address } = await cosmosAccount(i);
      const body = JSON.parse((await fetchBytes(`${node.endpoints.rest}/cosmos/bank/v1beta1/balances/${address}`, 5_000)).toString('utf8')) as { balances: Array<{ denom: string; amount: string }> };
      assert.deepEqual(body.balances, [{ denom: 'stake', amount: info.accounts.balance }], `account ${i}`);
      const account = JSON.parse((await fetchBytes(`${node.endpoints.rest}/cosmos/auth/v1beta1/accounts/${address}`, 5_000)).toString('utf8')) as { account: { account_number: string } };
      assert.equal(account.account.account_number, String(i), 'account number = index');
    }
    const { address: unfunded } = await cosmosAccount(200);
    const none = JSON.parse((await fetchBytes(`${node.endpoints.rest}/cosmos/bank/v1beta1/balances/${unfunded}`, 5_000)).toString('utf8')) as { balances: unknown[] };
    assert.deepEqual(none.balances, [], 'account 200 is not funded');
    const appToml = await readFile(path.join(net.homes[0]!, 'config', 'app.toml'), 'utf8');
    assert.equal(getTomlValue(appToml, 'iavl-cache-size'), '100000');
    assert.equal(getTomlValue(appToml, 'minimum-gas-prices'), '"0.001stake"');
  });

  it('takes a bank send paying gas × its gasPrice and refuses one paying less (minimum-gas-prices)', async () => {
    const node = net.nodes[0]!;
    const info = simdNodeInfo(node)!;
    const [from, to] = [await cosmosAccount(1), await cosmosAccount(2)];
    const wallet = await DirectSecp256k1Wallet.fromKey(from.privateKey, info.prefix);
    const client = await SigningStargateClient.connectWithSigner(node.endpoints.rpc!, wallet);
    try {
      const gas = 200_000;
      const fee = calculateFee(gas, GasPrice.fromString(info.gasPrice));
      const sent = await client.sendTokens(from.address, to.address, [{ denom: info.denom, amount: '1234' }], fee);
      assert.equal(sent.code, 0, sent.rawLog);
      assert.equal((await client.getBalance(to.address, info.denom)).amount, String(BigInt(info.accounts.balance) + 1234n));
      // The fee is taken, not only checked.
      assert.equal((await client.getBalance(from.address, info.denom)).amount, String(BigInt(info.accounts.balance) - 1234n - BigInt(fee.amount[0]!.amount)));
      const tooLow = { amount: [{ denom: info.denom, amount: String(Number(fee.amount[0]!.amount) - 1) }], gas: String(gas) };
      await assert.rejects(client.sendTokens(from.address, to.address, [{ denom: info.denom, amount: '1' }], tooLow), /insufficient fee/);
    } finally {
      client.disconnect();
    }
  });

  it('serves a heap profile on its pprof endpoint', async () => {
    const profile = await fetchBytes(`${net.nodes[0]!.endpoints.pprof}/debug/pprof/heap`, 10_000);
    // gzip-compressed protobuf
    assert.ok(profile.length > 1000 && profile[0] === 0x1f && profile[1] === 0x8b, `heap profile of ${profile.length} bytes`);
  });
});

describe('simd v0.50: four validators', function () {
  this.timeout(600_000);
  let net: TestNetwork;

  before(async () => {
    net = await startSimd(4, { blockTime: 300, accounts: 10 });
  });
  after(async () => net?.stop());

  it('share one genesis with four bonded validators and reach the same height > 3', async () => {
    const geneses = await Promise.all(net.homes.map((home) => readFile(path.join(home, 'config', 'genesis.json'), 'utf8')));
    assert.equal(new Set(geneses).size, 1, 'one genesis');
    const genesis = JSON.parse(geneses[0]!) as { app_state: { genutil: { gen_txs: unknown[] }; auth: { accounts: Array<{ account_number: string }> } } };
    assert.equal(genesis.app_state.genutil.gen_txs.length, 4);
    // 10 test accounts (numbers 0-9), then the 4 validators' accounts (10-13).
    assert.deepEqual(genesis.app_state.auth.accounts.map((a) => Number(a.account_number)).sort((a, b) => a - b), Array.from({ length: 14 }, (_, i) => i));
    const heights = await Promise.all(net.nodes.map((node) => waitForHeight(node, 4, 60_000)));
    assert.ok(heights.every((h) => h > 3), heights.join(' '));
    // The same block at height 4 on every node: one chain, not four.
    const hashes = await Promise.all(net.nodes.map(async (node) => (JSON.parse((await fetchBytes(`${node.endpoints.rpc}/block?height=4`, 5_000)).toString('utf8')) as { result: { block_id: { hash: string } } }).result.block_id.hash));
    assert.equal(new Set(hashes).size, 1, hashes.join(' '));
    const validators = JSON.parse((await fetchBytes(`${net.nodes[0]!.endpoints.rpc}/validators`, 5_000)).toString('utf8')) as { result: { total: string } };
    assert.equal(validators.result.total, '4');
  });
});
