/**
 * How long a scenario's phases and whole run are declared to take, with `--duration` scaling the phases.
 * Apart from phases.ts (which loads every workload) so the library's entry can export declaredMs cheaply.
 */
import type { Scenario } from '../scenario/schema.ts';

export function phaseDurations(scenario: Scenario, totalMs?: number): number[] {
  const declared = scenario.phases.map((p) => p.duration);
  if (totalMs === undefined) return declared;
  const sum = declared.reduce((a, b) => a + b, 0);
  return declared.map((d) => Math.round((d / sum) * totalMs));
}

/** Warm-up + phases + cool-down: what a run should take, against which its real time is reported. */
export function declaredMs(scenario: Scenario, durationMs?: number): number {
  return scenario.warmup + phaseDurations(scenario, durationMs).reduce((a, b) => a + b, 0) + scenario.cooldown;
}
