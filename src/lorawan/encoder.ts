/**
 * TS004 FEC encoder (reference section 1): M = ceil(L/S) uncoded fragments, the last one zero-padded, then
 * coded fragments N = M+1, M+2, … each the XOR of the uncoded fragments selected by parity row n = N − M.
 */
import { InvalidInputError, UsageError } from '../errors.js';
import { MAX_FRAGMENT_INDEX, ParityMatrix, type Ts004Version } from './parity.js';
import { bytesToRows, wordsPerRow, xorWords } from './rows.js';

export interface BlockLayout {
  /** Data block size L in bytes. */
  dataSize: number;
  /** FragSize S. */
  fragSize: number;
  /** NbFrag M = ceil(L/S). */
  nbFrag: number;
  /** Padding = M·S − L (zero bytes appended to the last uncoded fragment). */
  padding: number;
}

export function blockLayout(dataSize: number, fragSize: number): BlockLayout {
  if (!Number.isInteger(fragSize) || fragSize < 1 || fragSize > 255) throw new UsageError(`fragment size must be 1..255 bytes, got ${fragSize}`);
  if (dataSize < 1) throw new InvalidInputError('the data block is empty: nothing to fragment');
  const nbFrag = Math.ceil(dataSize / fragSize);
  return { dataSize, fragSize, nbFrag, padding: nbFrag * fragSize - dataSize };
}

export class FecEncoder {
  readonly layout: BlockLayout;
  private readonly rows: Uint32Array;
  private readonly words: number;
  private readonly matrix: ParityMatrix;

  constructor(
    data: Uint8Array,
    fragSize: number,
    readonly version: Ts004Version,
  ) {
    this.layout = blockLayout(data.length, fragSize);
    if (this.layout.nbFrag > MAX_FRAGMENT_INDEX) {
      throw new UsageError(`${this.layout.nbFrag} fragments exceed the 14-bit index limit (${MAX_FRAGMENT_INDEX}); use a larger fragment size`);
    }
    this.words = wordsPerRow(fragSize);
    this.rows = bytesToRows(data, fragSize, this.layout.nbFrag);
    this.matrix = new ParityMatrix(this.layout.nbFrag, version);
  }

  /** Payload (FragSize bytes) of the fragment with over-the-air index N (1-based). */
  fragment(index: number): Uint8Array {
    const { nbFrag, fragSize } = this.layout;
    if (!Number.isInteger(index) || index < 1 || index > MAX_FRAGMENT_INDEX) {
      throw new UsageError(`fragment index must be 1..${MAX_FRAGMENT_INDEX}, got ${index}`);
    }
    const out = new Uint32Array(this.words);
    if (index <= nbFrag) {
      out.set(this.rows.subarray((index - 1) * this.words, index * this.words));
    } else {
      for (const column of this.matrix.columnsForIndex(index)) xorWords(out, 0, this.rows, column * this.words, this.words);
    }
    return new Uint8Array(out.buffer, 0, fragSize);
  }
}

/** Payloads of fragments N = 1 .. M + redundancy. */
export function encodeFragments(data: Uint8Array, fragSize: number, redundancy: number, version: Ts004Version): Uint8Array[] {
  const encoder = new FecEncoder(data, fragSize, version);
  const total = encoder.layout.nbFrag + redundancy;
  if (!Number.isInteger(redundancy) || redundancy < 0 || total > MAX_FRAGMENT_INDEX) {
    throw new UsageError(`redundancy must be 0..${MAX_FRAGMENT_INDEX - encoder.layout.nbFrag} coded fragments for ${encoder.layout.nbFrag} fragments, got ${redundancy}`);
  }
  const out: Uint8Array[] = [];
  for (let index = 1; index <= total; index++) out.push(encoder.fragment(index));
  return out;
}
