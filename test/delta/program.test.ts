/**
 * encodeProgram -> ProgramApplier round trips (both layouts, both difference codings, program fed in pieces of
 * any size, 1 byte included) and the applier's rejections (docs/FORMAT.md, "Delta program").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProgramApplier, type ProgramParams } from '../../src/delta/apply.js';
import type { Block } from '../../src/delta/match.js';
import { DiffCoding, encodeProgram, Layout, SOURCE_CHUNK } from '../../src/delta/program.js';
import { plainSource } from '../../src/delta/source.js';
import { ByteWriter } from '../../src/delta/varint.js';
import { InvalidInputError } from '../../src/errors.js';
import { prng } from './helpers.js';

interface Case {
  old: Uint8Array;
  target: Uint8Array;
  blocks: Block[];
}

/** Random blocks over a random old image; copied bytes are old bytes with a few differences. */
function randomCase(seed: number, maxOld: number, allowEmptyBlocks: boolean): Case {
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const old = Uint8Array.from({ length: int(maxOld + 1) }, () => int(256));
  const blocks: Block[] = [];
  const target: number[] = [];
  const count = int(12);
  for (let i = 0; i < count; i++) {
    const oldStart = int(old.length + 1);
    const copyLen = rand() < 0.15 ? 0 : int(old.length - oldStart + 1);
    const extraLen = rand() < 0.4 ? 0 : int(60);
    if (!allowEmptyBlocks && copyLen + extraLen === 0) continue;
    const density = rand() < 0.3 ? 0 : rand() < 0.5 ? 0.02 : 0.5;
    for (let k = 0; k < copyLen; k++) target.push(rand() < density ? int(256) : old[oldStart + k]!);
    for (let k = 0; k < extraLen; k++) target.push(int(256));
    blocks.push({ oldStart, copyLen, extraLen });
  }
  return { old, target: Uint8Array.from(target), blocks };
}

function paramsFor(c: Case, layout: Layout, diffCoding: DiffCoding): ProgramParams {
  return { layout, diffCoding, oldSize: c.old.length, newSize: c.target.length, entryCount: c.blocks.length };
}

/** Feeds `program` in pieces whose sizes come from `sizes` (cycled); returns the new image. */
function applyInPieces(program: Uint8Array, params: ProgramParams, old: Uint8Array, sizes: readonly number[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const applier = new ProgramApplier(params, () => plainSource(old), (chunk) => chunks.push(chunk.slice()));
  let k = 0;
  for (let i = 0; i < program.length; ) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    applier.push(program.subarray(i, i + n));
    i += n;
  }
  applier.finish();
  expect(applier.done).toBe(true);
  expect(applier.produced).toBe(params.newSize);
  return Buffer.concat(chunks);
}

const variants = [
  [Layout.interleaved, DiffCoding.raw],
  [Layout.interleaved, DiffCoding.sparse],
  [Layout.controlFirst, DiffCoding.raw],
  [Layout.controlFirst, DiffCoding.sparse],
] as const;
const layoutName = (l: Layout): string => (l === Layout.controlFirst ? 'control-first' : 'interleaved');
const codingName = (d: DiffCoding): string => (d === DiffCoding.sparse ? 'sparse' : 'raw');

describe('encodeProgram -> ProgramApplier round trip', () => {
  for (const [layout, coding] of variants) {
    it(`${layoutName(layout)}, ${codingName(coding)}: random blocks, random piece sizes`, () => {
      fc.assert(
        fc.property(
          fc.integer(),
          fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 8 }),
          fc.constantFrom(300, 3000, 10_000),
          (seed, sizes, maxOld) => {
            // The interleaved layout ends when the new image is complete, so empty blocks cannot trail it.
            const c = randomCase(seed, maxOld, layout === Layout.controlFirst);
            const program = encodeProgram(c.blocks, c.target, plainSource(c.old), { layout, diffCoding: coding });
            const params = paramsFor(c, layout, coding);
            expect(Buffer.from(applyInPieces(program, params, c.old, sizes)).equals(Buffer.from(c.target))).toBe(true);
          },
        ),
        { numRuns: 60 },
      );
    });

    it(`${layoutName(layout)}, ${codingName(coding)}: program fed one byte at a time`, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const c = randomCase(seed, 5000, layout === Layout.controlFirst);
        const program = encodeProgram(c.blocks, c.target, plainSource(c.old), { layout, diffCoding: coding });
        expect(Buffer.from(applyInPieces(program, paramsFor(c, layout, coding), c.old, [1])).equals(Buffer.from(c.target))).toBe(true);
      }
    });
  }

  it('copies longer than the source piece size (SOURCE_CHUNK) work in both codings', () => {
    const old = Uint8Array.from({ length: 3 * SOURCE_CHUNK + 5 }, (_, i) => (i * 7) & 0xff);
    const target = old.slice();
    for (let i = 0; i < target.length; i += 1000) target[i] ^= 0x5a;
    const blocks = [{ oldStart: 0, copyLen: old.length, extraLen: 0 }];
    for (const [layout, coding] of variants) {
      const program = encodeProgram(blocks, target, plainSource(old), { layout, diffCoding: coding });
      const params: ProgramParams = { layout, diffCoding: coding, oldSize: old.length, newSize: target.length, entryCount: 1 };
      expect(Buffer.from(applyInPieces(program, params, old, [4095, 1, 4097])).equals(Buffer.from(target))).toBe(true);
    }
  });

  it('sparse coding of an all-equal copy is one zero run; raw coding is one byte per copied byte', () => {
    const old = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const blocks = [{ oldStart: 0, copyLen: 1000, extraLen: 2 }];
    const target = Uint8Array.from([...old, 9, 8]);
    const sparse = encodeProgram(blocks, target, plainSource(old), { layout: Layout.interleaved, diffCoding: DiffCoding.sparse });
    // entry (seek 0, copy 1000, extra 2), zeros 1000, literals 9 8
    expect([...sparse]).toEqual([0x00, 0xe8, 0x07, 0x02, 0xe8, 0x07, 9, 8]);
    const raw = encodeProgram(blocks, target, plainSource(old), { layout: Layout.interleaved, diffCoding: DiffCoding.raw });
    expect(raw.length).toBe(4 + 1000 + 2);
  });

  it('an empty new image: empty program, done at once', () => {
    for (const layout of [Layout.interleaved, Layout.controlFirst]) {
      const applier = new ProgramApplier(
        { layout, diffCoding: DiffCoding.raw, oldSize: 10, newSize: 0, entryCount: 0 },
        () => plainSource(new Uint8Array(10)),
        () => {
          throw new Error('no output expected');
        },
      );
      expect(applier.done).toBe(true);
      applier.finish();
      expect(() => applier.push(Uint8Array.of(0))).toThrow(InvalidInputError);
    }
  });
});

/** A hand-written program: entries and data exactly as given. */
function program(write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(16);
  write(w);
  return w.view().slice();
}

function run(bytes: Uint8Array, params: Partial<ProgramParams>, pieceSize = bytes.length || 1): void {
  const full: ProgramParams = { layout: Layout.interleaved, diffCoding: DiffCoding.raw, oldSize: 16, newSize: 8, entryCount: 1, ...params };
  const applier = new ProgramApplier(full, () => plainSource(new Uint8Array(full.oldSize)), () => {});
  for (let i = 0; i < bytes.length; i += pieceSize) applier.push(bytes.subarray(i, i + pieceSize));
  applier.finish();
}

describe('ProgramApplier rejects', () => {
  const rejects = (bytes: Uint8Array, params: Partial<ProgramParams>, message: RegExp): void => {
    for (const piece of [bytes.length || 1, 1]) {
      expect(() => run(bytes, params, piece)).toThrow(InvalidInputError);
      expect(() => run(bytes, params, piece)).toThrow(message);
    }
  };

  it('a well-formed program (the baseline the rejections below break)', () => {
    expect(() => run(program((w) => { w.svarint(2); w.uvarint(6); w.uvarint(2); w.bytes(new Uint8Array(8)); }), {})).not.toThrow();
  });

  it('a copy outside the old image (past the end, and before the start)', () => {
    rejects(program((w) => { w.svarint(12); w.uvarint(6); w.uvarint(2); }), {}, /copies old bytes \[12, 18\) outside the old image \(16 bytes\)/);
    rejects(program((w) => { w.svarint(-1); w.uvarint(2); w.uvarint(0); }), {}, /outside the old image/);
    // Seeks are relative: the second entry's seek of -10 lands before 0 after a copy of [0, 4).
    rejects(program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.bytes(new Uint8Array(4)); w.svarint(-10); w.uvarint(4); w.uvarint(0); }), { entryCount: 2 }, /copies old bytes \[-6, -2\)/);
  });

  it('an entry that runs past the new image size', () => {
    rejects(program((w) => { w.svarint(0); w.uvarint(6); w.uvarint(3); }), {}, /runs past the new image size 8/);
  });

  it('a control table whose total differs from the new size', () => {
    const table = program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.svarint(0); w.uvarint(3); w.uvarint(0); });
    rejects(table, { layout: Layout.controlFirst, entryCount: 2 }, /control table describes 7 new bytes, the header says 8/);
  });

  it('sparse runs that overflow their copy block, or a literal run of 0', () => {
    const sparse = { diffCoding: DiffCoding.sparse, newSize: 4 };
    rejects(program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.uvarint(5); }), sparse, /sparse zero run of 5 bytes does not fit/);
    rejects(program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.uvarint(1); w.uvarint(4); }), sparse, /sparse run of 4 bytes does not fit/);
    rejects(program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.uvarint(1); w.uvarint(0); }), sparse, /sparse run of 0 bytes/);
  });

  it('trailing data after the end of the program', () => {
    const ok = program((w) => { w.svarint(0); w.uvarint(8); w.uvarint(0); w.bytes(new Uint8Array(8)); });
    rejects(Uint8Array.from([...ok, 0]), {}, /unexpected data after the end of the delta program/);
    const cf = program((w) => { w.svarint(0); w.uvarint(8); w.uvarint(0); w.bytes(new Uint8Array(8)); });
    rejects(Uint8Array.from([...cf, 1, 2]), { layout: Layout.controlFirst }, /unexpected data after the end/);
  });

  it('a truncated program, cut anywhere, for every layout and coding', () => {
    const c = randomCase(42, 500, false);
    for (const [layout, coding] of variants) {
      const bytes = encodeProgram(c.blocks, c.target, plainSource(c.old), { layout, diffCoding: coding });
      const params = paramsFor(c, layout, coding);
      for (let cut = 0; cut < bytes.length; cut++) {
        const applier = new ProgramApplier(params, () => plainSource(c.old), () => {});
        applier.push(bytes.subarray(0, cut));
        expect(() => applier.finish()).toThrow(/delta program ends early/);
      }
    }
  });

  it('a varint longer than 5 bytes, and a value above 2^32 - 1', () => {
    rejects(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), {}, /varint longer than 5 bytes/);
    rejects(Uint8Array.of(0x00, 0x80, 0x80, 0x80, 0x80, 0x10), {}, /out of range/);
  });
});
