/**
 * Fragment rows held as 32-bit words so XORs run four bytes at a time: row i occupies words
 * [i·W, (i+1)·W) with W = ceil(FragSize / 4); bytes past FragSize in a row stay zero.
 */

export function wordsPerRow(fragSize: number): number {
  return (fragSize + 3) >>> 2;
}

/** dst[dstOffset + k] ^= src[srcOffset + k] for k < words. */
export function xorWords(dst: Uint32Array, dstOffset: number, src: Uint32Array, srcOffset: number, words: number): void {
  for (let k = 0; k < words; k++) dst[dstOffset + k]! ^= src[srcOffset + k]!;
}

/** Copies `fragSize` bytes per row out of word storage into a contiguous byte array of `length` bytes. */
export function rowsToBytes(rows: Uint32Array, fragSize: number, length: number): Uint8Array {
  const stride = wordsPerRow(fragSize) * 4;
  const bytes = new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
  if (stride === fragSize) return bytes.slice(0, length);
  const out = new Uint8Array(length);
  for (let offset = 0, row = 0; offset < length; offset += fragSize, row++) {
    out.set(bytes.subarray(row * stride, row * stride + Math.min(fragSize, length - offset)), offset);
  }
  return out;
}

/** Lays `data` out as `nbFrag` rows of `fragSize` bytes; the tail of the last row stays zero (the padding). */
export function bytesToRows(data: Uint8Array, fragSize: number, nbFrag: number): Uint32Array {
  const words = wordsPerRow(fragSize);
  const rows = new Uint32Array(nbFrag * words);
  const bytes = new Uint8Array(rows.buffer);
  if (words * 4 === fragSize) {
    bytes.set(data);
  } else {
    for (let row = 0; row * fragSize < data.length; row++) {
      bytes.set(data.subarray(row * fragSize, (row + 1) * fragSize), row * words * 4);
    }
  }
  return rows;
}
