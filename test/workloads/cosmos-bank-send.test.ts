/** cosmos-bank-send: its signed transactions and sequence parsing without a node, then floods on real simd. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Secp256k1, Secp256k1Signature, sha256 } from '@cosmjs/crypto';
import { fromBase64 } from '@cosmjs/encoding';
import { decodeTxRaw, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing';
import { StargateClient } from '@cosmjs/stargate';
import { MsgSend } from 'cosmjs-types/cosmos/bank/v1beta1/tx';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import { cosmosAccount, cosmosAccounts } from '../../harness/nodes/cosmos-accounts.ts';
import type { RunSummary } from '../../harness/result/types.ts';
import type { RunningNode } from '../../harness/runtimes/runtime.ts';
import { cosmosBankSend, type CosmosBankSendOptions } from '../../harness/workloads/cosmos-bank-send.ts';
import { bankSendRecipient, expectedSequence } from '../../harness/workloads/cosmos-chain.ts';
import { BankSendSigner } from '../../harness/workloads/cosmos-signer.ts';
import { workloadSchemas } from '../../harness/workloads/schemas.ts';
import type { WorkloadContext, WorkloadStats } from '../../harness/workloads/workload.ts';
import { cli } from '../helpers.ts';
import { startTestNetwork, type TestNetwork } from '../support/network.ts';

/** A simd validator with the test accounts the tests send from (0..49), fast blocks. */
const SIMD_OPTIONS = { accounts: 50, blockTime: '500ms' };

const chain = { chainId: 'chainsoak-test', denom: 'stake', prefix: 'cosmos', accounts: 100 };

describe('cosmos-bank-send without a node', function () {
  it('signs a MsgSend for the sequence asked, with the amount, fee and memo given, that the sender key verifies', async () => {
    const account = await cosmosAccount(3);
    const to = bankSendRecipient(7, 1);
    const signer = await BankSendSigner.create(account, 42n, chain, { amount: 5, fee: 300, gas: 123_456, memo: 'mmmm' });
    const signed = fromBase64(await signer.sign(17, to));
    const a = decodeTxRaw(signed);
    const raw = TxRaw.decode(signed);
    const b = decodeTxRaw(fromBase64(await signer.sign(18, to)));

    assert.equal(a.body.memo, 'mmmm');
    assert.equal(a.body.messages.length, 1);
    assert.equal(a.body.messages[0]!.typeUrl, '/cosmos.bank.v1beta1.MsgSend');
    const msg = MsgSend.decode(a.body.messages[0]!.value);
    assert.deepEqual({ from: msg.fromAddress, to: msg.toAddress, amount: msg.amount.map((c) => `${c.amount}${c.denom}`) }, { from: account.address, to, amount: ['5stake'] });
    assert.deepEqual(a.authInfo.fee?.amount.map((c) => `${c.amount}${c.denom}`), ['300stake']);
    assert.equal(a.authInfo.fee?.gasLimit, 123_456n);
    assert.equal(a.authInfo.signerInfos[0]!.sequence, 17n);
    assert.equal(b.authInfo.signerInfos[0]!.sequence, 18n);

    // The signature is the account key's over the sign doc of this chain and account number (what the node checks).
    const signDoc = makeSignDoc(raw.bodyBytes, raw.authInfoBytes, chain.chainId, 42n);
    const signature = Secp256k1Signature.fromFixedLength(a.signatures[0]!);
    assert.ok(await Secp256k1.verifySignature(signature, sha256(makeSignBytes(signDoc)), account.publicKey));
    const otherChain = makeSignDoc(raw.bodyBytes, raw.authInfoBytes, 'another-chain', 42n);
    assert.equal(await Secp256k1.verifySignature(signature, sha256(makeSignBytes(otherChain)), account.publicKey), false);
  });

  it('signs no fee coin for fee 0 (a zero coin is invalid in the SDK)', async () => {
    const signer = await BankSendSigner.create(await cosmosAccount(0), 0n, chain, { amount: 1, fee: 0, gas: 100_000, memo: '' });
    const tx = decodeTxRaw(fromBase64(await signer.sign(0, bankSendRecipient(1, 0))));
    assert.deepEqual(tx.authInfo.fee?.amount, []);
  });

  it('derives recipients from the seed, none of them a test account', async () => {
    const accounts = new Set((await Promise.all([0, 1, 2, 3].map((i) => cosmosAccount(i)))).map((a) => a.address));
    const r = [0, 1, 2, 3].map((i) => bankSendRecipient(9, i));
    assert.equal(new Set(r).size, 4);
    assert.deepEqual(r, [0, 1, 2, 3].map((i) => bankSendRecipient(9, i)), 'same seed, same recipients');
    assert.notEqual(bankSendRecipient(10, 0), r[0]);
    for (const x of r) assert.ok(x.startsWith('cosmos1') && !accounts.has(x));
  });

  it("reads the sequence the node expects from the SDK's mismatch log", () => {
    assert.equal(expectedSequence('account sequence mismatch, expected 12, got 11: incorrect account sequence'), 12);
    assert.equal(expectedSequence('insufficient funds'), undefined);
    assert.equal(expectedSequence(undefined), undefined);
  });

  it('aimed at a run without a simd node, or with an option typo: one line, exit 2, before anything starts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-cosmos-fit-'));
    try {
      const scenario = (workload: Record<string, unknown>) =>
        `export default ${JSON.stringify({ nodes: [{ name: 'val', node: 'cometbft' }], phases: [{ name: 'p', duration: '10s', workloads: [workload] }], budgets: { goroutineGrowth: 10 } })};\n`;
      writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
      writeFileSync(path.join(dir, 'send.ts'), scenario({ kind: 'cosmos-bank-send', rate: 10, maxTxs: 100 }));
      writeFileSync(path.join(dir, 'queries.ts'), scenario({ kind: 'cosmos-queries', rate: 10, maxQueries: 100, weights: { balance: 1 } }));
      const send = await cli(['run', path.join(dir, 'send.ts'), '--reports', path.join(dir, 'reports'), '--quiet']);
      assert.equal(send.code, 2, send.stderr);
      assert.deepEqual(send.stderr.trim().split('\n').length, 1, send.stderr);
      assert.match(send.stderr, /phases\[0\]\.workloads\[0\]\.kind: cosmos-bank-send needs a simd node; this run has cometbft/);
      const queries = await cli(['validate', path.join(dir, 'queries.ts')]);
      assert.equal(queries.code, 2, queries.stderr);
      assert.match(queries.stderr.trim(), /^[^\n]*workloads\[0\]\.weights\.balance: unknown key$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes its options from a strict schema with documented defaults', () => {
    const schema = workloadSchemas['cosmos-bank-send'];
    const parsed = schema.parse({ kind: 'cosmos-bank-send', rate: 50, maxTxs: 100 });
    assert.equal(parsed.mode, 'sync');
    assert.equal(parsed.signing, 'offline');
    assert.equal(parsed.senders, 10);
    assert.equal(schema.safeParse({ kind: 'cosmos-bank-send', rate: 50, maxTxs: 100, sendrs: 3 }).success, false);
    assert.equal(schema.safeParse({ kind: 'cosmos-bank-send', rate: 50, maxTxs: 100, mode: 'block' }).success, false);
  });
});

// ---- On real simd (the simd flavor: SDK v0.50 simapp, test accounts funded in genesis) ----

const STAKE = 'stake';

function context(nodes: RunningNode[], seed: number): WorkloadContext {
  return { nodes, seed, signal: new AbortController().signal, log: () => {} };
}

/** prepare + run + release; the stats and the live figures. */
async function flood(nodes: RunningNode[], seed: number, durationMs: number, options: Partial<CosmosBankSendOptions> & { rate: number; maxTxs: number }) {
  const w = cosmosBankSend(workloadSchemas['cosmos-bank-send'].parse({ kind: 'cosmos-bank-send', ...options }));
  const ctx = { ...context(nodes, seed), plannedDurationMs: durationMs };
  try {
    await w.prepare(ctx);
    await w.run(ctx, durationMs);
  } finally {
    await w.release();
  }
  return { stats: w.stats(), progress: w.progress() };
}

/** Balances (in stake) of addresses, read through cosmjs over the node's CometBFT RPC. */
async function balances(node: RunningNode, addresses: string[]): Promise<bigint[]> {
  const client = await StargateClient.connect(node.endpoints.rpc ?? node.endpoints.http!);
  try {
    return await Promise.all(addresses.map(async (a) => BigInt((await client.getBalance(a, STAKE)).amount)));
  } finally {
    client.disconnect();
  }
}

const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
const addressesOf = async (first: number, count: number) => (await cosmosAccounts(count, first)).map((a) => a.address);
const num = (s: WorkloadStats, key: string) => Number(s.extra?.[key]);

/** The flood's own claims: all sent accepted, all accepted committed, no mismatch, no error. */
function assertClean(s: WorkloadStats): void {
  assert.deepEqual(s.errors, []);
  assert.equal(s.failed, 0);
  assert.equal(s.accepted, s.sent);
  assert.equal(num(s, 'committed'), s.accepted, 'every accepted tx committed with code 0');
  assert.equal(num(s, 'sequenceMismatches'), 0);
  assert.ok(s.latency && s.latency.p50Ms > 0 && s.latency.p50Ms <= s.latency.p95Ms);
}

describe('cosmos-bank-send on one simd validator', function () {
  this.timeout(300_000);
  let net: TestNetwork | undefined;
  const cpu: Record<string, number> = {};

  before(async function () {
    net = await startTestNetwork([{ name: 'simd0', node: 'simd', options: SIMD_OPTIONS, readyTimeoutMs: 120_000 }]);
  });

  after(async function () {
    if (Object.keys(cpu).length) console.log(`      client CPU per 1,000 accepted txs: ${JSON.stringify(cpu)} ms`);
    await net?.stop();
  });

  for (const signing of ['offline', 'online'] as const) {
    it(`sync, ${signing} signing: 50 tx/s for 15 s, all accepted and committed, balances moved by exactly what the stats say`, async function () {
      const first = signing === 'offline' ? 0 : 10;
      const seed = signing === 'offline' ? 301 : 302;
      const senders = await addressesOf(first, 5);
      const recipient = bankSendRecipient(seed, 0);
      const node = net!.nodes[0]!;
      const [before, [toBefore]] = [await balances(node, senders), await balances(node, [recipient])];
      const { stats: s, progress } = await flood(net!.nodes, seed, 15_000, { rate: 50, maxTxs: 2_000, senders: 5, firstAccount: first, signing, recipients: 1, amount: 7, fee: 300 });
      assertClean(s);
      assert.ok(s.sent >= 700 && s.sent <= 760, `sent ${s.sent}`);
      assert.ok(s.achievedRate > 44 && s.achievedRate < 55, `achieved ${s.achievedRate}/s`);
      assert.deepEqual({ sent: progress.sent, accepted: progress.accepted }, { sent: s.sent, accepted: s.accepted });
      const [after, [toAfter]] = [await balances(node, senders), await balances(node, [recipient])];
      const committed = BigInt(num(s, 'committed'));
      assert.equal(toAfter! - toBefore!, committed * 7n, 'the recipient got amount × committed');
      assert.equal(sum(before) - sum(after), committed * (7n + 300n), 'the senders paid (amount + fee) × committed');
      if (signing === 'offline') {
        assert.ok(num(s, 'signUsPerTx') > 0 && num(s, 'presigned') >= s.sent, `presigned ${num(s, 'presigned')}`);
        assert.equal(num(s, 'signedInWindow'), 0);
      }
      cpu[signing] = num(s, 'cpuMsPer1kAccepted');
      assert.ok(cpu[signing]! > 0);
    });
  }

  it('online signing costs the client more CPU per accepted tx than offline', function () {
    if (cpu.offline === undefined || cpu.online === undefined) this.skip();
    assert.ok(cpu.online! > cpu.offline!, JSON.stringify(cpu));
  });

  it('commit mode: each answer is a committed tx', async function () {
    const { stats: s } = await flood(net!.nodes, 303, 6_000, { rate: 10, maxTxs: 500, senders: 10, firstAccount: 20, mode: 'commit' });
    assertClean(s);
    assert.ok(s.sent >= 40, `sent ${s.sent}`);
    assert.equal(s.extra?.mode, 'commit');
  });

  it('two segments (1/2 and 2/2) at once: disjoint senders, half the rate and count each, no sequence conflict', async function () {
    const options = workloadSchemas['cosmos-bank-send'].parse({ kind: 'cosmos-bank-send', rate: 60, maxTxs: 201, senders: 6, firstAccount: 36, commitWaitMs: 15_000 });
    const parts = [0, 1].map((index) => ({ w: cosmosBankSend(options), ctx: { ...context(net!.nodes, 305), segment: { index, count: 2 }, plannedDurationMs: 10_000 } }));
    await Promise.all(parts.map(async ({ w, ctx }) => {
      try {
        await w.prepare(ctx);
        await w.run(ctx, 10_000);
      } finally {
        await w.release();
      }
    }));
    const [a, b] = parts.map(({ w }) => w.stats());
    for (const s of [a!, b!]) {
      assertClean(s);
      assert.equal(num(s, 'senders'), 3);
      assert.equal(num(s, 'targetRate'), 30);
    }
    assert.deepEqual([a!.extra?.segment, b!.extra?.segment], ['1/2', '2/2']);
    assert.equal(a!.sent + b!.sent, 201, 'the count bound split exactly: 101 + 100');
    assert.equal(num(a!, 'committed') + num(b!, 'committed'), 201);
  });

  it('a tx sent for a sender out of band mid-flood: the mismatch is counted and the sender re-synced', async function () {
    const node = net!.nodes[0]!;
    const rpc = node.endpoints.rpc ?? node.endpoints.http!;
    const [account] = await cosmosAccounts(1, 30);
    const client = await StargateClient.connect(rpc);
    const onChain = (await client.getAccount(account!.address))!;
    const startSeq = onChain.sequence + (await client.getAccount((await cosmosAccount(31)).address))!.sequence;
    const signer = await BankSendSigner.create(account!, onChain.accountNumber, { chainId: await client.getChainId(), denom: STAKE, prefix: 'cosmos', accounts: undefined }, { amount: 1, fee: 300, gas: 200_000, memo: 'out of band' });

    // 4 s into the flood, one tx for account 30 at whatever sequence the node's mempool expects now.
    const outOfBand = (async () => {
      await sleep(4_000);
      let seq = onChain.sequence;
      for (let attempt = 0; attempt < 50; attempt++) {
        const res = await client.broadcastTxSync(fromBase64(await signer.sign(seq, bankSendRecipient(1, 0)))).then(
          () => undefined,
          (err: unknown) => String(err),
        );
        if (res === undefined) return seq;
        const expected = expectedSequence(res);
        if (expected === undefined) throw new Error(res);
        seq = expected;
      }
      throw new Error('the out-of-band tx never got in');
    })();
    const { stats: s } = await flood(net!.nodes, 304, 10_000, { rate: 40, maxTxs: 1_000, senders: 2, firstAccount: 30 });
    await outOfBand;
    client.disconnect();

    const mismatches = num(s, 'sequenceMismatches');
    assert.ok(mismatches >= 1, 'the flood ran into the sequence the out-of-band tx took');
    assert.equal(num(s, 'failed.code.32'), mismatches, 'every failure is a counted mismatch');
    assert.equal(s.failed, mismatches);
    assert.equal(s.accepted + s.failed, s.sent);
    assert.equal(num(s, 'committed'), s.accepted, 'after the re-sync, every accepted tx committed');
    assert.ok(s.accepted > 300, `the flood went on after the re-sync: accepted ${s.accepted}`);
    // Both senders' sequences moved by exactly the flood's accepted txs and the one out-of-band tx.
    const after = await StargateClient.connect(rpc);
    const endSeq = (await after.getSequence(account!.address)).sequence + (await after.getSequence((await cosmosAccount(31)).address)).sequence;
    after.disconnect();
    assert.equal(endSeq - startSeq, s.accepted + 1);
  });
});

describe('cosmos-bank-send on four simd validators', function () {
  this.timeout(300_000);
  let net: TestNetwork | undefined;

  before(async function () {
    net = await startTestNetwork([0, 1, 2, 3].map((i) => ({ name: `simd${i}`, node: 'simd', options: SIMD_OPTIONS, readyTimeoutMs: 180_000 })));
  });

  after(async function () {
    await net?.stop();
  });

  it('a flood spread over the 4 validators: every tx accepted and committed, no sequence mismatch', async function () {
    const { stats: s, progress } = await flood(net!.nodes, 401, 8_000, { rate: 40, maxTxs: 1_000, senders: 8, firstAccount: 40 });
    assertClean(s);
    assert.ok(s.sent >= 300, `sent ${s.sent}`);
    assert.deepEqual(Object.keys(progress.perNode ?? {}).sort(), ['simd0', 'simd1', 'simd2', 'simd3']);
    for (const [name, n] of Object.entries(progress.perNode!)) assert.ok(n >= s.sent / 8, `${name} got ${n} of ${s.sent}`);
  });
});

describe('scenarios/simd-bank-send.ts from the CLI', function () {
  this.timeout(180_000);
  let reports = '';

  before(() => (reports = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-simd-bank-send-'))));
  after(() => rmSync(reports, { recursive: true, force: true }));

  it('passes (exit 0) shortened to 20 s, with the node profiles, trend and patterns in the report', async function () {
    const r = await cli(['run', 'scenarios/simd-bank-send.ts', '--duration', '20s', '--reports', reports, '--quiet']);
    const [run] = readdirSync(reports).filter((d) => d.startsWith('simd-bank-send-'));
    assert.ok(run, r.stderr);
    const summary = JSON.parse(readFileSync(path.join(reports, run, 'summary.json'), 'utf8')) as RunSummary;
    const notPassed = summary.budgets.filter((b) => !b.pass).map((b) => b.message);
    assert.equal(r.code, 0, JSON.stringify(notPassed) + r.stderr);
    assert.equal(summary.verdict, 'pass');
    const [node] = summary.nodes;
    assert.equal(node?.flavor, 'simd');
    for (const file of Object.values(node!.profiles ?? {})) assert.ok(existsSync(path.join(reports, run, file as string)), `${file} written`);
    assert.ok(node!.profiles?.heapBefore && node!.profiles.heapAfter && node!.profiles.goroutineAfter);
    assert.ok(node!.trend?.heapAlloc?.verdict, 'the heap trend is judged');
    assert.ok(Array.isArray(node!.patterns), 'leak patterns are classified');
    const [flood] = summary.workloads;
    assert.equal(flood?.kind, 'cosmos-bank-send');
    assert.ok(flood!.accepted > 1_000, `accepted ${flood!.accepted}`);
    assert.equal(flood!.failed, 0);
    assert.equal(flood!.extra?.sequenceMismatches, 0);
    assert.equal(flood!.extra?.committed, flood!.accepted);
  });
});
