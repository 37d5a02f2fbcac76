/**
 * The order in which an in-place patch writes the erase units of the new image (docs/FORMAT.md, "In-place
 * patches"). A copy of new unit u from old unit v needs v still old when u is built: u must be written
 * before v. Content that moved up wants the units written from the last to the first, content that moved
 * down from the first to the last; a real update has both, so the creator orders the units to break as few
 * copy bytes as it can, and the header lists the order as runs of consecutive units.
 */
import type { Block } from '../delta/match.js';

/** `count` units written one after the other from `first`, upwards or (backward) downwards. */
export interface UnitRun {
  first: number;
  count: number;
  backward: boolean;
}

/** The most runs a write order may have (docs/FORMAT.md): a device checks them in a fixed amount of RAM. */
export const MAX_WRITE_ORDER_RUNS = 32;

/** The units in the order they are written. */
export function writeSequence(runs: readonly UnitRun[]): number[] {
  const out: number[] = [];
  for (const r of runs) for (let i = 0; i < r.count; i++) out.push(r.backward ? r.first - i : r.first + i);
  return out;
}

/** Why these runs are not an order of units 0 .. units - 1, each once; undefined when they are. */
export function orderProblem(runs: readonly UnitRun[], units: number): string | undefined {
  if (runs.length > units || runs.length > MAX_WRITE_ORDER_RUNS) return `${runs.length} runs for ${units} units (at most ${MAX_WRITE_ORDER_RUNS})`;
  const seen = new Uint8Array(units);
  let total = 0;
  for (const r of runs) {
    const last = r.backward ? r.first - r.count + 1 : r.first + r.count - 1;
    if (r.count < 1 || r.first >= units || last < 0 || last >= units) return `a run of ${r.count} units from unit ${r.first} leaves the ${units} units`;
    total += r.count;
    for (let i = 0; i < r.count; i++) {
      const unit = r.backward ? r.first - i : r.first + i;
      if (seen[unit]) return `unit ${unit} is written twice`;
      seen[unit] = 1;
    }
  }
  return total === units ? undefined : `the runs write ${total} of ${units} units`;
}

/** The shortest runs for a sequence of units. */
export function runsOf(sequence: readonly number[]): UnitRun[] {
  const runs: UnitRun[] = [];
  for (const unit of sequence) {
    const last = runs[runs.length - 1];
    if (last && last.count === 1 && Math.abs(unit - last.first) === 1) {
      last.backward = unit < last.first;
      last.count = 2;
    } else if (last && last.count > 1 && unit === (last.backward ? last.first - last.count : last.first + last.count)) {
      last.count++;
    } else {
      runs.push({ first: unit, count: 1, backward: false });
    }
  }
  return runs;
}

/** Bytes of new unit `from` copied from old unit `to` (from !== to), keyed `from * units + to`. */
export function copyDependencies(blocks: readonly Block[], unitSize: number, units: number): Map<number, number> {
  const weights = new Map<number, number>();
  let newPos = 0;
  for (const b of blocks) {
    // Walk the block in stretches where both the new and the old unit stay the same.
    for (let done = 0; done < b.copyLen; ) {
      const n = newPos + done;
      const p = b.oldStart + done;
      const len = Math.min(b.copyLen - done, unitSize - (n % unitSize), unitSize - (p % unitSize));
      const from = Math.floor(n / unitSize);
      const to = Math.floor(p / unitSize);
      if (from !== to && to < units) weights.set(from * units + to, (weights.get(from * units + to) ?? 0) + len);
      done += len;
    }
    newPos += b.copyLen + b.extraLen;
  }
  return weights;
}

/** Copy bytes whose source unit is already written when their unit is built, for one write sequence. */
export function brokenCopyBytes(weights: Map<number, number>, sequence: readonly number[], units: number): number {
  const rank = new Int32Array(units);
  sequence.forEach((unit, i) => (rank[unit] = i));
  let broken = 0;
  for (const [key, w] of weights) {
    const from = Math.floor(key / units);
    const to = key % units;
    if (rank[to]! < rank[from]!) broken += w;
  }
  return broken;
}

/** Above this many units only the two plain directions are tried (the greedy order costs units^2). */
const MAX_ORDERED_UNITS = 4096;

/**
 * The write order for a block list: forward, backward, or a greedy order (Eades, Lin and Smyth's heuristic
 * for a small feedback arc set: sources first, sinks last, else the unit with the most outgoing weight
 * left), whichever breaks the fewest copy bytes; ties go to the fewer runs.
 */
export function chooseOrder(blocks: readonly Block[], newSize: number, unitSize: number): UnitRun[] {
  const units = Math.ceil(newSize / unitSize);
  if (units === 0) return [];
  const forward = Array.from({ length: units }, (_, i) => i);
  const candidates = [forward, [...forward].reverse()];
  const weights = copyDependencies(blocks, unitSize, units);
  if (units <= MAX_ORDERED_UNITS) candidates.push(greedyOrder(weights, units));
  let best: { sequence: number[]; runs: UnitRun[]; broken: number } | undefined;
  for (const sequence of candidates) {
    const runs = runsOf(sequence);
    if (runs.length > MAX_WRITE_ORDER_RUNS) continue;
    const broken = brokenCopyBytes(weights, sequence, units);
    if (!best || broken < best.broken || (broken === best.broken && runs.length < best.runs.length)) best = { sequence, runs, broken };
  }
  if (units > MAX_ORDERED_UNITS || best!.broken === 0) return best!.runs;
  const improved = runsOf(improveByMoves(best!.sequence, weights, units));
  return improved.length <= MAX_WRITE_ORDER_RUNS ? improved : best!.runs;
}

/**
 * Local search: move single units to the place in the sequence that breaks the fewest copy bytes, while any
 * move helps (a few sweeps). Moving u past v only changes the two edges between u and v.
 */
function improveByMoves(start: readonly number[], weights: Map<number, number>, units: number): number[] {
  const neighbours: Array<Map<number, { out: number; in: number }>> = Array.from({ length: units }, () => new Map());
  for (const [key, w] of weights) {
    const from = Math.floor(key / units);
    const to = key % units;
    const a = neighbours[from]!.get(to) ?? { out: 0, in: 0 };
    a.out += w;
    neighbours[from]!.set(to, a);
    const b = neighbours[to]!.get(from) ?? { out: 0, in: 0 };
    b.in += w;
    neighbours[to]!.set(from, b);
  }
  const sequence = [...start];
  for (let sweep = 0; sweep < 8; sweep++) {
    let improved = false;
    for (let i = 0; i < sequence.length; i++) {
      const u = sequence[i]!;
      const near = neighbours[u]!;
      if (near.size === 0) continue;
      // Gain of moving u to just before position j (j < i) or just after position j (j > i).
      let bestGain = 0;
      let bestAt = i;
      let gain = 0;
      for (let j = i - 1; j >= 0; j--) {
        const e = near.get(sequence[j]!);
        if (e) gain += e.out - e.in; // u now written before v: u->v kept, v->u broken
        if (gain > bestGain) {
          bestGain = gain;
          bestAt = j;
        }
      }
      gain = 0;
      for (let j = i + 1; j < sequence.length; j++) {
        const e = near.get(sequence[j]!);
        if (e) gain += e.in - e.out;
        if (gain > bestGain) {
          bestGain = gain;
          bestAt = j;
        }
      }
      if (bestAt === i) continue;
      sequence.splice(i, 1);
      sequence.splice(bestAt, 0, u);
      improved = true;
    }
    if (!improved) break;
  }
  return sequence;
}

function greedyOrder(weights: Map<number, number>, units: number): number[] {
  const outW = new Float64Array(units);
  const inW = new Float64Array(units);
  const outEdges: Array<Array<[number, number]>> = Array.from({ length: units }, () => []);
  const inEdges: Array<Array<[number, number]>> = Array.from({ length: units }, () => []);
  for (const [key, w] of weights) {
    const from = Math.floor(key / units);
    const to = key % units;
    outW[from] += w;
    inW[to] += w;
    outEdges[from]!.push([to, w]);
    inEdges[to]!.push([from, w]);
  }
  const left = new Uint8Array(units).fill(1);
  const head: number[] = [];
  const tail: number[] = [];
  const remove = (u: number): void => {
    left[u] = 0;
    for (const [to, w] of outEdges[u]!) inW[to] -= w;
    for (const [from, w] of inEdges[u]!) outW[from] -= w;
  };
  for (let remaining = units; remaining > 0; ) {
    let moved = false;
    for (let u = 0; u < units; u++) {
      if (!left[u]) continue;
      if (outW[u] === 0) {
        tail.push(u); // needs nothing still old: written last
        remove(u);
        remaining--;
        moved = true;
      } else if (inW[u] === 0) {
        head.push(u); // nothing needs it old: written first
        remove(u);
        remaining--;
        moved = true;
      }
    }
    if (moved || remaining === 0) continue;
    let pick = -1;
    for (let u = 0; u < units; u++) if (left[u] && (pick < 0 || outW[u]! - inW[u]! > outW[pick]! - inW[pick]!)) pick = u;
    head.push(pick);
    remove(pick);
    remaining--;
  }
  return [...head, ...tail.reverse()];
}
