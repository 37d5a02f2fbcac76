/**
 * Address maps old -> new (docs/FORMAT.md, "Predicted old bytes"). All are piecewise shifts: a sorted list of
 * segment starts, each with the shift that applies from there up to the next start.
 *
 * The flash map costs almost no patch bytes: its segments are control entries flagged in the control table
 * (one bit each), so creator and applier read it from the table. A segment is a copy block at least
 * `minSegment` bytes long; the flagged ones must have increasing old starts, so the table itself is sorted by
 * them and a device searches it where the patch is stored. Addresses before the first segment do not move.
 */
import type { Block } from '../../delta/match.js';
import type { RamMap, ShiftSegment } from '../../delta/value-map.js';

export type { RamMap, ShiftSegment };

/** What the predictor asks a map: the shift at an address (or old offset). */
export interface ShiftLookup {
  shiftAt(address: number): number;
}

/** Maps with at least this many segments get a search index. */
const INDEXED_SEGMENTS = 16;

export class ShiftMap implements ShiftLookup {
  private readonly starts: Float64Array;
  private readonly shifts: Float64Array;
  /**
   * A search index for long maps (a flash map has a segment per long copy block): the address span is cut in
   * bucketSize-sized buckets (a power of two), about two per segment, and bucketFirst[b] is the last segment starting at or
   * before bucket b's start; a lookup then searches only the segments that start inside its bucket.
   */
  private readonly bucketFirst: Int32Array;
  /** Kept as a number: `2 ** bits` per lookup would be a Math.pow call in unoptimized code. */
  private readonly bucketSize: number;

  /** Segments must be sorted by start; equal starts keep the last one. */
  constructor(segments: readonly ShiftSegment[]) {
    this.starts = new Float64Array(segments.length);
    this.shifts = new Float64Array(segments.length);
    segments.forEach((s, i) => {
      this.starts[i] = s.start;
      this.shifts[i] = s.shift;
    });
    const n = segments.length;
    const span = n > 0 ? this.starts[n - 1]! - this.starts[0]! : 0;
    let bits = 0;
    while (n >= INDEXED_SEGMENTS && span / 2 ** bits > 2 * n) bits++;
    this.bucketSize = 2 ** bits;
    this.bucketFirst = new Int32Array(n >= INDEXED_SEGMENTS ? Math.floor(span / 2 ** bits) + 2 : 0);
    for (let b = 0, i = 0; b < this.bucketFirst.length; b++) {
      const bucketStart = this.starts[0]! + b * 2 ** bits;
      while (i + 1 < n && this.starts[i + 1]! <= bucketStart) i++;
      this.bucketFirst[b] = i;
    }
  }

  get size(): number {
    return this.starts.length;
  }

  /** Shift of the last segment starting at or before `address`; 0 before the first. */
  shiftAt(address: number): number {
    const starts = this.starts;
    const n = starts.length;
    if (n === 0 || address < starts[0]!) return 0;
    let lo = 0;
    let hi = n - 1;
    if (this.bucketFirst.length > 0 && address < starts[n - 1]!) {
      // The answer lies between the last segment at or before this bucket and the one at or before the next.
      const bucket = Math.floor((address - starts[0]!) / this.bucketSize);
      lo = this.bucketFirst[bucket]!;
      hi = this.bucketFirst[bucket + 1]!;
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= address) lo = mid;
      else hi = mid - 1;
    }
    return this.shifts[lo]!;
  }

  /** The same lookups for addresses that never decrease (a sweep): a cursor walks the segments, no search. */
  forward(): ShiftLookup {
    const starts = this.starts;
    const shifts = this.shifts;
    let next = 0;
    return {
      shiftAt(address: number): number {
        if (next > 0 && address < starts[next - 1]!) throw new RangeError(`forward lookup went back to ${address}`);
        while (next < starts.length && starts[next]! <= address) next++;
        return next === 0 ? 0 : shifts[next - 1]!;
      },
    };
  }
}

/** A lookup for non-decreasing addresses: the cursor of a ShiftMap, any other map as it is. */
export function forwardLookup(map: ShiftLookup): ShiftLookup {
  return map instanceof ShiftMap ? map.forward() : map;
}

/** Copy blocks in new order, with their new start offsets. */
export function placeBlocks(table: readonly Block[]): Array<Block & { newStart: number }> {
  let newStart = 0;
  return table.map((b) => {
    const placed = { ...b, newStart };
    newStart += b.copyLen + b.extraLen;
    return placed;
  });
}

/**
 * Which blocks become flash map segments: among the blocks at least `minSegment` long, the subsequence with
 * increasing old starts that covers the most bytes (a weighted longest increasing subsequence). Blocks left
 * out are code that moved against the order of the rest; their targets are predicted from the segment before.
 */
export function segmentFlags(blocks: readonly Block[], minSegment: number): boolean[] {
  const eligible = blocks.flatMap((b, i) => (b.copyLen >= minSegment ? [i] : []));
  // best[j]: the largest weight of an increasing run ending at eligible[j]; by start, through a sorted sweep.
  const order = eligible.map((_, j) => j).sort((a, b) => blocks[eligible[a]!]!.oldStart - blocks[eligible[b]!]!.oldStart || b - a);
  const tree = new FenwickMax(eligible.length);
  const best = new Float64Array(eligible.length);
  const previous = new Int32Array(eligible.length).fill(-1);
  for (const j of order) {
    // Runs ending at an earlier table position with a smaller start (equal starts come later in `order`).
    const [weight, from] = tree.query(j);
    best[j] = weight + blocks[eligible[j]!]!.copyLen;
    previous[j] = from;
    tree.update(j, best[j]!, j);
  }
  const flags = new Array<boolean>(blocks.length).fill(false);
  let end = -1;
  for (let j = 0; j < eligible.length; j++) if (end < 0 || best[j]! > best[end]!) end = j;
  for (let j = end; j >= 0; j = previous[j]!) flags[eligible[j]!] = true;
  return flags;
}

/** The flash map in image offsets: the flagged blocks, old start -> new start - old start. */
export function flashMapOf(blocks: readonly Block[], flags: readonly boolean[]): ShiftMap {
  const segments = placeBlocks(blocks)
    .filter((_, i) => flags[i])
    .map((b) => ({ start: b.oldStart, shift: b.newStart - b.oldStart }));
  return new ShiftMap(segments);
}

/** Prefix maxima over positions [0, i) with the position that holds them. */
class FenwickMax {
  private readonly value: Float64Array;
  private readonly at: Int32Array;

  constructor(size: number) {
    this.value = new Float64Array(size + 1);
    this.at = new Int32Array(size + 1).fill(-1);
  }

  query(end: number): [number, number] {
    let best = 0;
    let at = -1;
    for (let i = end; i > 0; i -= i & -i) {
      if (this.value[i]! > best) {
        best = this.value[i]!;
        at = this.at[i]!;
      }
    }
    return [best, at];
  }

  update(position: number, value: number, at: number): void {
    for (let i = position + 1; i < this.value.length; i += i & -i) {
      if (value > this.value[i]!) {
        this.value[i] = value;
        this.at[i] = at;
      }
    }
  }
}

/** A value map (RAM or constants) ready for lookups, with its valid range [start, end); empty: [0, 0). */
export function ramShiftMap(ram: RamMap): { map: ShiftMap; start: number; end: number } {
  return { map: new ShiftMap(ram.segments), start: ram.segments[0]?.start ?? 0, end: ram.segments.length ? ram.end : 0 };
}
