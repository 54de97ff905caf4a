/**
 * The genesis of a simd network, made with the binary's own commands where they are cheap: every home
 * from `simd init`, a validator key per node (`keys add` in the home's test keyring), a gentx per
 * validator, `collect-gentxs` on the first home, and that one genesis copied to every home. The funded
 * test accounts are written straight into genesis.json: `add-genesis-account` rewrites the whole file per
 * account, minutes for 100,000 of them.
 */
import { InfraError } from '../errors.ts';
import type { NodeSite } from '../runtimes/runtime.ts';

/** Deterministic, so a workload in another process (a load segment) knows it without asking. */
export const SIMD_CHAIN_ID = 'chainsoak-simd';
/** The SDK's default bond denom: staking, fees and the test accounts' balances. */
export const SIMD_DENOM = 'stake';
/** simapp's account address prefix (sdk.Bech32MainPrefix). */
export const SIMD_PREFIX = 'cosmos';
/** Each test account's balance: 10^15 stake, more than any run spends in fees and transfers. */
export const ACCOUNT_BALANCE = 10n ** 15n;
/** Each validator's account balance and the part of it the validator bonds (power 100 at the SDK's 10^6 per unit). */
const VALIDATOR_BALANCE = 10n ** 12n;
const SELF_DELEGATION = 10n ** 8n;

const GENESIS = 'home/config/genesis.json';
const KEY_NAME = 'validator';
/** Where the first home gathers every validator's gentx for collect-gentxs. */
const GENTX_DIR = 'gentxs';

interface Coin {
  denom: string;
  amount: string;
}

interface Genesis {
  chain_id: string;
  app_state: {
    auth: { accounts: Array<Record<string, unknown>> };
    bank: { balances: Array<{ address: string; coins: Coin[] }>; supply: Coin[] };
  };
}

/** A funded genesis account: its address and the account number the chain gives it. */
export interface GenesisAccount {
  address: string;
  accountNumber: number;
  balance: bigint;
}

export interface SimdGenesis {
  /** Each node's validator account address (its key `validator` in the home's test keyring), in node order. */
  validators: string[];
}

/**
 * Make one genesis for `sites` (every one a validator) with `accounts` test accounts (cosmos-accounts.ts
 * indices 0..accounts-1, account number = index) and write it into every home. Validators' accounts get
 * the numbers after the test accounts, so a test account's number is its index whatever the network.
 */
export async function prepareSimdGenesis(sites: readonly NodeSite[], accounts: number): Promise<SimdGenesis> {
  const validators = await Promise.all(sites.map((site) => initHome(site)));
  const first = sites[0]!;
  // Validators' accounts first, in a small genesis: gentx and collect-gentxs read it (and collect-gentxs
  // prints the whole result), so the test accounts join only the collected genesis.
  const validatorAccounts = validators.map((address, k): GenesisAccount => ({ address, accountNumber: accounts + k, balance: VALIDATOR_BALANCE }));
  await writeGenesis(sites, fundAccounts(await readGenesis(first), validatorAccounts));

  // Each validator signs its self-delegation with its own key; the first home collects them all.
  await first.files.remove(GENTX_DIR);
  try {
    for (const site of sites) {
      await site.exec(['genesis', 'gentx', KEY_NAME, `${SELF_DELEGATION}${SIMD_DENOM}`, '--chain-id', SIMD_CHAIN_ID, '--keyring-backend', 'test', '--home', site.home]);
      for (const [name, content] of await site.files.exportTree('home/config/gentx')) await first.files.write(`${GENTX_DIR}/${site.name}-${name}`, content);
    }
    await first.exec(['genesis', 'collect-gentxs', '--home', first.home, '--gentx-dir', first.path(GENTX_DIR)]);
  } finally {
    await first.files.remove(GENTX_DIR).catch(() => undefined);
  }
  // Imported here, not at the top: validating a scenario loads the flavors, and must not load cosmjs.
  const { cosmosAccounts } = await import('./cosmos-accounts.ts');
  const testAccounts = (await cosmosAccounts(accounts, 0, SIMD_PREFIX)).map((a): GenesisAccount => ({ address: a.address, accountNumber: a.index, balance: ACCOUNT_BALANCE }));
  await writeGenesis(sites, fundAccounts(await readGenesis(first), testAccounts));
  return { validators };
}

async function readGenesis(site: NodeSite): Promise<Genesis> {
  return JSON.parse(await site.files.read(GENESIS)) as Genesis;
}

async function writeGenesis(sites: readonly NodeSite[], genesis: Genesis): Promise<void> {
  const text = JSON.stringify(genesis, null, 2) + '\n';
  await Promise.all(sites.map((site) => site.files.write(GENESIS, text)));
}

/** `simd init` in an empty home and a validator key in its test keyring; returns the key's address. */
async function initHome(site: NodeSite): Promise<string> {
  if ((await site.files.list('home')).length > 0) throw new InfraError(`${site.name}: home ${site.home} is not empty`);
  await site.exec(['init', site.name, '--chain-id', SIMD_CHAIN_ID, '--default-denom', SIMD_DENOM, '--home', site.home]);
  const { stdout, stderr } = await site.exec(['keys', 'add', KEY_NAME, '--keyring-backend', 'test', '--output', 'json', '--home', site.home]);
  // The SDK prints the new key's JSON on stdout or stderr depending on the version.
  const address = /"address"\s*:\s*"(cosmos1[0-9a-z]+)"/.exec(`${stdout}\n${stderr}`)?.[1];
  if (!address) throw new InfraError(`${site.name}: \`simd keys add\` printed no address`, { detail: `${stdout}\n${stderr}`.trim().slice(0, 2000) });
  return address;
}

/**
 * Add base accounts with balances to a genesis, and set the bank's supply to the sum of all balances
 * (the bank module refuses a genesis whose supply differs from it).
 */
export function fundAccounts(genesis: Genesis, accounts: readonly GenesisAccount[]): Genesis {
  const { auth, bank } = genesis.app_state;
  for (const a of accounts) {
    auth.accounts.push({ '@type': '/cosmos.auth.v1beta1.BaseAccount', address: a.address, pub_key: null, account_number: String(a.accountNumber), sequence: '0' });
    bank.balances.push({ address: a.address, coins: [{ denom: SIMD_DENOM, amount: String(a.balance) }] });
  }
  const supply = new Map<string, bigint>();
  for (const { coins } of bank.balances) for (const c of coins) supply.set(c.denom, (supply.get(c.denom) ?? 0n) + BigInt(c.amount));
  bank.supply = [...supply].sort(([a], [b]) => (a < b ? -1 : 1)).map(([denom, amount]) => ({ denom, amount: String(amount) }));
  return genesis;
}
