// Every option a workload implementation reads is settable from a scenario: the options the floods and
// geth-ws-zombies used to take only from code (tickMs, maxInFlight, timeouts ...) pass the scenario's
// schema, durations as strings included, and a typo among them is still an error.
import assert from 'node:assert/strict';
import { UsageError, validateScenario } from 'chainsoak';

const scenario = (workload: Record<string, unknown>, node = 'geth') => ({
  nodes: [{ name: 'n', node }],
  phases: [{ name: 'p', duration: '10s', workloads: [workload] }],
  budgets: { goroutineGrowth: 1 },
});
const parsed = (workload: Record<string, unknown>, node?: string) => validateScenario(scenario(workload, node), 'options').phases[0]!.workloads[0] as Record<string, unknown>;

describe('workload options settable from a scenario', () => {
  it('geth-tx-flood: pacing, fees and timeouts', () => {
    const w = parsed({ kind: 'geth-tx-flood', rate: 10, maxTxs: 100, tickMs: '50ms', maxInFlight: 8, recipients: 4, maxFeePerGasGwei: 50, maxPriorityFeePerGasGwei: 2, requestTimeoutMs: '3s', fundingTimeoutMs: '2m', inclusionWaitMs: 0 });
    assert.deepEqual(
      { tickMs: w.tickMs, maxInFlight: w.maxInFlight, recipients: w.recipients, fee: w.maxFeePerGasGwei, tip: w.maxPriorityFeePerGasGwei, timeout: w.requestTimeoutMs, funding: w.fundingTimeoutMs, inclusion: w.inclusionWaitMs },
      { tickMs: 50, maxInFlight: 8, recipients: 4, fee: 50, tip: 2, timeout: 3_000, funding: 120_000, inclusion: 0 },
    );
  });

  it('comet-tx-flood: tick, request timeout, commit wait', () => {
    const w = parsed({ kind: 'comet-tx-flood', rate: 10, maxTxs: 100, tickMs: 40, requestTimeoutMs: '20s', commitWaitMs: '1s' }, 'cometbft');
    assert.deepEqual([w.tickMs, w.requestTimeoutMs, w.commitWaitMs], [40, 20_000, 1_000]);
  });

  it('geth-ws-zombies: hold, connect timeout, concurrency', () => {
    const w = parsed({ kind: 'geth-ws-zombies', clients: 10, holdMs: '5s', connectTimeoutMs: '2s', concurrency: 4 });
    assert.deepEqual([w.holdMs, w.connectTimeoutMs, w.concurrency], [5_000, 2_000, 4]);
  });

  it('a typo or a bad value among them is one usage line naming the field', () => {
    assert.throws(() => parsed({ kind: 'geth-tx-flood', rate: 10, maxTxs: 100, tickMS: 50 }), (e: unknown) => e instanceof UsageError && /workloads\[0\]\.tickMS: unknown key/.test(e.message));
    assert.throws(() => parsed({ kind: 'comet-tx-flood', rate: 10, maxTxs: 100, requestTimeoutMs: 0 }, 'cometbft'), (e: unknown) => e instanceof UsageError && /workloads\[0\]\.requestTimeoutMs: expected a duration above 0/.test(e.message));
  });
});
