/**
 * Regression: relocatingSource once dropped the bytes of a 4-byte item (BL or pointer) that straddled more than
 * two pieces (a 1- or 2-byte piece strictly inside the item), so tiny reads returned unrelocated bytes.
 */
import { describe, expect, it } from 'vitest';
import { ShiftMap } from '../../src/arch/cortex-m/address-map.js';
import { RECOGNIZE_ALL } from '../../src/arch/cortex-m/params.js';
import { relocatingSource, type RelocationContext } from '../../src/arch/cortex-m/predict.js';

describe('relocatingSource (known bug)', () => {
  // Old image: a flash pointer 0x08000020 at offset 0; everything moves by +0x1123400.
  const old = new Uint8Array(64);
  new DataView(old.buffer).setUint32(0, 0x0800_0020, true);
  const ctx: RelocationContext = {
    old, oldBase: 0x0800_0000, newBase: 0x0800_0000, recognize: RECOGNIZE_ALL,
    flash: new ShiftMap([{ start: 0, shift: 0x112_3400 }]), ram: new ShiftMap([]), ramStart: 0, ramEnd: 0,
    constants: new ShiftMap([]), constStart: 0, constEnd: 0,
  };
  const block = { oldStart: 0, newStart: 0x112_3400 };

  it('one-byte pieces give the same bytes as one read', () => {
    const whole = new Uint8Array(8);
    relocatingSource(ctx).read(block, 0, whole);
    expect([...whole.subarray(0, 4)]).toEqual([0x20, 0x34, 0x12, 0x09]);
    const source = relocatingSource(ctx);
    const pieces = new Uint8Array(8);
    for (let i = 0; i < 8; i++) source.read(block, i, pieces.subarray(i, i + 1));
    expect([...pieces]).toEqual([...whole]);
  });

  it('pieces of 1, 2, 5 bytes give the same bytes as one read', () => {
    const whole = new Uint8Array(8);
    relocatingSource(ctx).read(block, 0, whole);
    const source = relocatingSource(ctx);
    const pieces = new Uint8Array(8);
    source.read(block, 0, pieces.subarray(0, 1));
    source.read(block, 1, pieces.subarray(1, 3)); // strictly inside the item at [0, 4)
    source.read(block, 3, pieces.subarray(3, 8));
    expect([...pieces]).toEqual([...whole]);
  });
});
