// The pure parts of simd's ABCI pairs: the genesis CometBFT reads, the option, and the pairing rules
// (checked before any home is touched). The pair on real processes: test/e2e/abci-link.test.ts.
import assert from 'node:assert/strict';
import type { PrepareContext } from '../../harness/nodes/flavor.ts';
import { cometGenesis } from '../../harness/nodes/simd-abci.ts';
import { simd } from '../../harness/nodes/simd.ts';
import type { NodeSite } from '../../harness/runtimes/runtime.ts';

/** A context whose site only has a name: the pairing rules fail before anything else is asked of it. */
const ctx = (name: string, abci?: unknown): PrepareContext => ({
  site: { name } as NodeSite,
  version: 'v0.50',
  options: simd.optionsSchema.parse(abci === undefined ? {} : { abci }),
  dial: () => 'unused',
});

describe('simd with the app out of process: pure parts', () => {
  it("turns the SDK's AppGenesis into CometBFT's GenesisDoc", () => {
    const appGenesis = {
      app_name: 'simd',
      app_version: '',
      genesis_time: '2026-11-29T10:00:00Z',
      chain_id: 'chainsoak-simd',
      initial_height: 1,
      app_hash: Buffer.from([0xab, 0x01]).toString('base64'),
      app_state: { bank: { balances: [] } },
      consensus: { params: { block: { max_bytes: '22020096', max_gas: '-1' } } },
    };
    const doc = JSON.parse(cometGenesis(JSON.stringify(appGenesis), 'val'));
    assert.deepEqual(doc, {
      genesis_time: '2026-11-29T10:00:00Z',
      chain_id: 'chainsoak-simd',
      initial_height: '1',
      consensus_params: { block: { max_bytes: '22020096', max_gas: '-1' } },
      validators: [],
      app_hash: 'AB01',
      app_state: { bank: { balances: [] } },
    });
    assert.equal(JSON.parse(cometGenesis(JSON.stringify({ ...appGenesis, app_hash: null }), 'val')).app_hash, '');
    // A GenesisDoc already (no `consensus`) is left as it is.
    const already = JSON.stringify({ chain_id: 'c', initial_height: '1', consensus_params: {} });
    assert.equal(cometGenesis(already, 'val'), already);
  });

  it("takes abci: 'app' or { app }, and says so otherwise", () => {
    assert.equal(simd.optionsSchema.parse({ abci: 'app' }).abci, 'app');
    assert.deepEqual(simd.optionsSchema.parse({ abci: { app: 'a' } }).abci, { app: 'a' });
    assert.throws(() => simd.optionsSchema.parse({ abci: 'consensus' }), /expected 'app' \(this node runs the app\) or \{ app: '<app node>' \}/);
    assert.throws(() => simd.optionsSchema.parse({ abci: { app: 'a', extra: 1 } }));
  });

  it('refuses a pair that cannot work, before touching a home', async () => {
    const prepare = (nodes: PrepareContext[]) => simd.prepareNetwork!(nodes);
    await assert.rejects(prepare([ctx('comet', { app: 'app' }), ctx('app', 'app')]), /^UsageError: comet: its app node app must come before it in nodes/);
    await assert.rejects(prepare([ctx('app', 'app'), ctx('comet', { app: 'ap' })]), /comet: abci\.app names 'ap', which is not a simd node with abci: 'app' \(app\)/);
    await assert.rejects(prepare([ctx('val', undefined), ctx('comet', { app: 'val' })]), /names 'val', which is not a simd node with abci: 'app' \(there is none\)/);
    await assert.rejects(prepare([ctx('app', 'app')]), /app: abci: 'app' needs exactly one node with abci: \{ app: 'app' \}, found none/);
    await assert.rejects(prepare([ctx('app', 'app'), ctx('c1', { app: 'app' }), ctx('c2', { app: 'app' })]), /found c1, c2/);
  });
});
