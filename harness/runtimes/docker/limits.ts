/** Memory and CPU limits as Docker's HostConfig takes them: at a container's create, and on a live one (update). */
import { UsageError } from '../../errors.ts';
import type { HostConfig } from './engine.ts';

/** The HostConfig fields for these limits (none for none); a UsageError for a limit Docker would refuse. */
export function limitsConfig(limits: { memLimitBytes?: number; cpus?: number }): Partial<HostConfig> {
  const config: Partial<HostConfig> = {};
  if (limits.memLimitBytes !== undefined) {
    if (!Number.isInteger(limits.memLimitBytes) || limits.memLimitBytes < 6 * 1024 * 1024) {
      throw new UsageError(`memory limit ${limits.memLimitBytes} bytes: Docker needs an integer of at least 6 MiB`);
    }
    config.Memory = limits.memLimitBytes;
    config.MemorySwap = limits.memLimitBytes; // no swap: over the limit means the OOM killer
  }
  if (limits.cpus !== undefined) {
    if (!(limits.cpus > 0)) throw new UsageError(`cpus must be positive, not ${limits.cpus}`);
    config.NanoCpus = Math.round(limits.cpus * 1e9);
  }
  return config;
}
