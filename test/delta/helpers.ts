/** Shared generators for the delta tests: deterministic pseudo-random edits of a byte array. */

/** A small deterministic PRNG (mulberry32), so a fast-check seed fully determines an edit script. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `source` with a few insertions, deletions and scattered byte edits. */
export function editedCopy(source: Uint8Array, seed: number, edits = 6): Uint8Array {
  const rand = prng(seed);
  const out = Array.from(source);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (out.length + 1));
    const kind = rand();
    if (kind < 0.3) {
      const n = 1 + Math.floor(rand() * 200);
      out.splice(at, 0, ...Array.from({ length: n }, () => Math.floor(rand() * 256)));
    } else if (kind < 0.5) {
      out.splice(at, 1 + Math.floor(rand() * 200));
    } else {
      for (let k = 0; k < 20; k++) {
        const p = Math.floor(rand() * out.length);
        if (p < out.length) out[p] = Math.floor(rand() * 256);
      }
    }
  }
  return Uint8Array.from(out);
}
