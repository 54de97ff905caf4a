/**
 * Toxics, as toxiproxy's admin API takes them, and a check stricter than toxiproxy's own, so a bad toxic
 * fails with a reason before it reaches the server.
 *
 * Direction, in toxiproxy's words: `upstream` is the data a client sends through the proxy to the node,
 * `downstream` the data the node sends back.
 */

export type ToxicStream = 'upstream' | 'downstream';

interface ToxicBase {
  /** Unique per proxy. */
  name: string;
  stream: ToxicStream;
  /** Probability (0..1) that a connection gets the toxic, drawn per connection; default 1. */
  toxicity?: number;
}

/** A toxic; attribute names and units are toxiproxy's own. */
export type Toxic = ToxicBase &
  (
    | { type: 'latency'; attributes: { /** ms */ latency: number; /** ms, +/- */ jitter?: number } }
    | { type: 'bandwidth'; attributes: { /** KB/s (1 KB = 1000 bytes), at least 1 */ rate: number } }
    /**
     * Drops the data; closes the connection after `timeout` ms, or never with 0. Removing the toxic closes
     * the connections it held (its cleanup closes the link); new connections work normally.
     */
    | { type: 'timeout'; attributes: { timeout: number } }
    /** On the first data, after `timeout` ms, resets (RST) the connection. Only connections opened while the toxic is present get an RST; older ones get a FIN. */
    | { type: 'reset_peer'; attributes: { timeout: number } }
    /** Cuts data into pieces of average_size +/- size_variation bytes, `delay` MICROSECONDS apart. */
    | { type: 'slicer'; attributes: { average_size: number; size_variation?: number; delay?: number } }
    /** Delays the close of the socket by `delay` ms. */
    | { type: 'slow_close'; attributes: { delay: number } }
    /** Closes the connection once `bytes` bytes went through. */
    | { type: 'limit_data'; attributes: { bytes: number } }
  );

export type ToxicType = Toxic['type'];
const toxicTypes: readonly ToxicType[] = ['latency', 'bandwidth', 'timeout', 'reset_peer', 'slicer', 'slow_close', 'limit_data'];

/** Attributes each type needs (required) or may have (optional), each a non-negative integer. */
const toxicAttributes: Record<ToxicType, { required: string[]; optional: string[]; min?: Record<string, number> }> = {
  latency: { required: ['latency'], optional: ['jitter'] },
  bandwidth: { required: ['rate'], optional: [], min: { rate: 1 } }, // rate 0 stalls the link for good in v2.5.0
  timeout: { required: ['timeout'], optional: [] },
  reset_peer: { required: ['timeout'], optional: [] },
  slicer: { required: ['average_size'], optional: ['size_variation', 'delay'], min: { average_size: 1 } }, // 0 recurses forever
  slow_close: { required: ['delay'], optional: [] },
  limit_data: { required: ['bytes'], optional: [] },
};

/** Names of toxics and proxies: they go into the admin API's URL paths. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * Why toxiproxy would reject or misbehave on this toxic, or undefined if it is fine. toxiproxy itself
 * ignores unknown attributes and takes negative numbers; this is stricter.
 */
export function toxicProblem(toxic: Toxic): string | undefined {
  const t = toxic as { name?: unknown; type?: unknown; stream?: unknown; toxicity?: unknown; attributes?: unknown };
  if (typeof t.name !== 'string' || !NAME_RE.test(t.name)) return `bad toxic name ${JSON.stringify(t.name)} (letters, digits, _ . -)`;
  if (typeof t.type !== 'string' || !toxicTypes.includes(t.type as ToxicType)) {
    return `unknown toxic type ${JSON.stringify(t.type)} (one of ${toxicTypes.join(', ')})`;
  }
  if (t.stream !== 'upstream' && t.stream !== 'downstream') return `bad stream ${JSON.stringify(t.stream)} (upstream or downstream)`;
  if (t.toxicity !== undefined && !(typeof t.toxicity === 'number' && t.toxicity >= 0 && t.toxicity <= 1)) {
    return `bad toxicity ${JSON.stringify(t.toxicity)} (a number from 0 to 1)`;
  }
  if (typeof t.attributes !== 'object' || t.attributes === null) return `${t.type} needs attributes`;
  const spec = toxicAttributes[t.type as ToxicType];
  const attrs = t.attributes as Record<string, unknown>;
  for (const key of Object.keys(attrs)) {
    if (!spec.required.includes(key) && !spec.optional.includes(key)) return `${t.type} has no attribute '${key}' (it takes ${[...spec.required, ...spec.optional].join(', ')})`;
  }
  for (const key of [...spec.required, ...spec.optional]) {
    const v = attrs[key];
    if (v === undefined) {
      if (spec.required.includes(key)) return `${t.type} needs attribute '${key}'`;
      continue;
    }
    const min = spec.min?.[key] ?? 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) return `${t.type}.${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`;
  }
  if (t.type === 'slicer' && (attrs.size_variation as number | undefined) !== undefined && (attrs.size_variation as number) > (attrs.average_size as number)) {
    return `slicer.size_variation (${String(attrs.size_variation)}) must not exceed average_size (${String(attrs.average_size)})`; // toxiproxy would slice out of range
  }
  return undefined;
}
