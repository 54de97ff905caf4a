/**
 * The test accounts of a Cosmos SDK chain chainsoak starts: account i's private key is
 * sha256("chainsoak cosmos account <i>"), so the flavor funds them in genesis and every workload (in any
 * process, any segment) signs for them without sharing a keyring or a mnemonic. Plain keys, not an HD
 * wallet: deriving thousands of BIP-32 paths in JavaScript costs seconds; a hash costs microseconds.
 * These keys are public by construction: only for local test chains.
 */
import { Secp256k1, sha256, ripemd160 } from '@cosmjs/crypto';
import { toBech32, toUtf8 } from '@cosmjs/encoding';

export interface CosmosAccount {
  index: number;
  privateKey: Uint8Array;
  /** Compressed secp256k1 public key (33 bytes), as the SDK's PubKey holds it. */
  publicKey: Uint8Array;
  /** Bech32 address with the chain's account prefix (`cosmos` for simd). */
  address: string;
}

export async function cosmosAccount(index: number, prefix = 'cosmos'): Promise<CosmosAccount> {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`account index must be a non-negative integer, got ${index}`);
  const privateKey = sha256(toUtf8(`chainsoak cosmos account ${index}`));
  const { pubkey } = await Secp256k1.makeKeypair(privateKey);
  const publicKey = Secp256k1.compressPubkey(pubkey);
  return { index, privateKey, publicKey, address: toBech32(prefix, ripemd160(sha256(publicKey))) };
}

/** Accounts [from, from + count). */
export async function cosmosAccounts(count: number, from = 0, prefix = 'cosmos'): Promise<CosmosAccount[]> {
  return Promise.all(Array.from({ length: count }, (_, k) => cosmosAccount(from + k, prefix)));
}
