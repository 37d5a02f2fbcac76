import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferBaseFromVectorTable, parseElf } from '../../src/image/index.js';

const SHARED = path.resolve(import.meta.dirname, '../../../shared');
const CORPUS = path.join(SHARED, 'corpus');

const PUSH_R4_LR = 0xb510;

/**
 * A synthetic image at `base`: vector table (SP, Reset, 14 system vectors, words 7..10 reserved = 0), handlers
 * that start with PUSH {r4, lr}, and optionally `pointers` functions spread over the image, each also referenced
 * by a Thumb pointer in a literal pool, like a real firmware's callbacks.
 */
function image(base: number, size: number, options: { sp?: number; reset?: number; vectors?: number[]; pointers?: number; prologues?: boolean } = {}) {
  const data = new Uint8Array(size);
  const v = new DataView(data.buffer);
  const fn = (offset: number): number => {
    if (offset + 2 <= size && options.prologues !== false) v.setUint16(offset, PUSH_R4_LR, true);
    return (base + offset) | 1;
  };
  v.setUint32(0, options.sp ?? 0x2000_8000, true);
  v.setUint32(4, options.reset ?? fn(0x200), true);
  const vectors = options.vectors ?? Array.from({ length: 14 }, (_, i) => (i >= 5 && i <= 8 ? 0 : fn(0x300 + 8 * i)));
  vectors.forEach((entry, i) => v.setUint32(8 + 4 * i, entry, true));
  const pointers = options.pointers ?? 0;
  const span = size - 0x480;
  for (let i = 0; i < pointers; i++) {
    const functionAt = (0x400 + Math.floor((span * (i + 0.5)) / pointers)) & ~1;
    const literalAt = (0x400 + Math.floor((span * i) / pointers)) & ~3;
    v.setUint32(literalAt, fn(functionAt), true);
  }
  return data;
}

const hexLabel = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

describe('inferBaseFromVectorTable', () => {
  it.each(
    [
      [0x0000_0000, 0x4000],
      [0x0800_0000, 0x1_0000],
      [0x0008_0000, 0x2_2000],
      [0x0040_0000, 0x8000],
      [0x1000_0000, 0x4_0000],
    ].map(([base, size]) => ({ base: base!, size: size!, label: hexLabel(base!) })),
  )('finds a table at $label (size $size)', ({ base, size }) => {
    expect(inferBaseFromVectorTable(image(base, size, { pointers: 200 }))).toBe(base);
  });

  it('finds an application behind a bootloader (0x08004000) from the pointers in its literal pools', () => {
    expect(inferBaseFromVectorTable(image(0x0800_4000, 0x8000, { pointers: 300 }))).toBe(0x0800_4000);
  });

  it('finds an nRF-style application after a SoftDevice (0x00026000)', () => {
    expect(inferBaseFromVectorTable(image(0x0002_6000, 0x3_2000, { pointers: 500 }))).toBe(0x0002_6000);
  });

  it('the vector entries alone are evidence when their targets are prologues', () => {
    expect(inferBaseFromVectorTable(image(0x0800_4000, 0x8000))).toBe(0x0800_4000);
  });

  it('with no prologue evidence at all prefers the rounder base (documented limitation)', () => {
    expect(inferBaseFromVectorTable(image(0x0800_4000, 0x8000, { prologues: false }))).toBe(0x0800_0000);
  });

  it('tolerates a minority of odd entries (LPC checksum in word 7)', () => {
    const data = image(0x0000_0000, 0x4000, { pointers: 50 });
    new DataView(data.buffer).setUint32(7 * 4, 0xefbe_ad12, true);
    expect(inferBaseFromVectorTable(data)).toBe(0);
  });

  it.each([
    ['an initial SP outside RAM', { sp: 0x0800_0000 }],
    ['an unaligned initial SP', { sp: 0x2000_7ffe }],
    ['an even (ARM-state) reset vector', { reset: 0x0800_0200 }],
    ['a reset vector outside the image', { reset: 0x0900_0001 }],
    ['fewer than two system handlers', { vectors: [0x0800_0301] }],
    ['most handlers outside the image', { vectors: [0x0800_0301, 0x0900_0001, 0x0900_0001, 0x0900_0001] }],
  ])('gives up on %s', (_name, options) => {
    expect(inferBaseFromVectorTable(image(0x0800_0000, 0x1000, options))).toBeUndefined();
  });

  it('gives up on tiny or empty data', () => {
    expect(inferBaseFromVectorTable(new Uint8Array(0))).toBeUndefined();
    expect(inferBaseFromVectorTable(Uint8Array.of(0, 0x80, 0, 0x20, 1))).toBeUndefined();
  });
});

const read = (...parts: string[]) => new Uint8Array(readFileSync(path.join(CORPUS, ...parts)));

describe.skipIf(!existsSync(CORPUS))('inferBaseFromVectorTable on the corpus', () => {
  it.each([['shell', 'old'], ['shell', 'new'], ['synthesizer', '1.bin'], ['synthesizer', '2.bin']])(
    'Arduino Due image %s/%s is at 0x00080000',
    (...parts) => {
      expect(inferBaseFromVectorTable(read(...parts))).toBe(0x0008_0000);
    },
  );

  it.each(['v1.10', '1f5d945af-dirty'])('pybv11 %s firmware1.bin has no vector table: unknown', (version) => {
    // It starts with code (.text at 0x08020000); the vector table is in firmware0.bin.
    const data = read('pybv11', version, 'firmware1.bin');
    expect(new DataView(data.buffer).getUint32(0, true)).toBe(0x691a_4b02);
    expect(inferBaseFromVectorTable(data)).toBeUndefined();
  });

  it.each(['v1.10', '1f5d945af-dirty'])('pybv11 %s firmware0.bin is only a table whose handlers lie elsewhere: unknown', (version) => {
    expect(inferBaseFromVectorTable(read('pybv11', version, 'firmware0.bin'))).toBeUndefined();
  });

  it('the whole pybv11 flash image (from the ELF) is at 0x08000000', () => {
    const { image: flash } = parseElf(read('pybv11', 'v1.10', 'firmware.elf'));
    expect(inferBaseFromVectorTable(flash.data)).toBe(0x0800_0000);
  });
});
