/**
 * TS004 parity-matrix rows (reference sections 1.2 and 1.3). v1.0.0 and v2.0.0 differ only in how draws
 * are counted: v1 counts every draw (duplicates collapse, so a row has at most floor(M/2) ones), v2 counts
 * distinct columns only (exactly floor(M/2) ones).
 */
import { UsageError } from '../errors.js';

export type Ts004Version = 1 | 2;

/** Largest over-the-air index N: 14 bits. */
export const MAX_FRAGMENT_INDEX = 16383;

/**
 * One step of the 23-bit Fibonacci LFSR (x^23 + x^18 + 1). Addition, not OR, as every implementation
 * does: it differs only for x >= 2^23 (seeds of rows n >= 8381).
 */
export function prbs23(x: number): number {
  return (x >>> 1) + (((x ^ (x >>> 5)) & 1) << 22);
}

/** The residue modulus: M + 1 when M is a power of two (then the value M is redrawn), else M. */
function rowModulus(nbFrag: number): number {
  return (nbFrag & (nbFrag - 1)) === 0 ? nbFrag + 1 : nbFrag;
}

/**
 * The distinct columns (0-based, in draw order) of parity row `n` for `nbFrag` uncoded fragments.
 * Row n is used by the coded fragment with over-the-air index N = M + n (n >= 1; n = 0 is accepted only
 * to compare with implementations that seed off by one).
 */
export function parityRowColumns(n: number, nbFrag: number, version: Ts004Version, scratch?: Uint8Array): Uint16Array {
  if (!Number.isInteger(nbFrag) || nbFrag < 1 || nbFrag > MAX_FRAGMENT_INDEX) {
    throw new UsageError(`number of fragments must be 1..${MAX_FRAGMENT_INDEX}, got ${nbFrag}`);
  }
  if (!Number.isInteger(n) || n < 0 || n > MAX_FRAGMENT_INDEX) throw new UsageError(`parity row must be 0..${MAX_FRAGMENT_INDEX}, got ${n}`);
  const seen = scratch && scratch.length >= nbFrag ? scratch : new Uint8Array(nbFrag);
  const target = nbFrag >>> 1;
  const modulus = rowModulus(nbFrag);
  const columns = new Uint16Array(target);
  let distinct = 0;
  let draws = 0;
  let x = 1 + 1001 * n;
  while ((version === 1 ? draws : distinct) < target) {
    let r: number;
    do {
      x = prbs23(x);
      r = x % modulus;
    } while (r >= nbFrag);
    draws++;
    if (seen[r] === 0) {
      seen[r] = 1;
      columns[distinct++] = r;
    }
  }
  for (let i = 0; i < distinct; i++) seen[columns[i]!] = 0;
  return distinct === target ? columns : columns.slice(0, distinct);
}

/** Parity row `n` as a bit set (bit j of word j >> 5 = column j). */
export function parityRowBits(n: number, nbFrag: number, version: Ts004Version): Uint32Array {
  const bits = new Uint32Array((nbFrag + 31) >>> 5);
  for (const column of parityRowColumns(n, nbFrag, version)) bits[column >>> 5]! |= 1 << (column & 31);
  return bits;
}

/**
 * Parity rows of one session, optionally kept so that repeated decodes (simulation trials) compute
 * each row once.
 */
export class ParityMatrix {
  private readonly scratch: Uint8Array;
  private readonly cache: Map<number, Uint16Array> | undefined;

  constructor(
    readonly nbFrag: number,
    readonly version: Ts004Version,
    options: { cache?: boolean } = {},
  ) {
    this.scratch = new Uint8Array(nbFrag);
    this.cache = options.cache ? new Map() : undefined;
  }

  /** Columns of the coded fragment with over-the-air index `index` (> M). */
  columnsForIndex(index: number): Uint16Array {
    return this.row(index - this.nbFrag);
  }

  row(n: number): Uint16Array {
    const cached = this.cache?.get(n);
    if (cached) return cached;
    const columns = parityRowColumns(n, this.nbFrag, this.version, this.scratch);
    this.cache?.set(n, columns);
    return columns;
  }
}
