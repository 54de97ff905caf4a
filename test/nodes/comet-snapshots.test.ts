/**
 * CometBFT e2e-app snapshots at a chosen interval (`snapshotInterval`): the built-in `--proxy_app e2e`
 * hard-codes 100 blocks, so such a node runs the e2e app's own node program (test/e2e/node, same version).
 * Real cometbft v0.38 on 127.0.0.1; every node is stopped in `after`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../../harness/errors.ts';
import { cometbft } from '../../harness/nodes/cometbft.ts';
import { familyNodeInfo, getTomlValue, logHeights, readAppSnapshots, SNAPSHOT_TAKEN_RE } from '../../harness/nodes/tendermint-family.ts';
import { readGoroutineCount } from '../../harness/probes/memstats.ts';
import { listeningAddresses } from '../helpers.ts';
import { cometHeight, startTestComet, startTestCometNetwork, type TestCometNetwork } from '../support/comet.ts';

describe('cometbft e2e app: snapshot interval', function () {
  this.timeout(120_000);
  let net: TestCometNetwork | undefined;

  afterEach(async () => {
    await net?.stop();
    net = undefined;
  });

  it('options: snapshotInterval needs app e2e, stateSync needs a full e2e node', async () => {
    assert.doesNotThrow(() => cometbft.optionsSchema.parse({ app: 'e2e', snapshotInterval: 5 }));
    assert.throws(() => cometbft.optionsSchema.parse({ app: 'e2e', snapshotInterval: 0 }));
    await assert.rejects(startTestComet({ app: 'persistent_kvstore', snapshotInterval: 5 }), (e: unknown) => e instanceof UsageError && /snapshotInterval needs app 'e2e'/.test(e.message));
    await assert.rejects(startTestCometNetwork([{ options: { app: 'e2e', stateSync: true } }]), (e: unknown) => e instanceof UsageError && /stateSync needs role 'full'/.test(e.message));
  });

  it('a v0.38 validator with snapshotInterval 3 takes snapshots every 3 blocks (log, snapshot dir)', async () => {
    const started = Date.now();
    net = await startTestComet({ app: 'e2e', snapshotInterval: 3, blockTime: 200 });
    const node = net.nodes[0]!;
    const home = net.homes[0]!;
    assert.equal(familyNodeInfo(node)?.snapshotInterval, 3);
    // It runs the e2e node program, configured by its app TOML, still on loopback only.
    const appToml = await readFile(path.join(home, 'config', 'e2e-app.toml'), 'utf8');
    assert.match(appToml, /^snapshot_interval = 3$/m);
    assert.match(appToml, /^protocol = "builtin"$/m);
    const listening = listeningAddresses(node.pid()!);
    assert.ok(listening.length >= 4, `listens on ${listening.join(', ')}`);
    for (const addr of listening) assert.match(addr, /^127\.0\.0\.1:/);
    assert.equal(getTomlValue(await readFile(path.join(home, 'config', 'config.toml'), 'utf8'), 'proxy_app'), '"e2e"');
    // The probes chainsoak needs answer as they do for `cometbft start`: pprof and Prometheus.
    assert.ok((await readGoroutineCount(node.endpoints)) > 10);
    assert.ok((await cometbft.readMemStats!(node.endpoints)).HeapInuse > 0);

    // Bounded: 2 snapshots need 6 blocks; wait up to 30 s.
    const deadline = Date.now() + 30_000;
    let taken: number[] = [];
    let held: number[] = [];
    while (Date.now() < deadline) {
      taken = logHeights(await readFile(node.logPath, 'utf8'), SNAPSHOT_TAKEN_RE);
      held = await readAppSnapshots(node.files!);
      if (taken.length >= 2 && held.length >= 2) break;
      await sleep(250);
    }
    const height = await cometHeight(node);
    console.log(`      snapshots: log ${JSON.stringify(taken)}, metadata.json ${JSON.stringify(held)}, height ${height}, ${Date.now() - started} ms from start`);
    assert.ok(taken.length >= 2, `at least 2 snapshots logged, got ${JSON.stringify(taken)}; log tail:\n${node.logTail()}`);
    for (const h of taken) assert.equal(h % 3, 0, `snapshot at height ${h} is on the interval`);
    assert.deepEqual(taken.slice(0, 2), [3, 6]);
    assert.ok(held.length >= 2 && held.every((h) => taken.includes(h)), `snapshot dir lists ${JSON.stringify(held)}`);
  });
});
