/**
 * Options more than one command takes, and the environment variables for the common flags (CHAINSOAK_REPORTS=..., for CI jobs that set them once).
 * commander reads them (Option.env); a flag on the command line beats its variable, and a bad value is a
 * one-line usage error naming the variable.
 */
import { Option } from 'commander';
import { nonEmptyArg, segmentArg } from './flags.ts';

/** Names of the variables, by flag: the documentation (docs/cli.md) lists the same. */
export const FLAG_ENV = {
  reports: 'CHAINSOAK_REPORTS',
  runtime: 'CHAINSOAK_RUNTIME',
  node: 'CHAINSOAK_NODE',
  nodes: 'CHAINSOAK_NODES',
  seed: 'CHAINSOAK_SEED',
  duration: 'CHAINSOAK_DURATION',
  junit: 'CHAINSOAK_JUNIT',
  history: 'CHAINSOAK_HISTORY',
  againstHistory: 'CHAINSOAK_AGAINST_HISTORY',
  tag: 'CHAINSOAK_TAG',
  segment: 'CHAINSOAK_SEGMENT',
  loadStats: 'CHAINSOAK_LOAD_STATS',
} as const;

/** An option that also reads its variable from FLAG_ENV. */
export function envOption(key: keyof typeof FLAG_ENV, flags: string, description: string): Option {
  return new Option(flags, description).env(FLAG_ENV[key]);
}

/**
 * An empty variable counts as unset: CI systems expand a missing input to '' (`CHAINSOAK_SEED: ${{ inputs.seed }}`),
 * and '' is never a value anyone meant.
 */
export function dropEmptyEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of Object.values(FLAG_ENV)) if (env[name] === '') delete env[name];
}

/** The flags that change a scenario's network plan, the same on `run` and `validate`. */
export const planOptions = {
  node: () => envOption('node', '--node <spec>', 'replace the scenario nodes of this flavor: geth@v1.16.7 or geth@/path/to/geth').argParser(nonEmptyArg),
  runtime: () => envOption('runtime', '--runtime <kind>', "where the nodes run (default: the scenario's runtime, else process)").choices(['process', 'container', 'external']),
  nodes: () => envOption('nodes', '--nodes <file>', "with --runtime external: a JSON file with each running node's URLs (see docker-compose.nodes.json)").argParser(nonEmptyArg),
};

/** `--segment i/n` (k8s: from the Job's completion index), the same on `run` and `load`. */
export const segmentOption = (what: string) => envOption('segment', '--segment <i/n>', what).argParser(segmentArg);
