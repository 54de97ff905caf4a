/**
 * MsgSend transactions of one test account, signed through @cosmjs/stargate's SigningStargateClient with a
 * DirectSecp256k1Wallet of the account's key. The client is an offline one: the account number, sequence
 * and chain id are given (the workload tracks sequences itself), so signing never asks the node anything,
 * and the same code signs before the window (offline mode) and in it (online mode).
 */
import { DirectSecp256k1Wallet } from '@cosmjs/proto-signing';
import { SigningStargateClient, type StdFee } from '@cosmjs/stargate';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import type { CosmosAccount } from '../nodes/cosmos-accounts.ts';
import type { CosmosChain } from './cosmos-chain.ts';

export interface BankSendTerms {
  /** Amount sent by each tx, in the chain's denom. */
  amount: number;
  /** Fee of each tx, in the chain's denom (0: no fee coin). */
  fee: number;
  gas: number;
  memo: string;
}

export class BankSendSigner {
  private constructor(
    readonly account: CosmosAccount,
    readonly accountNumber: bigint,
    private readonly client: SigningStargateClient,
    private readonly chain: CosmosChain,
    private readonly fee: StdFee,
    private readonly terms: BankSendTerms,
  ) {}

  static async create(account: CosmosAccount, accountNumber: bigint, chain: CosmosChain, terms: BankSendTerms): Promise<BankSendSigner> {
    const wallet = await DirectSecp256k1Wallet.fromKey(account.privateKey, chain.prefix);
    const client = await SigningStargateClient.offline(wallet);
    // A zero coin is not a valid fee in the SDK: no fee is an empty list.
    const fee: StdFee = { amount: terms.fee > 0 ? [{ denom: chain.denom, amount: String(terms.fee) }] : [], gas: String(terms.gas) };
    return new BankSendSigner(account, accountNumber, client, chain, fee, terms);
  }

  /** The signed tx (TxRaw bytes, base64) sending `amount` to `recipient` at `sequence`. */
  async sign(sequence: number, recipient: string): Promise<string> {
    const msg = {
      typeUrl: '/cosmos.bank.v1beta1.MsgSend',
      value: { fromAddress: this.account.address, toAddress: recipient, amount: [{ denom: this.chain.denom, amount: String(this.terms.amount) }] },
    };
    const raw = await this.client.sign(this.account.address, [msg], this.fee, this.terms.memo, {
      accountNumber: this.accountNumber,
      sequence,
      chainId: this.chain.chainId,
    });
    return Buffer.from(TxRaw.encode(raw).finish()).toString('base64');
  }
}
