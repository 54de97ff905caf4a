/**
 * Seeded randomness: every random choice of a run (fault times, which node, end modes) comes from the
 * scenario seed and a label naming the choice, so the same scenario and seed replay the same run, and
 * adding one random choice does not shift the others.
 */

/** A PRNG (mulberry32) for `seed` and a label; returns floats in [0, 1). */
export function seededRandom(seed: number, label: string): () => number {
  let state = (fnv1a(label) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
