/**
 * A defined workload (define.ts) as the run sees every workload (workload.ts): prepare() creates the
 * instance and this segment's clients, run() hands them to the shared executor, progress() and stats()
 * read the executor's counters. Nothing here is specific to one workload.
 */
import type { ParsedDefinedEntry, DefineContext, WorkloadInstance } from '../define.ts';
import { UsageError } from '../../errors.ts';
import { PacedTotals } from '../paced-loop.ts';
import { WHOLE } from '../segment.ts';
import { localAbort } from '../stats.ts';
import type { Workload, WorkloadContext, WorkloadProgress, WorkloadStats } from '../workload.ts';
import { OpCounters } from './counters.ts';
import { ownedClientIndices, runExecutor, type OwnedClient } from './run.ts';

export function definedWorkload(entry: ParsedDefinedEntry): Workload {
  const { kind: definition, executor, options } = entry;
  const kind = definition.kind;
  const counters = new OpCounters();
  const totals = new PacedTotals();
  let instance: WorkloadInstance | undefined;
  let clients: OwnedClient[] = [];
  let clientCount = 0;

  return {
    kind,

    async prepare(ctx: WorkloadContext) {
      const segment = ctx.segment ?? WHOLE;
      const targets = definition.nodes ? ctx.nodes.filter((n) => definition.nodes!(n)) : ctx.nodes;
      if (targets.length === 0) throw new UsageError(`${kind}: the scenario has no ${definition.flavors?.join(' or ') ?? 'suitable'} node to drive`);
      const defineCtx: DefineContext = { ...ctx, executor, targets, owned: (total) => ownedClientIndices(segment, total) };
      instance = await definition.create(options, defineCtx);
      await instance.prepare?.();
      const total = 'clients' in executor && executor.clients !== undefined ? executor.clients : targets.length;
      clients = await Promise.all(
        ownedClientIndices(segment, total).map(async (index) => {
          const node = targets[index % targets.length]!;
          return { index, node, client: await instance!.client(index, node), done: 0 };
        }),
      );
      clientCount = clients.length;
      ctx.log(`${kind}: ${executor.type}, ${clients.length} client(s) on ${targets.length} node(s)`);
    },

    async run(ctx: WorkloadContext, durationMs: number) {
      if (!instance) throw new Error(`${kind}: run() before prepare()`);
      const maxInFlight = 'maxInFlight' in executor ? executor.maxInFlight : clients.length;
      const link = localAbort(ctx.signal, maxInFlight + clients.length + 8);
      try {
        const result = await runExecutor(executor, { clients, counters, segment: ctx.segment ?? WHOLE, from: totals.cursor, durationMs, signal: link.signal });
        totals.add(result);
      } finally {
        link.unlink();
      }
      ctx.log(`${kind}: sent ${counters.sent}, accepted ${counters.accepted}, failed ${counters.failed}`);
    },

    async release() {
      await Promise.all(clients.map(async (c) => c.client.close?.()));
      clients = [];
      await instance?.release?.();
    },

    progress(): WorkloadProgress {
      return counters.progress();
    },

    stats(): WorkloadStats {
      const extra: Record<string, number | string> = {
        executor: executor.type,
        clients: clientCount,
        ...counters.requestFigures(),
        ...totals.figures(counters.accepted),
        ...counters.tagFigures(),
        ...instance?.extra?.(),
      };
      return counters.stats(kind, totals.windowMs, extra);
    },
  };
}
