/**
 * A deterministic segment of a workload (`--segment 2/4`): the load of one scenario split over several
 * processes or machines. Segment i of n sends 1/n of the rate and the count bound, and only the items
 * (senders, accounts, keys, clients) whose index is i-1 modulo n, so segments never share a nonce, an
 * account sequence or a key, and together they are the whole workload.
 */
export interface Segment {
  /** 0-based: `--segment 2/4` is { index: 1, count: 4 }. */
  readonly index: number;
  readonly count: number;
}

/** The whole workload: what every run has without `--segment`. */
export const WHOLE: Segment = Object.freeze({ index: 0, count: 1 });

/** Parses `i/n` (1 ≤ i ≤ n ≤ 10,000); undefined for anything else, so the caller names the bad input. */
export function parseSegment(text: string): Segment | undefined {
  const m = /^\s*(\d{1,5})\s*\/\s*(\d{1,5})\s*$/.exec(text);
  if (!m) return undefined;
  const i = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || n > 10_000 || i < 1 || i > n) return undefined;
  return { index: i - 1, count: n };
}

export function formatSegment(s: Segment): string {
  return `${s.index + 1}/${s.count}`;
}

/** Whether item `i` (a sender, an account, a client) belongs to this segment. */
export function ownsItem(s: Segment, i: number): boolean {
  return i % s.count === s.index;
}

/** How many of items [0, total) this segment owns. */
export function ownedCount(s: Segment, total: number): number {
  return Math.max(0, Math.floor((total - s.index + s.count - 1) / s.count));
}

/** This segment's share of a rate (per second): rates split evenly. */
export function rateShare(s: Segment, rate: number): number {
  return rate / s.count;
}

/** This segment's share of a count bound: the bounds of all segments add up to `total` exactly. */
export function countShare(s: Segment, total: number): number {
  return ownedCount(s, total);
}

/** The indices of items [0, total) this segment owns, in order. */
export function ownedItems(s: Segment, total: number): number[] {
  return Array.from({ length: ownedCount(s, total) }, (_, k) => s.index + k * s.count);
}
