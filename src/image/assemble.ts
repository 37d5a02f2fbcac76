/** Join address-tagged chunks into one contiguous image (shared by the ELF and Intel HEX loaders). */
import { InvalidInputError } from '../errors.js';
import { type Chunk, MAX_IMAGE_SPAN } from './types.js';

export interface AssembledImage {
  loadAddress: number;
  data: Uint8Array;
}

/** Lowest chunk start and highest chunk end (exclusive); chunks must be non-empty. */
export function chunkBounds<T extends Chunk>(chunks: readonly T[]): { low: T; high: T; start: number; end: number } {
  let low = chunks[0]!;
  let high = chunks[0]!;
  for (const c of chunks) {
    if (c.address < low.address) low = c;
    if (c.address + c.bytes.length > high.address + high.bytes.length) high = c;
  }
  return { low, high, start: low.address, end: high.address + high.bytes.length };
}

/**
 * Copy the chunks into a buffer covering [lowest, highest) and fill the gaps with `gapFill`.
 * Later chunks overwrite earlier ones where they overlap (callers that must refuse overlaps check first).
 * `describeSpan` words the error when the span exceeds MAX_IMAGE_SPAN.
 */
export function assembleChunks<T extends Chunk>(
  chunks: readonly T[],
  gapFill: number,
  describeSpan: (low: T, high: T, span: number) => string,
): AssembledImage {
  const { low, high, start, end } = chunkBounds(chunks);
  const span = end - start;
  if (span > MAX_IMAGE_SPAN) throw new InvalidInputError(describeSpan(low, high, span));
  const data = new Uint8Array(span);
  if (gapFill !== 0) data.fill(gapFill);
  for (const c of chunks) data.set(c.bytes, c.address - start);
  return { loadAddress: start, data };
}
