/**
 * Address maps old -> new (docs/FORMAT.md, "Cortex-M relocation"). Both are piecewise shifts: a sorted list of
 * segment starts, each with the shift that applies from there up to the next start.
 *
 * The flash map costs no patch bytes: applier and creator derive it from the control table, taking every copy
 * block at least `minSegment` bytes long as a segment (old start -> shift new start - old start). Addresses in
 * gaps take the preceding segment's shift; addresses before the first segment take the first one's.
 * The RAM map is sent in the transform parameters (it is a handful of segments).
 */
import type { Block } from '../../delta/match.js';

export interface ShiftSegment {
  start: number;
  shift: number;
}

export class ShiftMap {
  private readonly starts: Float64Array;
  private readonly shifts: Float64Array;

  /** Segments must be sorted by start; equal starts keep the last one. */
  constructor(segments: readonly ShiftSegment[]) {
    this.starts = new Float64Array(segments.length);
    this.shifts = new Float64Array(segments.length);
    segments.forEach((s, i) => {
      this.starts[i] = s.start;
      this.shifts[i] = s.shift;
    });
  }

  get size(): number {
    return this.starts.length;
  }

  /** Shift of the last segment starting at or before `address` (the first segment's before that). */
  shiftAt(address: number): number {
    const n = this.starts.length;
    if (n === 0) return 0;
    let lo = 0;
    let hi = n - 1;
    if (address < this.starts[0]!) return this.shifts[0]!;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= address) lo = mid;
      else hi = mid - 1;
    }
    return this.shifts[lo]!;
  }
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
 * The flash map in image offsets: long copy blocks sorted by old start (ties by table order, which the sort
 * keeps because it is stable).
 */
export function countFlashSegments(table: readonly Block[], minSegment: number): number {
  return table.reduce((n, b) => n + (b.copyLen >= minSegment ? 1 : 0), 0);
}

export function deriveFlashMap(table: readonly Block[], minSegment: number): ShiftMap {
  const segments = placeBlocks(table)
    .filter((b) => b.copyLen >= minSegment)
    .map((b) => ({ start: b.oldStart, shift: b.newStart - b.oldStart }))
    .sort((a, b) => a.start - b.start);
  return new ShiftMap(segments);
}

/** A RAM map: segments of absolute addresses, valid in [first start, end). */
export interface RamMap {
  segments: ShiftSegment[];
  end: number;
}

/** A value map (RAM or constants) ready for lookups, with its valid range [start, end); empty: [0, 0). */
export function ramShiftMap(ram: RamMap): { map: ShiftMap; start: number; end: number } {
  return { map: new ShiftMap(ram.segments), start: ram.segments[0]?.start ?? 0, end: ram.segments.length ? ram.end : 0 };
}
