/**
 * The relocation predictor (DESIGN section 5; docs/FORMAT.md, "Cortex-M relocation"): the old image as it
 * would read after moving to the new layout. At each even offset that starts an instruction (see
 * startsInstruction) a scan recognises, in this order:
 * - a BL / B.W / B<c>.W: its target goes through the flash map, its own address is where the copy block puts
 *   it, and the instruction is re-encoded with the new offset (unchanged when the offset does not fit);
 * - at a 4-aligned address, a 32-bit word whose value lies in the old image (a pointer into flash: vector
 *   table, literal pools, pointer tables), in the RAM map (a pointer into .data/.bss) or in the constant map
 *   (a small value renumbered between releases): it is mapped.
 * A recognised item covers 4 bytes; otherwise the scan steps 2 bytes. A block's scan starts 4 bytes before
 * the block, so an item cut by the block boundary still predicts its bytes inside the block.
 * Wrong guesses cost patch bytes, never correctness: creator and applier make the same ones.
 */
import type { SourceView } from '../../delta/source.js';
import { forwardLookup, type ShiftLookup } from './address-map.js';
import { NO_ENCODING, plainView } from './halfwords.js';
import { Recognize } from './params.js';
import { branch32Offset, classifyBranch32, encodeBranch32 } from './thumb2-branch.js';
import { ThumbKind } from './thumb2-kind.js';

export interface RelocationContext {
  old: Uint8Array;
  oldBase: number;
  newBase: number;
  recognize: number;
  /** Flash map over old image offsets (the creator's in memory, a device's searched in the control table). */
  flash: ShiftLookup;
  /** RAM map over absolute addresses, valid in [ramStart, ramEnd). */
  ram: ShiftLookup;
  ramStart: number;
  ramEnd: number;
  /** Constant map over small values, valid in [constStart, constEnd). */
  constants: ShiftLookup;
  constStart: number;
  constEnd: number;
}

/** How far before a block its scan starts: one 32-bit item. */
export const LOOKBEHIND = 4;
/** How many halfwords startsInstruction looks back at most (so the applier reads at most 32 bytes back). */
export const MAX_PREFIX_RUN = 16;
const NONE = -1;

/**
 * How many halfwords right before offset p could be the first half of a 32-bit instruction (top five bits
 * 11101, 11110 or 11111), counted back to MAX_PREFIX_RUN at most.
 */
export function prefixRunBefore(old: Uint8Array, p: number): number {
  let run = 0;
  for (let q = p - 2; q >= 0 && run < MAX_PREFIX_RUN; q -= 2) {
    if (old[q + 1]! < 0xe8) break;
    run++;
  }
  return run;
}

/**
 * Whether offset p starts a Thumb instruction, judged from the bytes before it alone (no sweep from the image
 * start). A halfword whose top five bits are not 11101, 11110 or 11111 is never the first half of a 32-bit
 * instruction, so the next offset is always an instruction boundary; after it, 32-bit-prefix-like halfwords
 * pair up. p starts an instruction when the run of prefix-like halfwords right before it has even length.
 * (ARMv7-M ARM A5.1: "Thumb instruction set encoding".) candidatesOf keeps the run as it steps instead of
 * looking back at every offset; the rule is the same.
 */
export function startsInstruction(old: Uint8Array, p: number): boolean {
  return (prefixRunBefore(old, p) & 1) === 0;
}

function branchEnabled(kind: number, recognize: number): boolean {
  if (kind === ThumbKind.BL) return (recognize & Recognize.bl) !== 0;
  if (kind === ThumbKind.BW) return (recognize & Recognize.bw) !== 0;
  if (kind === ThumbKind.BCondW) return (recognize & Recognize.bcondw) !== 0;
  return false;
}

/** New address of an old flash address; addresses outside the old image do not move. */
function mapFlashAddress(ctx: RelocationContext, address: number): number {
  const offset = address - ctx.oldBase;
  if (offset < 0 || offset > ctx.old.length) return address;
  return ctx.newBase + offset + ctx.flash.shiftAt(offset);
}

/**
 * The predicted 4 bytes (as a little-endian u32) of the item at old offset p when that offset lands at new
 * offset p + placeShift, or NONE when nothing is recognised there.
 */
export function relocateAt(ctx: RelocationContext, p: number, placeShift: number): number {
  return startsInstruction(ctx.old, p) ? itemAt(ctx, ctx.old, p, placeShift) : NONE;
}

/** relocateAt at an offset known to start an instruction; `old` is ctx.old (as a plain Uint8Array view). */
function itemAt(ctx: RelocationContext, old: Uint8Array, p: number, placeShift: number): number {
  const hw1 = old[p]! | (old[p + 1]! << 8);
  const hw2 = old[p + 2]! | (old[p + 3]! << 8);
  const kind = classifyBranch32(hw1, hw2);
  if (kind !== ThumbKind.None && branchEnabled(kind, ctx.recognize)) {
    const address = ctx.oldBase + p;
    const target = address + 4 + branch32Offset(hw1, hw2);
    const newAddress = ctx.newBase + p + placeShift;
    const encoded = encodeBranch32(hw1, hw2, mapFlashAddress(ctx, target) - newAddress - 4);
    if (encoded === NO_ENCODING) return (hw1 | (hw2 << 16)) >>> 0;
    return ((encoded >>> 16) | ((encoded & 0xffff) << 16)) >>> 0;
  }
  if (((ctx.oldBase + p) & 3) !== 0) return NONE;
  const value = (hw1 | (hw2 << 16)) >>> 0;
  if (ctx.recognize & Recognize.flashPointers && value >= ctx.oldBase && value <= ctx.oldBase + old.length) {
    return mapFlashAddress(ctx, value) >>> 0;
  }
  if (ctx.recognize & Recognize.ramPointers && value >= ctx.ramStart && value < ctx.ramEnd) {
    return (value + ctx.ram.shiftAt(value)) >>> 0;
  }
  if (ctx.recognize & Recognize.constants && value >= ctx.constStart && value < ctx.constEnd) {
    return (value + ctx.constants.shiftAt(value)) >>> 0;
  }
  return NONE;
}

/**
 * Where an item may start: instruction starts (by the prefix run, kept as the sweep steps) that pass cheap
 * tests: a possible enabled 32-bit branch (hw1 = 11110..., hw2 bit 15 set), or a word at a 4-aligned address
 * whose value lies in an enabled range (ranges inclusive; a disabled one is empty). Every offset where itemAt
 * finds an item is a candidate. Whether an offset starts an instruction depends on the bytes before it alone,
 * not on where a scan stepped, so a scan visits each candidate that is not inside the item before it.
 */
class Screen {
  readonly branches: boolean;
  /** (oldBase & 3): p is 4-aligned in addresses when ((p + alignment) & 3) === 0. */
  readonly alignment: number;
  readonly flashLow: number;
  readonly flashHigh: number;
  readonly ramLow: number;
  readonly ramHigh: number;
  readonly constLow: number;
  readonly constHigh: number;

  constructor(ctx: RelocationContext) {
    const on = (bit: number): boolean => (ctx.recognize & bit) !== 0;
    this.branches = on(Recognize.bl) || on(Recognize.bw) || on(Recognize.bcondw);
    this.alignment = ctx.oldBase & 3;
    this.flashLow = on(Recognize.flashPointers) ? ctx.oldBase : 1;
    this.flashHigh = on(Recognize.flashPointers) ? ctx.oldBase + ctx.old.length : 0;
    this.ramLow = on(Recognize.ramPointers) ? ctx.ramStart : 1;
    this.ramHigh = on(Recognize.ramPointers) ? ctx.ramEnd - 1 : 0;
    this.constLow = on(Recognize.constants) ? ctx.constStart : 1;
    this.constHigh = on(Recognize.constants) ? ctx.constEnd - 1 : 0;
  }
}

/** Candidate offsets found so far, in a list that grows as needed; `run` is the prefix run where the search stopped. */
class Candidates {
  list: Int32Array;
  count = 0;
  run = 0;

  constructor(capacity: number) {
    this.list = new Int32Array(Math.max(16, capacity));
  }

  push(p: number): void {
    if (this.count === this.list.length) {
      const grown = new Int32Array(2 * this.list.length);
      grown.set(this.list);
      this.list = grown;
    }
    this.list[this.count++] = p;
  }
}

/**
 * Appends to `found` the candidates among the even offsets [from, to), given the prefix run before `from` in
 * `found.run`, and leaves there the run before the first even offset at or past `to`. This loop runs at every
 * offset and calls nothing but push (at a candidate), so it stays cheap in every engine tier.
 */
function findCandidates(old: Uint8Array, screen: Screen, from: number, to: number, found: Candidates): void {
  const { branches, alignment, flashLow, flashHigh, ramLow, ramHigh, constLow, constHigh } = screen;
  const stop = Math.min(to, old.length - 3);
  let run = found.run;
  for (let p = from; p < stop; p += 2) {
    const high = old[p + 1]!;
    if ((run & 1) === 0) {
      if (branches && (high & 0xf8) === 0xf0 && (old[p + 3]! & 0x80) !== 0) found.push(p);
      else if (((p + alignment) & 3) === 0) {
        const value = (old[p]! | (high << 8) | (old[p + 2]! << 16) | (old[p + 3]! << 24)) >>> 0;
        if ((value >= flashLow && value <= flashHigh) || (value >= ramLow && value <= ramHigh) || (value >= constLow && value <= constHigh)) {
          found.push(p);
        }
      }
    }
    run = high >= 0xe8 ? (run < MAX_PREFIX_RUN ? run + 1 : MAX_PREFIX_RUN) : 0;
  }
  // Offsets in the image's last 3 bytes hold no item: past them the run is never needed again.
  found.run = run;
}

/**
 * The candidates of the whole old image under ctx's recognizers and value maps, ascending. The creator finds
 * them once per set of maps and hands them to predictWholeImage, relocatingSource and inferConstantMap, which
 * otherwise find them themselves; ctx.old must not change while the list is in use.
 */
export function itemCandidates(ctx: RelocationContext): Int32Array {
  const old = plainView(ctx.old);
  // Firmware has about one candidate per 10 to 20 bytes.
  const found = new Candidates(old.length >> 4);
  findCandidates(old, new Screen(ctx), 0, old.length, found);
  return found.list.subarray(0, found.count);
}

/** The whole old image predicted with each item placed by the flash map: what the creator matches against. */
export function predictWholeImage(ctx: RelocationContext, candidates: Int32Array = itemCandidates(ctx)): Uint8Array {
  const old = plainView(ctx.old);
  // A copy, not .slice(): on a Node Buffer .slice() is a view and would overwrite the caller's image.
  const out = new Uint8Array(old);
  // Items are placed at increasing offsets: the flash map is walked, not searched (targets still are).
  const place = forwardLookup(ctx.flash);
  let next = 0;
  for (let k = 0; k < candidates.length; k++) {
    const p = candidates[k]!;
    if (p < next) continue; // inside the item before
    const word = itemAt(ctx, old, p, place.shiftAt(p));
    if (word === NONE) continue;
    out[p] = word & 0xff;
    out[p + 1] = (word >>> 8) & 0xff;
    out[p + 2] = (word >>> 16) & 0xff;
    out[p + 3] = word >>> 24;
    next = p + 4;
  }
  return out;
}

/**
 * A SourceView that predicts each copy block on the fly. Pieces of one block are read in order, so the scan
 * position and the bytes of an item that straddles two pieces carry over; any other access restarts the
 * block's scan from its look-behind, which gives the same bytes. Without `wholeImage` (itemCandidates of an
 * old image that does not change) each piece's candidates are found as it is read, from the bytes as they are
 * then: an in-place slot changes between reads.
 */
export function relocatingSource(ctx: RelocationContext, wholeImage?: Int32Array): SourceView {
  const old = plainView(ctx.old);
  const screen = new Screen(ctx);
  let blockOldStart = -1;
  let blockNewStart = -1;
  let nextOffsetInBlock = -1;
  // The scan: candidates[k] is the next to try; one before `next` is inside the last item. Without the whole
  // image's list, `pieceFound` holds those of the piece being read, found from `frontier` on.
  const pieceFound = new Candidates(64);
  let candidates = wholeImage ?? pieceFound.list;
  let count = candidates.length;
  let k = 0;
  let next = 0;
  let frontier = 0;
  // Bytes of the last item that lie past the end of the piece read so far: at most 3, by old offset.
  const carryAt = new Float64Array(3);
  const carryByte = new Uint8Array(3);
  let carried = 0;

  const restart = (scanStart: number): void => {
    next = scanStart;
    carried = 0;
    if (!wholeImage) {
      frontier = scanStart;
      pieceFound.run = prefixRunBefore(old, scanStart);
      k = count = 0;
      return;
    }
    // The first candidate at or after scanStart.
    let lo = 0;
    let hi = candidates.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (candidates[mid]! < scanStart) lo = mid + 1;
      else hi = mid;
    }
    k = lo;
  };

  /**
   * Scans on to pieceEnd: item bytes in [pieceStart, pieceEnd) go to `out` (when given), those past pieceEnd
   * are carried, those before pieceStart (the look-behind) are dropped.
   */
  const advance = (pieceStart: number, pieceEnd: number, out: Uint8Array | undefined, placeShift: number): void => {
    if (!wholeImage && frontier < pieceEnd) {
      pieceFound.count = 0;
      findCandidates(old, screen, frontier, pieceEnd, pieceFound);
      candidates = pieceFound.list;
      count = pieceFound.count;
      frontier += 2 * Math.ceil((pieceEnd - frontier) / 2);
      k = 0;
    }
    for (; k < count && candidates[k]! < pieceEnd; k++) {
      const p = candidates[k]!;
      if (p < next) continue;
      const word = itemAt(ctx, old, p, placeShift);
      if (word === NONE) continue;
      for (let i = 0; i < 4; i++) {
        const at = p + i;
        const byte = (word >>> (8 * i)) & 0xff;
        if (at >= pieceEnd) {
          carryAt[carried] = at;
          carryByte[carried++] = byte;
        } else if (at >= pieceStart && out) out[at - pieceStart] = byte;
      }
      next = p + 4;
    }
  };

  return {
    length: ctx.old.length,
    read(block, offsetInBlock, out) {
      const placeShift = block.newStart - block.oldStart;
      if (block.oldStart !== blockOldStart || block.newStart !== blockNewStart || offsetInBlock !== nextOffsetInBlock) {
        blockOldStart = block.oldStart;
        blockNewStart = block.newStart;
        restart(Math.max(0, (block.oldStart - LOOKBEHIND) & ~1));
        // Random access: replay the scan up to this piece, keeping only what carries into it.
        if (offsetInBlock > 0) advance(block.oldStart, block.oldStart + offsetInBlock, undefined, placeShift);
      }
      const pieceStart = block.oldStart + offsetInBlock;
      const pieceEnd = pieceStart + out.length;
      out.set(old.subarray(pieceStart, pieceEnd));
      // Carried bytes inside this piece are used; those past its end wait for the next piece.
      let kept = 0;
      for (let i = 0; i < carried; i++) {
        const at = carryAt[i]!;
        if (at < pieceEnd) out[at - pieceStart] = carryByte[i]!;
        else {
          carryAt[kept] = at;
          carryByte[kept++] = carryByte[i]!;
        }
      }
      carried = kept;
      advance(pieceStart, pieceEnd, out, placeShift);
      nextOffsetInBlock = offsetInBlock + out.length;
    },
  };
}
