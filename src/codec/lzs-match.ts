/**
 * Match finder of the codec 2 encoder: hash chains keyed by the next 2 bytes, walked newest first within the
 * window. For each position it lists the longest match found at each increasing length, nearest first, which
 * is all the optimal parser needs (a longer length at a farther distance is only worth it when longer).
 */
const DEFAULT_DEPTH = 128;

export class MatchFinder {
  private readonly head = new Int32Array(65536).fill(-1);
  private readonly prev: Int32Array;
  private inserted = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly window: number,
    private readonly maxLen: number,
    /** Stop walking a chain at a match this long: the parser takes it without comparing alternatives. */
    private readonly niceLen: number,
    private readonly depth = DEFAULT_DEPTH,
  ) {
    this.prev = new Int32Array(data.length);
  }

  /**
   * Fills `out` with (length, distance) pairs of strictly increasing length, all >= 2, for matches starting
   * at `pos`, and returns the number of values written (2 per match). Positions before `pos` are inserted
   * into the chains first; `pos` itself after the search.
   */
  find(pos: number, out: Int32Array): number {
    this.insertUpTo(pos);
    const data = this.data;
    const limit = Math.min(this.maxLen, data.length - pos);
    let count = 0;
    if (limit >= 2) {
      let best = 1;
      let j = this.head[data[pos]! | (data[pos + 1]! << 8)]!;
      for (let steps = 0; j >= 0 && pos - j <= this.window && steps < this.depth; steps++, j = this.prev[j]!) {
        if (data[j + best] !== data[pos + best]) continue;
        let len = 2;
        while (len < limit && data[j + len] === data[pos + len]) len++;
        if (len <= best) continue;
        best = len;
        out[count++] = len;
        out[count++] = pos - j;
        if (len >= this.niceLen || len === limit) break;
      }
    }
    this.insertUpTo(pos + 1);
    return count;
  }

  /** Adds positions [inserted, end) to the chains (positions the parser skipped inside long matches too). */
  insertUpTo(end: number): void {
    const data = this.data;
    const last = Math.min(end, data.length - 1);
    for (; this.inserted < last; this.inserted++) {
      const key = data[this.inserted]! | (data[this.inserted + 1]! << 8);
      this.prev[this.inserted] = this.head[key]!;
      this.head[key] = this.inserted;
    }
  }
}
