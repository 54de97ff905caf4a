// Bad input, as new users give it: one row per mistake → the exit code, and the words the one stderr line
// must contain. Every row: exactly one line on stderr, no stack trace, the right code, fast, and nothing
// started (no node process of the row's folders, no run folder in its reports). Rows run 4 at a time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, type CliResult } from '../helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-corpus-'));
// Scenario files in the folder are ES modules, as in a project with "type": "module".
writeFileSync(path.join(tmp, 'package.json'), '{ "type": "module" }\n');

type Scenario = Record<string, unknown> & { nodes: Array<Record<string, unknown>>; phases: Array<Record<string, unknown> & { workloads: Array<Record<string, unknown>> }> };

const base = (): Scenario => ({
  nodes: [{ name: 'geth', node: 'geth' }],
  phases: [{ name: 'flood', duration: '10s', workloads: [{ kind: 'geth-tx-flood', rate: 10, maxTxs: 100 }] }],
  budgets: { goroutineGrowth: 10 },
});
const comet = (): Scenario => ({
  nodes: [{ name: 'val', node: 'cometbft' }],
  phases: [{ name: 'flood', duration: '10s', workloads: [{ kind: 'comet-tx-flood', rate: 10, maxTxs: 100 }] }],
  budgets: { goroutineGrowth: 10 },
});

/** The geth scenario with one change, as a scenario file's text. */
function patched(change: (s: Scenario) => void, from = base): string {
  const scenario = from();
  change(scenario);
  return `export default ${JSON.stringify(scenario, null, 2)};\n`;
}
const node0 = (s: Scenario) => s.nodes[0]!;
const phase0 = (s: Scenario) => s.phases[0]!;
const workload0 = (s: Scenario) => s.phases[0]!.workloads[0]!;

// Files some rows point at.
const validFile = path.join(tmp, 'valid.ts');
writeFileSync(validFile, patched(() => {}));
// Budgets per operation need the operations cycle by cycle, which load segments do not report.
const perOpFile = path.join(tmp, 'per-op.ts');
writeFileSync(perOpFile, patched((s) => ((s.budgets = { heapGrowthPer1kOps: '64KB' }), (phase0(s).cycles = 4))));
const aFile = path.join(tmp, 'a-file');
writeFileSync(aFile, 'not a folder\n');
const notJson = path.join(tmp, 'nodes.txt');
writeFileSync(notJson, 'geth at 127.0.0.1:8545\n');
const junitAsHistory = path.join(tmp, 'junit.xml');
writeFileSync(junitAsHistory, '<?xml version="1.0"?>\n<testsuites/>\n');
const noPprof = path.join(tmp, 'nodes-no-pprof.json');
writeFileSync(noPprof, JSON.stringify({ nodes: [{ name: 'geth', flavor: 'geth', endpoints: { http: 'http://127.0.0.1:1' } }] }));
const emptyFolder = path.join(tmp, 'no-scenarios');
mkdirSync(emptyFolder);
writeFileSync(path.join(emptyFolder, 'README.md'), 'no scenarios here\n');
const hangFolder = path.join(tmp, 'hang-and-valid');
mkdirSync(hangFolder);
writeFileSync(path.join(hangFolder, 'a-hangs.ts'), 'await new Promise(() => {});\nexport default {};\n');
writeFileSync(path.join(hangFolder, 'b-valid.ts'), patched(() => {}));
writeFileSync(path.join(hangFolder, 'package.json'), '{ "type": "module" }\n');

interface Row {
  what: string;
  /** CLI arguments; `{scenario}` is the row's scenario file. Default: run {scenario}. */
  args?: string[];
  /** The scenario file's text. */
  scenario?: string;
  env?: Record<string, string>;
  code: 2 | 3;
  says: string[];
}

const rows: Row[] = [
  // The command line.
  { what: 'unknown command', args: ['runn'], code: 2, says: ["unknown command 'runn'", 'run'] },
  { what: 'unknown flag', args: ['run', validFile, '--durration', '5m'], code: 2, says: ['--durration'] },
  { what: 'run without a scenario', args: ['run'], code: 2, says: ['paths'] },
  { what: 'unknown runtime', args: ['run', validFile, '--runtime', 'kubernetes'], code: 2, says: ['--runtime', 'kubernetes'] },
  { what: '--duration 0', args: ['run', validFile, '--duration', '0'], code: 2, says: ['--duration', 'above 0'] },
  { what: '--duration in parsecs', args: ['run', validFile, '--duration', '5 parsecs'], code: 2, says: ['--duration', 'duration'] },
  { what: '--duration beyond a timer', args: ['run', validFile, '--duration', '1000000h'], code: 2, says: ['--duration', '24d'] },
  { what: '--duration negative', args: ['run', validFile, '--duration=-5m'], code: 2, says: ['--duration'] },
  { what: '--seed beyond 2^32-1', args: ['run', validFile, '--seed', '99999999999999999999999'], code: 2, says: ['--seed', '4294967295'] },
  { what: '--seed 2^32+1 (would replay as seed 1)', args: ['run', validFile, '--seed', '4294967297'], code: 2, says: ['--seed', '4294967295'] },
  { what: '--seed negative', args: ['run', validFile, '--seed=-1'], code: 2, says: ['--seed'] },
  { what: '--seed a fraction', args: ['run', validFile, '--seed', '1.5'], code: 2, says: ['--seed', 'whole number'] },
  { what: "empty --node ''", args: ['run', validFile, '--node', ''], code: 2, says: ['--node', 'empty'] },
  { what: '--node of an unknown flavor', args: ['run', validFile, '--node', 'parity@v2.0.0'], code: 2, says: ['parity', 'known flavors'] },
  { what: '--node with a malformed version', args: ['run', validFile, '--node', 'geth@banana'], code: 2, says: ['banana'] },
  { what: '--node with a binary that does not exist', args: ['run', validFile, '--node', 'geth@/nonexistent/geth'], code: 2, says: ['/nonexistent/geth'] },
  { what: '--node of a flavor the scenario lacks', args: ['run', validFile, '--node', 'cometbft@v0.38.26'], code: 2, says: ['--node', 'no cometbft node'] },
  { what: "empty --junit ''", args: ['run', validFile, '--junit', ''], code: 2, says: ['--junit', 'empty'] },
  { what: '--junit is a folder', args: ['run', validFile, '--junit', tmp], code: 2, says: ['--junit', 'is a folder'] },
  { what: '--junit under a file', args: ['run', validFile, '--junit', path.join(aFile, 'junit.xml')], code: 2, says: ['--junit', 'ENOTDIR'] },
  { what: '--reports under /proc (spun forever before)', args: ['run', validFile, '--reports', '/proc/chainsoak-x'], code: 2, says: ['--reports', '/proc/chainsoak-x'] },
  { what: '--reports under a file', args: ['run', validFile, '--reports', path.join(aFile, 'reports')], code: 2, says: ['--reports', 'ENOTDIR'] },
  { what: "empty --reports ''", args: ['run', validFile, '--reports', ''], code: 2, says: ['--reports', 'empty'] },
  { what: '--history is a folder', args: ['run', validFile, '--history', tmp], code: 2, says: ['--history', 'EISDIR'] },
  { what: '--history is not a history file', args: ['run', validFile, '--history', junitAsHistory], code: 2, says: ['--history', 'not a chainsoak history file'] },
  { what: '--against-history 0', args: ['run', validFile, '--against-history', '0'], code: 2, says: ['--against-history', 'at least 1'] },
  { what: '--nodes without --runtime external', args: ['run', validFile, '--nodes', notJson], code: 2, says: ['--nodes', '--runtime external'] },
  { what: '--runtime external without URLs', args: ['run', validFile, '--runtime', 'external'], code: 2, says: ['nodes[0].endpoints', '--nodes'] },
  { what: 'a --nodes file that is not JSON', args: ['run', validFile, '--runtime', 'external', '--nodes', notJson], code: 2, says: ['nodes.txt'] },
  { what: 'a --nodes file that does not exist', args: ['run', validFile, '--runtime', 'external', '--nodes', path.join(tmp, 'none.json')], code: 2, says: ['none.json', 'no such file'] },
  { what: 'a scenario file that does not exist', args: ['run', path.join(tmp, 'nope.ts')], code: 2, says: ['nope.ts'] },
  { what: 'a folder with no scenarios', args: ['run', emptyFolder], code: 2, says: ['no-scenarios', 'no scenario files'] },
  { what: 'CHAINSOAK_LOAD_TIMEOUT not a duration', args: ['run', validFile], env: { CHAINSOAK_LOAD_TIMEOUT: 'soon' }, code: 2, says: ['CHAINSOAK_LOAD_TIMEOUT=soon'] },
  { what: 'compare without --base', args: ['compare', validFile, '--candidate', 'geth'], code: 2, says: ['--base'] },
  { what: 'compare with an unknown flavor', args: ['compare', validFile, '--base', 'parity', '--candidate', 'geth'], code: 2, says: ['--base parity', 'parity'] },
  { what: 'compare --runs 0', args: ['compare', validFile, '--base', 'geth', '--candidate', 'geth', '--runs', '0'], code: 2, says: ['--runs'] },
  { what: 'compare --junit is a folder', args: ['compare', validFile, '--base', 'geth', '--candidate', 'geth', '--junit', tmp], code: 2, says: ['--junit', 'is a folder'] },
  { what: 'compare of a missing scenario', args: ['compare', path.join(tmp, 'nope.ts'), '--base', 'geth', '--candidate', 'geth'], code: 2, says: ['nope.ts'] },
  { what: 'nodes install: every spec checked before any build', args: ['nodes', 'install', 'geth@v1.17.10', 'geth@banana'], code: 2, says: ['banana'] },
  { what: 'nodes install of a path', args: ['nodes', 'install', 'geth@/usr/bin/true'], code: 2, says: ['a path needs no install'] },
  { what: 'images build of an unknown flavor', args: ['images', 'build', 'parity'], code: 2, says: ['parity'] },
  { what: 'CHAINSOAK_CACHE is a file', args: ['nodes', 'list'], env: { CHAINSOAK_CACHE: aFile }, code: 2, says: ['CHAINSOAK_CACHE', 'not a folder'] },
  { what: 'CHAINSOAK_CACHE under /proc (spun forever before): exit 3', args: ['nodes', 'install', 'geth@v1.17.10'], env: { CHAINSOAK_CACHE: '/proc/chainsoak-cache' }, code: 3, says: ['unexpected error', '/proc/chainsoak-cache'] },
  { what: 'CHAINSOAK_CACHE under a file: unexpected, exit 3 (not 1)', args: ['nodes', 'install', 'geth@v1.17.10'], env: { CHAINSOAK_CACHE: path.join(aFile, 'cache') }, code: 3, says: ['unexpected error', 'ENOTDIR', 'stack in'] },

  // Scenario files that do not load, or export the wrong thing.
  { what: 'a syntax error', scenario: 'export default {{\n', code: 2, says: ['cannot load', 'line 1'] },
  { what: 'no default export', scenario: 'export const scenario = {};\n', code: 2, says: ['no default export'] },
  { what: 'a default export that is a number', scenario: 'export default 42;\n', code: 2, says: ['expected object'] },
  { what: 'top-level code that throws', scenario: "throw new Error('no RPC URL configured');\nexport default {};\n", code: 2, says: ['cannot load', 'no RPC URL configured'] },
  { what: 'top-level code that never settles', scenario: 'await new Promise(() => {});\nexport default {};\n', env: { CHAINSOAK_LOAD_TIMEOUT: '1s' }, code: 2, says: ['did not finish loading within 1s'] },
  { what: 'a folder whose first scenario never settles', args: ['run', hangFolder], env: { CHAINSOAK_LOAD_TIMEOUT: '1s' }, code: 2, says: ['a-hangs.ts', 'did not finish loading'] },

  // Unknown fields at every level.
  { what: 'unknown top-level key', scenario: patched((s) => (s.warmpu = '5s')), code: 2, says: ['warmpu', 'unknown key'] },
  { what: 'unknown node key', scenario: patched((s) => (node0(s).cout = 2)), code: 2, says: ['nodes[0]', 'cout'] },
  { what: 'unknown phase key', scenario: patched((s) => (phase0(s).cylces = 5)), code: 2, says: ['phases[0]', 'cylces'] },
  { what: 'unknown workload key', scenario: patched((s) => (workload0(s).rat = 1)), code: 2, says: ['phases[0].workloads[0]', 'rat'] },
  { what: 'unknown budget', scenario: patched((s) => (s.budgets = { heapGrowth: '10MB' })), code: 2, says: ['budgets', 'heapGrowth'] },
  { what: 'unknown flavor option', scenario: patched((s) => (node0(s).options = { devPerod: 2 })), code: 2, says: ['nodes[0].options', 'devPerod'] },
  { what: 'unknown fault key', scenario: patched((s) => (phase0(s).faults = [{ at: '1s', action: 'kill', node: 'geth', hard: true }])), code: 2, says: ['phases[0].faults[0]'] },

  // Wrong types and values.
  { what: 'nodes not a list', scenario: patched((s) => (s.nodes = { name: 'geth', node: 'geth' } as never)), code: 2, says: ['nodes', 'array'] },
  { what: 'no nodes', scenario: patched((s) => (s.nodes = [])), code: 2, says: ['nodes'] },
  { what: 'no phases', scenario: patched((s) => (s.phases = [])), code: 2, says: ['phases'] },
  { what: 'a rate as a string', scenario: patched((s) => (workload0(s).rate = '10')), code: 2, says: ['phases[0].workloads[0].rate', 'number'] },
  { what: 'a negative rate', scenario: patched((s) => (workload0(s).rate = -5)), code: 2, says: ['phases[0].workloads[0].rate'] },
  { what: 'count 0', scenario: patched((s) => (node0(s).count = 0)), code: 2, says: ['nodes[0].count'] },
  { what: 'an invalid node name', scenario: patched((s) => (node0(s).name = 'geth node')), code: 2, says: ['nodes[0].name'] },
  { what: 'an unknown flavor', scenario: patched((s) => (node0(s).node = 'parity')), code: 2, says: ['nodes[0].node', 'parity'] },
  { what: 'a malformed version', scenario: patched((s) => (node0(s).node = 'geth@1.x')), code: 2, says: ['nodes[0].node', '1.x'] },
  { what: 'an unknown workload kind', scenario: patched((s) => (workload0(s).kind = 'geth-tx-flod')), code: 2, says: ['workloads[0].kind', 'geth-tx-flood'] },
  { what: 'a duration in parsecs', scenario: patched((s) => (phase0(s).duration = '10 parsecs')), code: 2, says: ['phases[0].duration', 'duration'] },
  { what: 'a size in parsecs', scenario: patched((s) => (s.budgets = { heapInuseGrowth: { bytes: '12 parsecs' } })), code: 2, says: ['budgets.heapInuseGrowth.bytes', 'size'] },
  { what: 'duplicate node names', scenario: patched((s) => s.nodes.push({ name: 'geth', node: 'geth' })), code: 2, says: ['nodes[1].name', 'duplicate'] },
  { what: 'a fault at an unknown node', scenario: patched((s) => (phase0(s).faults = [{ at: '1s', action: 'kill', node: 'gteh' }])), code: 2, says: ['phases[0].faults[0].node', 'gteh'] },
  { what: 'a fault after the end of its phase', scenario: patched((s) => (phase0(s).faults = [{ at: '20s', action: 'kill', node: 'geth' }])), code: 2, says: ['phases[0].faults[0].at', 'after the end'] },
  { what: 'a workload aimed at an unknown node', scenario: patched((s) => s.phases[0]!.workloads.push({ kind: 'comet-peer-churn', cycles: 2, target: 'ful' }), comet), code: 2, says: ['workloads[1].target', 'ful'] },
  { what: 'a phase with nothing to do', scenario: patched((s) => (phase0(s).workloads = [])), code: 2, says: ['phases[0]', 'needs workloads or faults'] },
  { what: 'a container-only field on the process runtime', scenario: patched((s) => (node0(s).memLimit = '512MB')), code: 2, says: ['nodes[0].memLimit', '--runtime container'] },
  { what: 'scenario seed beyond 2^32-1', scenario: patched((s) => (s.seed = 4294967297)), code: 2, says: ['seed', '4294967295'] },
  { what: 'scenario seed negative', scenario: patched((s) => (s.seed = -1)), code: 2, says: ['seed'] },

  // Values that were accepted and made a run that could not fail, or never ended.
  { what: 'a growth budget without a limit', scenario: patched((s) => (s.budgets = { heapInuseGrowth: {} })), code: 2, says: ['budgets.heapInuseGrowth', 'needs a limit'] },
  { what: 'an rss budget without a limit', scenario: patched((s) => (s.budgets = { goroutineGrowth: 5, rssGrowth: {} })), code: 2, says: ['budgets.rssGrowth', 'needs a limit'] },
  { what: 'no budget at all', scenario: patched((s) => (s.budgets = {})), code: 2, says: ['budgets', 'at least one budget'] },
  { what: 'an invalid goroutineIgnore regex', scenario: patched((s) => (s.goroutineIgnore = ['net/http.(*conn'])), code: 2, says: ['goroutineIgnore[0]', 'not a regular expression'] },
  { what: 'sampleInterval 0', scenario: patched((s) => (s.sampleInterval = 0)), code: 2, says: ['sampleInterval', 'from 100ms'] },
  { what: 'sampleInterval 10ms', scenario: patched((s) => (s.sampleInterval = '10ms')), code: 2, says: ['sampleInterval', 'from 100ms'] },
  { what: 'a warm-up beyond a timer', scenario: patched((s) => (s.warmup = '1000000h')), code: 2, says: ['warmup', 'up to 24d'] },
  { what: 'a cool-down beyond a timer', scenario: patched((s) => (s.cooldown = 2 ** 31)), code: 2, says: ['cooldown', 'up to 24d'] },
  { what: 'a phase beyond a timer', scenario: patched((s) => (phase0(s).duration = '25d')), code: 2, says: ['phases[0].duration', 'up to 24d'] },
  { what: 'a phase of 0', scenario: patched((s) => (phase0(s).duration = 0)), code: 2, says: ['phases[0].duration', 'from 1ms'] },
  { what: 'readyTimeout 0', scenario: patched((s) => (node0(s).readyTimeout = 0)), code: 2, says: ['nodes[0].readyTimeout', 'from 1s'] },
  { what: 'a workload for another flavor', scenario: patched((s) => (phase0(s).workloads = [{ kind: 'comet-tx-flood', rate: 10, maxTxs: 100 }])), code: 2, says: ['workloads[0].kind', 'comet-tx-flood needs a cometbft or tendermint node', 'geth'] },
  { what: 'a workload for another flavor, with --node', args: ['run', '{scenario}', '--node', 'geth@v1.17.10'], scenario: patched((s) => (phase0(s).workloads = [{ kind: 'fixture-ops', rate: 10, maxOps: 100 }])), code: 2, says: ['fixture-ops needs a leaky-node node'] },
  { what: "start: 'fault' that nothing starts", scenario: patched((s) => s.nodes.push({ name: 'late', node: 'geth', start: 'fault' })), code: 2, says: ['nodes[1].start', 'nothing starts late'] },
  { what: 'a trend budget without cycles', scenario: patched((s) => (s.budgets = { noLeakTrend: true })), code: 2, says: ['budgets.noLeakTrend', 'cycles'] },

  // The verdict budgets (from usage-errors.test.ts): each wrong one is one line naming it.
  { what: "noLeakTrend: 'strictly'", scenario: patched((s) => ((phase0(s).cycles = 5), (s.budgets = { noLeakTrend: 'strictly' }))), code: 2, says: ['budgets.noLeakTrend'] },
  { what: 'oomAfter without a memory limit', scenario: patched((s) => ((phase0(s).cycles = 5), (s.budgets = { oomAfter: { atLeast: '30d' } }))), code: 2, says: ['budgets.oomAfter.limit', 'memLimit on every node (geth has none)'] },
  { what: "oomAfter.atLeast '30 days'", scenario: patched((s) => ((phase0(s).cycles = 5), (s.budgets = { oomAfter: { limit: '8GB', atLeast: '30 days' } }))), code: 2, says: ['budgets.oomAfter.atLeast', 'duration'] },
  { what: 'noProvenLeaks without a provenLeaks node', scenario: patched((s) => ((phase0(s).cycles = 5), (s.budgets = { noProvenLeaks: true }))), code: 2, says: ['budgets.noProvenLeaks', 'provenLeaks: true'] },
  // Workload options (from usage-errors.test.ts).
  { what: 'ws-streams without clients or longLived', scenario: patched((s) => (phase0(s).workloads = [{ kind: 'ws-streams', subscription: 'newHeads' }])), code: 2, says: ['phases[0].workloads[0].clients', 'longLived'] },
  { what: 'ws-streams with an end mode eth lacks', scenario: patched((s) => (phase0(s).workloads = [{ kind: 'ws-streams', protocol: 'eth', longLived: 5, longLivedEnd: 'unsubscribe_all' }])), code: 2, says: ['phases[0].workloads[0].longLivedEnd', 'unsubscribe_all'] },
  // Faults and where nodes run (from usage-errors.test.ts).
  { what: 'a partition on the process runtime', scenario: patched((s) => (phase0(s).faults = [{ at: '1s', action: 'partition', node: 'geth', for: '2s' }])), code: 2, says: ['phases[0].faults[0]', 'partition', '--runtime container'] },
  { what: "'for' on a kill", scenario: patched((s) => (phase0(s).faults = [{ at: '1s', action: 'kill', node: 'geth', for: '2s' }])), code: 2, says: ['phases[0].faults[0]'] },
  { what: 'a link fault at an unknown node', scenario: patched((s) => (phase0(s).faults = [{ at: '1s', action: 'latency', latency: '100ms', link: { node: 'gteh' } }])), code: 2, says: ['gteh'] },
  {
    what: 'a kill on the external runtime',
    args: ['run', '{scenario}', '--runtime', 'external'],
    scenario: patched((s) => ((node0(s).endpoints = { pprof: 'http://127.0.0.1:9' }), (phase0(s).faults = [{ at: '1s', action: 'kill', node: 'geth' }]))),
    code: 2,
    says: ['phases[0].faults[0]', 'kill', 'external runtime'],
  },
  { what: 'a --nodes file without pprof URLs', args: ['run', validFile, '--runtime', 'external', '--nodes', noPprof], code: 2, says: ['nodes-no-pprof.json', 'pprof'] },
  // Load split into segments (docs/distributed-load.md).
  { what: '--segment 0/4', args: ['run', validFile, '--segment', '0/4'], code: 2, says: ['--segment', '0/4', 'i/n'] },
  { what: '--segment 5/4', args: ['run', validFile, '--segment', '5/4'], code: 2, says: ['--segment', '5/4', 'i/n'] },
  { what: '--segment x', args: ['load', validFile, '--segment', 'x', '--load-stats', tmp], code: 2, says: ['--segment', "'x'", 'i/n'] },
  { what: 'CHAINSOAK_SEGMENT=2/1', args: ['run', validFile], env: { CHAINSOAK_SEGMENT: '2/1' }, code: 2, says: ['CHAINSOAK_SEGMENT', '2/1'] },
  {
    what: '--segment on a workload that cannot be split',
    args: ['run', '{scenario}', '--segment', '1/2'],
    scenario: patched((s) => phase0(s).workloads.push({ kind: 'geth-ws-zombies', clients: 5 })),
    code: 2,
    says: ['phases[0].workloads[1] (geth-ws-zombies)', 'cannot be split', '--segment 1/2'],
  },
  { what: 'more segments than senders', args: ['run', '{scenario}', '--segment', '1/4'], scenario: patched((s) => (workload0(s).senders = 3)), code: 2, says: ['senders 3', '4 segments'] },
  { what: 'load without --nodes', args: ['load', validFile, '--segment', '1/2', '--load-stats', tmp], code: 2, says: ['nodes[0].endpoints', '--nodes'] },
  { what: 'load without --load-stats', args: ['load', validFile, '--segment', '1/2'], code: 2, says: ['--load-stats'] },
  { what: 'load on the process runtime', args: ['load', validFile, '--runtime', 'process', '--load-stats', tmp], code: 2, says: ['--runtime process', '--runtime external'] },
  { what: 'load with --load-stats under a file', args: ['load', validFile, '--runtime', 'external', '--nodes', noPprof, '--load-stats', path.join(aFile, 'x.json')], code: 2, says: ['--load-stats', 'ENOTDIR'] },
  { what: '--load-stats at a missing folder', args: ['run', validFile, '--load-stats', path.join(tmp, 'no-such-stats')], code: 2, says: ['--load-stats', 'no-such-stats', 'no such folder'] },
  { what: '--load-stats at a file', args: ['run', validFile, '--load-stats', aFile], code: 2, says: ['--load-stats', 'is a file'] },
  { what: '--load-stats with a per-operation budget', args: ['run', perOpFile, '--load-stats', tmp], code: 2, says: ['budgets.heapGrowthPer1kOps', '--load-stats'] },
];

// `validate` makes the checks `run` makes before it starts: every row about a scenario file is a validate row too.
rows.push(
  ...rows
    .filter((row) => row.scenario !== undefined)
    .map((row) => ({ ...row, what: `validate: ${row.what}`, args: ['validate', ...(row.args ?? ['run', '{scenario}']).slice(1)] })),
);

/** Processes of a node flavor whose command line names this test's folder (a node started for a row). */
function nodeProcessesOfThisTest(): string[] {
  const out = spawnSync('ps', ['-eo', 'comm=,args='], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter((line) => /^(geth|cometbft|tendermint|leaky-node)\s/.test(line) && line.includes(tmp));
}

async function runRow(row: Row, index: number): Promise<CliResult & { ms: number; reports: string }> {
  const reports = path.join(tmp, `reports-${index}`);
  const scenarioFile = path.join(tmp, `row-${index}.ts`);
  if (row.scenario !== undefined) writeFileSync(scenarioFile, row.scenario);
  let args = (row.args ?? ['run', '{scenario}']).map((a) => a.replace('{scenario}', scenarioFile));
  if (args[0] === 'run' && !args.some((a) => a.startsWith('--reports'))) args = [...args, '--reports', reports];
  const t0 = Date.now();
  // An empty node cache and no module proxy: a row that got as far as building a node fails at once, visibly.
  const env = { CHAINSOAK_CACHE: path.join(tmp, 'empty-cache'), GOPROXY: 'off', ...row.env };
  const result = await cli(args, { env, timeoutMs: 60_000 });
  return { ...result, ms: Date.now() - t0, reports };
}

/** Run every row, `width` at a time. */
async function runAll(width: number): Promise<Array<Awaited<ReturnType<typeof runRow>>>> {
  const results: Array<Awaited<ReturnType<typeof runRow>>> = new Array(rows.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < rows.length) {
        const i = next++;
        results[i] = await runRow(rows[i]!, i);
      }
    }),
  );
  return results;
}

describe('bad input corpus: one line, the right exit code, nothing started', function () {
  this.timeout(600_000);
  let results: Array<Awaited<ReturnType<typeof runRow>>> = [];

  before(async () => {
    assert.ok(rows.length >= 147, `the corpus has ${rows.length} rows`);
    results = await runAll(4);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  rows.forEach((row, i) => {
    it(`${row.what} → exit ${row.code}`, () => {
      const r = results[i]!;
      const lines = r.stderr.split('\n').filter((l) => l.trim());
      const shown = `stderr:\n${r.stderr}\nstdout:\n${r.stdout}`;
      assert.equal(r.code, row.code, shown);
      assert.equal(lines.length, 1, `one line on stderr; ${shown}`);
      assert.doesNotMatch(r.stderr, /\bat .*\.(ts|js|mjs):\d+/, 'no stack trace');
      for (const words of row.says) assert.ok(lines[0]!.includes(words), `"${lines[0]}" should say ${words}`);
      assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
      // Nothing ran: the reports folder holds no run folder (node data, profiles).
      const runFolders = existsSync(r.reports) ? readdirSync(r.reports, { withFileTypes: true }).filter((e) => e.isDirectory()) : [];
      assert.deepEqual(runFolders.map((e) => e.name), [], 'no run folder');
    });
  });

  it('an unexpected error keeps its stack: in the file its line names, or on stderr with CHAINSOAK_DEBUG=1', async () => {
    const env = { CHAINSOAK_CACHE: path.join(aFile, 'cache'), GOPROXY: 'off' };
    const quiet = await cli(['nodes', 'install', 'geth@v1.17.10'], { env });
    const file = /stack in (\S+)\)$/.exec(quiet.stderr.trim())?.[1];
    assert.ok(file && existsSync(file), quiet.stderr);
    assert.match(readFileSync(file, 'utf8'), /ENOTDIR[\s\S]*\n\s+at /);
    rmSync(file);
    const debug = await cli(['nodes', 'install', 'geth@v1.17.10'], { env: { ...env, CHAINSOAK_DEBUG: '1' } });
    assert.equal(debug.code, 3);
    assert.match(debug.stderr, /^chainsoak: unexpected error: ENOTDIR.*\(stack above\)$/m);
    assert.match(debug.stderr, /\n\s+at /);
  });

  it('no row left a node process behind', () => {
    assert.deepEqual(nodeProcessesOfThisTest(), []);
  });
});
