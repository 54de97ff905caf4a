/** cosmos-bank-send: its signed transactions and sequence parsing without a node, then floods on real simd. */
import assert from 'node:assert/strict';
import { Secp256k1, Secp256k1Signature, sha256 } from '@cosmjs/crypto';
import { fromBase64 } from '@cosmjs/encoding';
import { decodeTxRaw, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing';
import { MsgSend } from 'cosmjs-types/cosmos/bank/v1beta1/tx';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import { cosmosAccount } from '../../harness/nodes/cosmos-accounts.ts';
import { bankSendRecipient, expectedSequence } from '../../harness/workloads/cosmos-chain.ts';
import { BankSendSigner } from '../../harness/workloads/cosmos-signer.ts';
import { workloadSchemas } from '../../harness/workloads/schemas.ts';

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
