/**
 * Guess the load address of a raw image from the Cortex-M vector table at its start
 * (ARMv7-M ARM B1.5.3 "The vector table": word 0 initial SP, word 1 Reset, words 2..15 the system exceptions,
 * handler addresses with bit 0 set for Thumb). Rule and limits: docs/IMAGES.md, "Base address inference".
 */

const MIN_SP = 0x1000_0000;
const MAX_SP = 0x4000_0000;
const SYSTEM_VECTORS = 16;
/** VTOR ignores bits 0..6: a vector table is at least 128-byte aligned. */
const MIN_ALIGN_BITS = 7;
/** Flash bases of common parts, tried in addition to the ones derived from the handlers. */
const WELL_KNOWN_BASES = [0x0000_0000, 0x0800_0000, 0x0002_0000, 0x0008_0000, 0x0040_0000, 0x1000_0000];

interface Candidate {
  base: number;
  vectorsInside: number;
  entryPointers: number;
}

export function inferBaseFromVectorTable(data: Uint8Array): number | undefined {
  if (data.length < 8) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const initialSp = view.getUint32(0, true);
  const reset = view.getUint32(4, true);
  if (initialSp < MIN_SP || initialSp > MAX_SP || initialSp % 4 !== 0) return undefined;
  if ((reset & 1) === 0) return undefined;

  const handlers: number[] = [];
  const words = Math.min(SYSTEM_VECTORS, data.length >> 2);
  for (let i = 2; i < words; i++) {
    const entry = view.getUint32(i * 4, true);
    if (entry !== 0) handlers.push(entry);
  }
  // With fewer than two handlers besides Reset the evidence is too thin to trust.
  if (handlers.length < 2) return undefined;

  const bytes = Object.getPrototypeOf(data) === Uint8Array.prototype ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const thumbWords = oddWordsOf(bytes);
  const candidates: Candidate[] = [];
  for (const base of candidateBases(reset, handlers)) {
    if (base + data.length > 2 ** 32 || !isInside(reset, base, data.length)) continue;
    const vectorsInside = handlers.filter((h) => isInside(h, base, data.length)).length;
    if (vectorsInside * 2 <= handlers.length) continue; // most handlers must be in the image
    candidates.push({ base, vectorsInside, entryPointers: countEntryPointers(bytes, thumbWords, base) });
  }
  candidates.sort(
    (a, b) =>
      b.vectorsInside - a.vectorsInside ||
      b.entryPointers - a.entryPointers ||
      alignmentBits(b.base) - alignmentBits(a.base),
  );
  return candidates[0]?.base;
}

/** A handler entry is inside when it is a Thumb address past the SP and Reset words and before the end. */
function isInside(entry: number, base: number, size: number): boolean {
  return (entry & 1) === 1 && entry - 1 >= base + 8 && entry - 1 < base + size;
}

/** Reset and the lowest handler rounded down to every power of two from 128 bytes up, plus well-known bases. */
function candidateBases(reset: number, handlers: readonly number[]): Set<number> {
  const anchors = [reset, Math.min(reset, ...handlers.filter((h) => (h & 1) === 1))];
  const bases = new Set(WELL_KNOWN_BASES);
  for (const anchor of anchors) {
    for (let bits = MIN_ALIGN_BITS; bits <= 32; bits++) {
      const unit = 2 ** bits;
      bases.add(Math.floor(anchor / unit) * unit);
    }
  }
  return bases;
}

function alignmentBits(base: number): number {
  if (base === 0) return 32;
  let bits = 0;
  while (base % 2 ** (bits + 1) === 0) bits++;
  return bits;
}

/** Every aligned word with bit 0 set: the candidates for Thumb function pointers. */
function oddWordsOf(data: Uint8Array): Uint32Array {
  const found = new Uint32Array(data.length >> 2);
  let count = 0;
  for (let at = 0; at + 4 <= data.length; at += 4) {
    if ((data[at]! & 1) === 0) continue;
    found[count++] = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
  }
  return found.subarray(0, count);
}

/**
 * Thumb pointers (vector entries, callbacks and other literal-pool words) that, placed at `base`, land on a
 * function prologue: PUSH {..} (T1, 0xB4xx/0xB5xx) or PUSH.W (0xE92D). At the true base a large share of them
 * do (about 40 % on the corpus); at a shifted base they hit a push only by chance (about 1 %).
 */
function countEntryPointers(data: Uint8Array, thumbWords: Uint32Array, base: number): number {
  let count = 0;
  for (let i = 0; i < thumbWords.length; i++) {
    const target = thumbWords[i]! - 1 - base;
    if (target < 8 || target + 2 > data.length) continue;
    const halfword = data[target]! | (data[target + 1]! << 8);
    if ((halfword & 0xfe00) === 0xb400 || halfword === 0xe92d) count++;
  }
  return count;
}
