/**
 * Stash windows of an in-place patch (docs/FORMAT.md, "Stash windows"). Where units swap content (new unit a
 * copies from old unit b and new b from old a), one unit of scratch holding the next unit's new bytes loses
 * one side of every such cycle. A window is a few units written one after the other whose old bytes the
 * units of the window read are first saved in the scratch unit, as a list of old ranges (the stash); each unit
 * of the window is then erased and written directly, its copies from the window's units reading the stash.
 * The units outside windows keep the scratch-then-commit scheme.
 */
import type { Block } from '../delta/match.js';

/** `count` units written from the `first`-th of the write sequence on; the old ranges saved in the scratch. */
export interface StashWindow {
  first: number;
  count: number;
  ranges: StashRange[];
}

export interface StashRange {
  /** Offset in the old image (and the slot). */
  start: number;
  length: number;
}

/** Limits a device checks in a fixed amount of RAM and time (docs/FORMAT.md). */
export const MAX_STASH_WINDOWS = 32;
export const MAX_WINDOW_UNITS = 8;
export const MAX_WINDOW_RANGES = 1024;

/** Why these windows do not fit the write sequence and geometry; undefined when they do. */
export function stashProblem(windows: readonly StashWindow[], sequence: readonly number[], eraseUnit: number, oldSize: number): string | undefined {
  if (windows.length > MAX_STASH_WINDOWS) return `${windows.length} stash windows (at most ${MAX_STASH_WINDOWS})`;
  let end = 0;
  for (const w of windows) {
    if (w.first < end || w.count < 2 || w.count > MAX_WINDOW_UNITS || w.first + w.count > sequence.length) {
      return `a window of ${w.count} units from the ${w.first}-th unit written (windows follow each other, 2 to ${MAX_WINDOW_UNITS} units, inside the ${sequence.length} units)`;
    }
    end = w.first + w.count;
    if (w.ranges.length < 1 || w.ranges.length > MAX_WINDOW_RANGES) return `a window with ${w.ranges.length} stash ranges (1 to ${MAX_WINDOW_RANGES})`;
    const units = new Set(sequence.slice(w.first, end));
    let total = 0;
    let previousEnd = 0;
    for (const r of w.ranges) {
      const unit = Math.floor(r.start / eraseUnit);
      if (r.length < 1 || r.start < previousEnd || r.start + r.length > oldSize || Math.floor((r.start + r.length - 1) / eraseUnit) !== unit || !units.has(unit)) {
        return `a stash range of ${r.length} bytes at ${r.start} (ranges increase, lie in the old image, each inside one unit of its window)`;
      }
      previousEnd = r.start + r.length;
      total += r.length;
    }
    if (total > eraseUnit) return `a stash of ${total} bytes for a ${eraseUnit}-byte scratch unit`;
  }
  return undefined;
}

/** The window (index) each position of the write sequence is in, or -1. */
export function windowAtPosition(windows: readonly StashWindow[], units: number): Int32Array {
  const at = new Int32Array(units).fill(-1);
  windows.forEach((w, i) => at.fill(i, w.first, w.first + w.count));
  return at;
}

/** Where each range starts in the scratch unit: the ranges one after the other. */
export function stashOffsets(w: StashWindow): number[] {
  let at = 0;
  return w.ranges.map((r) => {
    const offset = at;
    at += r.length;
    return offset;
  });
}

/** A gap this short between two needed stretches is saved with them: a range costs about as much. */
const MERGE_GAP = 4;

interface Stretch {
  newUnit: number;
  oldUnit: number;
  start: number;
  length: number;
}

function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/**
 * Chooses windows over a write sequence: a dynamic programme over where windows start and end that keeps
 * the most copy bytes (those whose old unit is written earlier in the same window), less the bytes the
 * header spends describing the stash; a window's stash must fit the scratch unit.
 */
export function planStash(blocks: readonly Block[], unitSize: number, sequence: readonly number[], oldSize: number): StashWindow[] {
  const n = sequence.length;
  if (n < 2) return [];
  const rank = new Map(sequence.map((unit, i) => [unit, i]));
  const byNewUnit = new Map<number, Stretch[]>();
  let newPos = 0;
  for (const b of blocks) {
    for (let done = 0; done < b.copyLen; ) {
      const at = newPos + done;
      const p = b.oldStart + done;
      const length = Math.min(b.copyLen - done, unitSize - (at % unitSize), unitSize - (p % unitSize));
      const s = { newUnit: Math.floor(at / unitSize), oldUnit: Math.floor(p / unitSize), start: p, length };
      const list = byNewUnit.get(s.newUnit);
      if (list) list.push(s);
      else byNewUnit.set(s.newUnit, [s]);
      done += length;
    }
    newPos += b.copyLen + b.extraLen;
  }
  const windowOf = (first: number, count: number): { window: StashWindow; kept: number; cost: number } | undefined => {
    const members = new Set(sequence.slice(first, first + count));
    const marks = new Map<number, Uint8Array>();
    let kept = 0;
    for (const unit of members) {
      for (const s of byNewUnit.get(unit) ?? []) {
        if (!members.has(s.oldUnit) || rank.get(s.oldUnit)! > rank.get(unit)!) continue;
        if (s.oldUnit !== unit) kept += s.length;
        let m = marks.get(s.oldUnit);
        if (!m) marks.set(s.oldUnit, (m = new Uint8Array(unitSize)));
        m.fill(1, s.start - s.oldUnit * unitSize, s.start - s.oldUnit * unitSize + s.length);
      }
    }
    const ranges: StashRange[] = [];
    let total = 0;
    for (const unit of [...marks.keys()].sort((a, b) => a - b)) {
      const m = marks.get(unit)!;
      const base = unit * unitSize;
      const limit = Math.min(unitSize, oldSize - base);
      for (let i = 0; i < limit; ) {
        if (!m[i]) {
          i++;
          continue;
        }
        let end = i;
        while (end < limit && m[end]) end++;
        const last = ranges[ranges.length - 1];
        if (last && last.start + last.length + MERGE_GAP >= base + i && Math.floor(last.start / unitSize) === unit) {
          total += base + end - (last.start + last.length);
          last.length = base + end - last.start;
        } else {
          ranges.push({ start: base + i, length: end - i });
          total += end - i;
        }
        i = end;
      }
    }
    if (total > unitSize || ranges.length > MAX_WINDOW_RANGES) return undefined;
    if (ranges.length === 0) return { window: { first, count, ranges }, kept: 0, cost: 0 };
    let cost = uvarintSize(first) + 2 + uvarintSize(ranges.length);
    let previousEnd = 0;
    for (const r of ranges) {
      cost += uvarintSize(r.start - previousEnd) + uvarintSize(r.length);
      previousEnd = r.start + r.length;
    }
    return { window: { first, count, ranges }, kept, cost };
  };
  // best[j]: the most bytes kept (net of their description) by windows within the first j positions.
  const best = new Float64Array(n + 1);
  const choice: Array<StashWindow | undefined> = new Array(n + 1).fill(undefined);
  for (let j = 1; j <= n; j++) {
    best[j] = best[j - 1]!;
    for (let count = 2; count <= MAX_WINDOW_UNITS && count <= j; count++) {
      const w = windowOf(j - count, count);
      if (!w) break; // a longer window only needs more stash
      const value = best[j - count]! + w.kept - w.cost;
      if (w.kept > w.cost && value > best[j]!) {
        best[j] = value;
        choice[j] = w.window;
      }
    }
  }
  const windows: StashWindow[] = [];
  for (let j = n; j > 0; ) {
    const w = choice[j];
    if (w) {
      windows.push(w);
      j = w.first;
    } else {
      j--;
    }
  }
  windows.reverse();
  // Only the windows worth the most when there are too many for the header's limit.
  if (windows.length > MAX_STASH_WINDOWS) {
    return windows
      .map((w) => ({ w, kept: windowOf(w.first, w.count)!.kept }))
      .sort((a, b) => b.kept - a.kept)
      .slice(0, MAX_STASH_WINDOWS)
      .map((x) => x.w)
      .sort((a, b) => a.first - b.first);
  }
  return windows;
}
