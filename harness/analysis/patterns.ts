/**
 * Leak patterns (../shared/reference/README.md): the growth signature in a diff and its usual cause.
 * (Implementation follows; the types are the contract the report reads.)
 */

export type PatternId = 'goroutine-parked' | 'map-never-pruned' | 'timers-contexts' | 'log-formatting' | 'decoder-buffers' | 'unclosed-iterators' | 'outside-heap' | 'unclassified';

export interface SuspectFrame {
  /** The function most likely at fault: the nearest caller outside the runtime and standard library. */
  function: string;
  /** Growth attributed to it: bytes (heap patterns) or goroutines. */
  growth: number;
  /** A representative stack, leaf first. */
  stack: string[];
}

export interface PatternFinding {
  pattern: PatternId;
  /** Short title: "goroutines parked on one stack". */
  title: string;
  unit: 'bytes' | 'goroutines';
  /** Total growth matching the signature. */
  growth: number;
  /** Suspects, most growth first: the leaking function is the first row. */
  suspects: SuspectFrame[];
  /** The usual fix, one line. */
  hint: string;
}
