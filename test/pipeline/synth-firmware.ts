/**
 * Synthetic "firmware" for relocation tests: Thumb-like 16-bit instructions, BL calls to targets inside the
 * image, aligned flash pointers (vector-table and function-pointer-table style) and RAM pointers. The same
 * program can be laid out with a block of bytes inserted anywhere: everything after it moves, and every BL
 * and pointer is re-encoded for the new layout, as a linker would.
 */
import { encodeBranch32 } from '../../src/arch/cortex-m/thumb2-branch.js';
import { NO_ENCODING } from '../../src/arch/cortex-m/halfwords.js';
import { prng } from '../delta/helpers.js';

export type Item =
  | { kind: 'op'; value: number }
  | { kind: 'bl'; target: number }
  | { kind: 'ptr'; target: number; thumb: boolean }
  | { kind: 'ram'; value: number };

export interface Program {
  items: Item[];
  base: number;
}

export interface Layout {
  /** Item index before which the insert goes (items.length: at the end). */
  insertAt: number;
  insert: Uint8Array;
  /** RAM pointers at or above ramSplit move by ramShift (new globals). */
  ramSplit: number;
  ramShift: number;
}

export const NO_INSERT: Layout = { insertAt: -1, insert: new Uint8Array(0), ramSplit: 0, ramShift: 0 };
export const RAM_BASE = 0x2000_0000;
const NOP = 0xbf00;

/** A random program of `count` items; BL and pointer targets are item indexes. */
export function randomProgram(seed: number, count: number, base = 0x0800_0000): Program {
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const items: Item[] = [];
  for (let i = 0; i < count; i++) {
    const r = rand();
    // A 16-bit instruction never has a high byte >= 0xE8 (that would start a 32-bit one).
    if (r < 0.68) items.push({ kind: 'op', value: int(0xe800) });
    else if (r < 0.85) items.push({ kind: 'bl', target: int(count) });
    else if (r < 0.95) items.push({ kind: 'ptr', target: int(count), thumb: rand() < 0.7 });
    else items.push({ kind: 'ram', value: RAM_BASE + 4 * int(0x1000) });
  }
  return { items, base };
}

function sizeOf(item: Item): number {
  return item.kind === 'op' ? 2 : 4;
}

/** Lays the program out: item addresses (offsets), then the bytes. */
export function layOut(program: Program, layout: Layout = NO_INSERT): Uint8Array {
  const { items, base } = program;
  const offsets = new Array<number>(items.length);
  const pads = new Array<boolean>(items.length).fill(false);
  let cursor = 0;
  items.forEach((item, i) => {
    if (i === layout.insertAt) cursor += layout.insert.length;
    // Words are 4-aligned: a NOP pads before a misaligned pointer, as in a literal pool.
    if ((item.kind === 'ptr' || item.kind === 'ram') && ((base + cursor) & 3) !== 0) {
      pads[i] = true;
      cursor += 2;
    }
    offsets[i] = cursor;
    cursor += sizeOf(item);
  });
  const end = cursor + (layout.insertAt >= items.length ? layout.insert.length : 0);
  const out = new Uint8Array(end);
  const view = new DataView(out.buffer);
  items.forEach((item, i) => {
    if (i === layout.insertAt) out.set(layout.insert, offsets[i]! - (pads[i] ? 2 : 0) - layout.insert.length);
    const at = offsets[i]!;
    if (pads[i]) view.setUint16(at - 2, NOP, true);
    switch (item.kind) {
      case 'op':
        view.setUint16(at, item.value, true);
        break;
      case 'bl': {
        const imm32 = offsets[item.target]! - (at + 4);
        const packed = encodeBranch32(0xf000, 0xd000, imm32);
        if (packed === NO_ENCODING) throw new Error(`BL offset ${imm32} out of range`);
        view.setUint16(at, packed >>> 16, true);
        view.setUint16(at + 2, packed & 0xffff, true);
        break;
      }
      case 'ptr':
        view.setUint32(at, (base + offsets[item.target]! + (item.thumb ? 1 : 0)) >>> 0, true);
        break;
      case 'ram':
        view.setUint32(at, item.value >= layout.ramSplit && layout.ramShift !== 0 ? item.value + layout.ramShift : item.value, true);
        break;
    }
  });
  if (layout.insertAt >= items.length) out.set(layout.insert, end - layout.insert.length);
  return out;
}

/** A random even-length block of random bytes (new code or data linked in). */
export function randomInsert(seed: number, maxLength: number): Uint8Array {
  const rand = prng(seed ^ 0x5bd1e995);
  const length = 2 * (1 + Math.floor((rand() * maxLength) / 2));
  return Uint8Array.from({ length }, () => Math.floor(rand() * 256));
}
