import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodePcRelativeTarget,
  isNarrowKind,
  packHalfwords,
  pcRelativeTarget,
  ThumbKind,
  thumbKindName,
} from '../../src/arch/cortex-m/thumb2.js';
import { sweepThumb } from '../../src/arch/cortex-m/thumb2-sweep.js';
import { elfFuncStarts } from './elf-func-symbols.js';

const shared = path.resolve(import.meta.dirname, '../../../shared');
const pyb = path.join(shared, 'corpus/pybv11/v1.10');
const LOAD_ADDRESS = 0x0802_0000;

describe.skipIf(!existsSync(pyb))('pybv11 v1.10 firmware1.bin (linear sweep)', () => {
  const image = existsSync(pyb) ? new Uint8Array(readFileSync(path.join(pyb, 'firmware1.bin'))) : new Uint8Array();
  const end = LOAD_ADDRESS + image.length;

  interface Found {
    kind: ThumbKind;
    address: number;
    hw1: number;
    hw2: number;
    target: number;
  }
  const found: Found[] = [];
  sweepThumb(image, (kind, offset, hw1, hw2) => {
    const address = LOAD_ADDRESS + offset;
    found.push({ kind, address, hw1, hw2, target: pcRelativeTarget(kind, address, hw1, hw2) });
  });
  const bls = found.filter((f) => f.kind === ThumbKind.BL);

  it('finds the BL instructions, and their targets are function starts', () => {
    const funcs = elfFuncStarts(new Uint8Array(readFileSync(path.join(pyb, 'firmware.elf'))));
    const inImage = bls.filter((f) => f.target >= LOAD_ADDRESS && f.target < end && (f.target & 1) === 0);
    const onFunc = bls.filter((f) => funcs.has(f.target));
    // `arm-none-eabi-objdump -d -j .text firmware.elf` (which skips data by mapping symbols) shows
    // 6510 BL; the sweep finds all of them plus 18 BL-shaped words in data, whose targets are wild.
    expect(onFunc.length).toBe(6510);
    expect(bls.length).toBeGreaterThanOrEqual(6510);
    expect(bls.length).toBeLessThan(6510 * 1.01);
    // Some calls go to code in .isr_vector (0x08000000, firmware0.bin), which is outside this image.
    expect(inImage.length / bls.length).toBeGreaterThan(0.95);
  });

  it('re-encodes every instruction it found to the same bytes from its target', () => {
    const counts = new Map<string, number>();
    for (const f of found) {
      const expected = isNarrowKind(f.kind) ? f.hw1 : packHalfwords(f.hw1, f.hw2);
      if (encodePcRelativeTarget(f.kind, f.address, f.hw1, f.hw2, f.target) !== expected) {
        expect.fail(`${thumbKindName(f.kind)} at 0x${f.address.toString(16)} does not re-encode`);
      }
      counts.set(thumbKindName(f.kind), (counts.get(thumbKindName(f.kind)) ?? 0) + 1);
    }
    expect(counts.get('b.w')).toBeGreaterThan(500);
    expect(counts.get('b<c>.w')).toBeGreaterThan(300);
    expect(counts.get('ldr')).toBeGreaterThan(3000);
  });

  it('finds LDR (literal) addresses that are word-aligned literals inside the image', () => {
    const loads = found.filter((f) => f.kind === ThumbKind.LdrLit16 || f.kind === ThumbKind.LdrLit32);
    const inside = loads.filter((f) => f.target >= LOAD_ADDRESS && f.target + 4 <= end && (f.target & 3) === 0);
    expect(loads.length).toBeGreaterThan(3000);
    expect(inside.length / loads.length).toBeGreaterThan(0.99);
  });
});
