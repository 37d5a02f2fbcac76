/** A deliberately naive GF(2) rank, independent of the decoder, to predict whether fragments suffice. */
import { parityRowColumns, type Ts004Version } from '../../src/lorawan/index.js';

/** Rank of the rows of the received fragment indices (uncoded: unit rows; coded: parity rows) over M columns. */
export function receivedRank(indices: Iterable<number>, nbFrag: number, version: Ts004Version): number {
  const rows: bigint[] = [];
  for (const index of new Set(indices)) {
    if (index <= nbFrag) rows.push(1n << BigInt(index - 1));
    else {
      let row = 0n;
      for (const c of parityRowColumns(index - nbFrag, nbFrag, version)) row |= 1n << BigInt(c);
      rows.push(row);
    }
  }
  let rank = 0;
  for (let bit = 0; bit < nbFrag && rank < rows.length; bit++) {
    const mask = 1n << BigInt(bit);
    const at = rows.findIndex((r, i) => i >= rank && (r & mask) !== 0n);
    if (at < 0) continue;
    [rows[rank], rows[at]] = [rows[at]!, rows[rank]!];
    for (let i = 0; i < rows.length; i++) if (i !== rank && rows[i]! & mask) rows[i]! ^= rows[rank]!;
    rank++;
  }
  return rank;
}

/** An incremental basis (rows reduced by their lowest bit): add() tells whether a fragment is independent. */
export class Gf2Basis {
  private readonly pivots = new Map<number, bigint>();

  get rank(): number {
    return this.pivots.size;
  }

  add(index: number, nbFrag: number, version: Ts004Version): boolean {
    let row = 0n;
    if (index <= nbFrag) row = 1n << BigInt(index - 1);
    else for (const c of parityRowColumns(index - nbFrag, nbFrag, version)) row |= 1n << BigInt(c);
    while (row !== 0n) {
      const low = row & -row;
      const bit = low.toString(2).length - 1;
      const pivot = this.pivots.get(bit);
      if (pivot === undefined) {
        this.pivots.set(bit, row);
        return true;
      }
      row ^= pivot;
    }
    return false;
  }
}
