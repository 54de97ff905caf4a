/**
 * Network faults as a scenario declares them (a phase's faults with a `link` and one of these actions:
 * faults/timeline.ts takes them beside node faults), and the toxics each one becomes on its links' proxies.
 */
import { z } from 'zod';
import { duration, durationMs, size } from '../../scenario/fields.ts';
import type { Toxic, ToxicStream } from './toxics.ts';
import { expectSchema } from '../expected-exits.ts';

/** Sizes in whole bytes. */
const bytes = size.transform((v) => Math.round(v));

/** A duration toxiproxy takes in whole milliseconds; at most a day. */
const ms = durationMs(86_400_000);

export const networkFaultActions = ['latency', 'bandwidth', 'timeout', 'reset_peer', 'slicer', 'slow_close', 'down'] as const;
export type NetworkFaultAction = (typeof networkFaultActions)[number];

const common = {
  /** When, from the start of the phase: '20s', or `{ between: ['10s', '40s'] }`, drawn from the seed (as node faults). */
  at: z.union([duration, z.strictObject({ between: z.tuple([duration, duration]) })]),
  /** How long the fault lasts; without it, until the end of the phase. */
  for: duration.refine((v) => v > 0, { message: 'expected a duration above 0' }).optional(),
  /**
   * The node whose links are affected: `of` 'peers' (default: its p2p links to and from every other node),
   * 'clients' (the harness's RPC and websocket connections to it), 'abci' (the ABCI connection between an
   * out-of-process app and its CometBFT: the app node's or the consensus node's), or 'all'.
   */
  link: z.strictObject({ node: z.string().min(1), of: z.enum(['peers', 'clients', 'abci', 'all']).default('peers') }),
  /** Nodes this fault ends by design (CometBFT stops itself when its ABCI link is cut): their exit after it is no crash. */
  expect: expectSchema.optional(),
};

const toxicCommon = {
  ...common,
  /** upstream: data sent to the node; downstream: data the node sends back; both (default). */
  direction: z.enum(['upstream', 'downstream', 'both']).default('both'),
  /** Share of connections affected, 0..1 (toxiproxy draws per connection); default 1. */
  toxicity: z.number().min(0).max(1).default(1),
};

export const networkFaultSchema = z.discriminatedUnion('action', [
  /** Each affected direction is delayed by latency +/- jitter: with 'both', a round trip gains twice the latency. */
  z.strictObject({ ...toxicCommon, action: z.literal('latency'), latency: ms, jitter: ms.default(0) }),
  /** At most rateKBps kilobytes (1000 bytes) per second in each affected direction. */
  z.strictObject({ ...toxicCommon, action: z.literal('bandwidth'), rateKBps: z.number().int().min(1) }),
  /** Data is dropped; the connection is closed after `timeout` (default 0: held open until the fault ends, and closed then). */
  z.strictObject({ ...toxicCommon, action: z.literal('timeout'), timeout: ms.default(0) }),
  /** Connections are reset (TCP RST) on their first data, after `timeout` (default 0: at once). */
  z.strictObject({ ...toxicCommon, action: z.literal('reset_peer'), timeout: ms.default(0) }),
  /** Data is cut into pieces of averageSize +/- sizeVariation bytes, `delay` apart ('0.5ms' works: toxiproxy counts microseconds). */
  z
    .strictObject({
      ...toxicCommon,
      action: z.literal('slicer'),
      averageSize: bytes.refine((v) => v >= 1, { message: 'expected at least 1 byte' }),
      sizeVariation: bytes.default(0),
      delay: duration.refine((v) => v <= 60_000, { message: 'expected at most 60s' }).default(0),
    })
    .refine((f) => f.sizeVariation <= f.averageSize, { message: 'sizeVariation must not exceed averageSize', path: ['sizeVariation'] }),
  /** Closing a connection is delayed by `delay`. */
  z.strictObject({ ...toxicCommon, action: z.literal('slow_close'), delay: ms }),
  /** The proxy is disabled: new connections are refused and open ones closed (no toxic; see toxicFor). */
  z.strictObject({ ...common, action: z.literal('down') }),
]);

export type NetworkFaultDecl = z.output<typeof networkFaultSchema>;
export type NetworkFaultInput = z.input<typeof networkFaultSchema>;

/**
 * The toxics a network fault adds to the proxies of its node: one per affected direction, named
 * `<prefix>-<stream>` (prefix default `<action>`; give a distinct prefix, e.g. with the fault's index,
 * when the same action may overlap on one proxy). A 'down' fault adds no toxic: the caller disables the
 * proxy (setEnabled(proxy, false)) and enables it again when the fault ends.
 */
export function toxicFor(fault: NetworkFaultDecl, prefix: string = fault.action): Toxic[] {
  if (fault.action === 'down') return [];
  const streams: ToxicStream[] = fault.direction === 'both' ? ['upstream', 'downstream'] : [fault.direction];
  const base = (stream: ToxicStream) => ({ name: `${prefix}-${stream}`, stream, toxicity: fault.toxicity });
  return streams.map((stream): Toxic => {
    switch (fault.action) {
      case 'latency':
        return { ...base(stream), type: 'latency', attributes: { latency: fault.latency, jitter: fault.jitter } };
      case 'bandwidth':
        return { ...base(stream), type: 'bandwidth', attributes: { rate: fault.rateKBps } };
      case 'timeout':
        return { ...base(stream), type: 'timeout', attributes: { timeout: fault.timeout } };
      case 'reset_peer':
        return { ...base(stream), type: 'reset_peer', attributes: { timeout: fault.timeout } };
      case 'slicer':
        return {
          ...base(stream),
          type: 'slicer',
          attributes: { average_size: fault.averageSize, size_variation: fault.sizeVariation, delay: Math.round(fault.delay * 1000) },
        };
      case 'slow_close':
        return { ...base(stream), type: 'slow_close', attributes: { delay: fault.delay } };
    }
  });
}
