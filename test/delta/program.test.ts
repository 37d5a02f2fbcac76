/**
 * encodeProgram -> ProgramApplier round trips in the three layouts of format v2 (interleaved; sectioned, the
 * entries coming from a stored control table; table-first, the entries at the program's start), both difference
 * codings, the program fed in pieces of any size, 1 byte included; and the applier's rejections
 * (docs/FORMAT.md, "Layouts", "Control entry", "Difference coding").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProgramApplier, type ProgramParams } from '../../src/delta/apply.js';
import { ControlTable, encodeControlTable, MAX_TABLE_FIRST_ENTRIES, SmallTable } from '../../src/delta/control-table.js';
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
  /** Valid segment flags (table-first): copies with strictly increasing old starts. */
  flags: boolean[];
}

/** Random blocks over a random old image, none empty; copied bytes are old bytes with a few differences. */
function randomCase(seed: number, maxOld: number, maxBlocks = 12): Case {
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const old = Uint8Array.from({ length: int(maxOld + 1) }, () => int(256));
  const blocks: Block[] = [];
  const target: number[] = [];
  const count = 1 + int(maxBlocks);
  for (let i = 0; i < count; i++) {
    const oldStart = int(old.length + 1);
    const copyLen = rand() < 0.15 ? 0 : int(old.length - oldStart + 1);
    const extraLen = rand() < 0.4 && copyLen > 0 ? 0 : 1 + int(60);
    const density = rand() < 0.3 ? 0 : rand() < 0.5 ? 0.02 : 0.5;
    for (let k = 0; k < copyLen; k++) target.push(rand() < density ? int(256) : old[oldStart + k]!);
    for (let k = 0; k < extraLen; k++) target.push(int(256));
    blocks.push({ oldStart, copyLen, extraLen });
  }
  let last = -1;
  const flags = blocks.map((b) => {
    const flag = b.copyLen > 0 && b.oldStart > last && rand() < 0.5;
    if (flag) last = b.oldStart;
    return flag;
  });
  return { old, target: Uint8Array.from(target), blocks, flags };
}

/** What the applier needs for a layout: a checked control table's entries (sectioned) or an empty SmallTable (table-first). */
function paramsFor(c: Case, layout: Layout, diffCoding: DiffCoding): ProgramParams {
  const base = { layout, diffCoding, oldSize: c.old.length, newSize: c.target.length };
  if (layout === Layout.sectioned) {
    const { table } = ControlTable.parse(encodeControlTable(c.blocks), { oldSize: c.old.length, newSize: c.target.length, relocation: false });
    table.check();
    return { ...base, entries: table.entries() };
  }
  if (layout === Layout.tableFirst) return { ...base, smallTable: new SmallTable({ oldSize: c.old.length, newSize: c.target.length }) };
  return base;
}

const programOf = (c: Case, layout: Layout, diffCoding: DiffCoding): Uint8Array =>
  encodeProgram(c.blocks, c.target, plainSource(c.old), { layout, diffCoding, ...(layout === Layout.tableFirst && { segmentFlags: c.flags }) });

/** Feeds `program` in pieces whose sizes come from `sizes` (cycled); returns the new image. */
function applyInPieces(program: Uint8Array, params: ProgramParams, old: Uint8Array, sizes: readonly number[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const applier = new ProgramApplier(params, plainSource(old), (chunk) => chunks.push(chunk.slice()));
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

const LAYOUTS = [Layout.interleaved, Layout.sectioned, Layout.tableFirst] as const;
const CODINGS = [DiffCoding.raw, DiffCoding.sparse] as const;
const variants = LAYOUTS.flatMap((layout) => CODINGS.map((coding) => [layout, coding] as const));
const layoutName = (l: Layout): string => ({ [Layout.interleaved]: 'interleaved', [Layout.sectioned]: 'sectioned', [Layout.tableFirst]: 'table-first' })[l];
const codingName = (d: DiffCoding): string => (d === DiffCoding.sparse ? 'sparse' : 'raw');
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('encodeProgram -> ProgramApplier round trip', () => {
  for (const [layout, coding] of variants) {
    const maxBlocks = layout === Layout.tableFirst ? MAX_TABLE_FIRST_ENTRIES : 40;
    it(`${layoutName(layout)}, ${codingName(coding)}: random blocks, random piece sizes`, () => {
      fc.assert(
        fc.property(
          fc.integer(),
          fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 8 }),
          fc.constantFrom(300, 3000, 10_000),
          (seed, sizes, maxOld) => {
            const c = randomCase(seed, maxOld, maxBlocks);
            const params = paramsFor(c, layout, coding);
            expect(same(applyInPieces(programOf(c, layout, coding), params, c.old, sizes), c.target)).toBe(true);
          },
        ),
        { numRuns: 50 },
      );
    });

    it(`${layoutName(layout)}, ${codingName(coding)}: program fed one byte at a time`, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const c = randomCase(seed, 5000, maxBlocks);
        expect(same(applyInPieces(programOf(c, layout, coding), paramsFor(c, layout, coding), c.old, [1]), c.target)).toBe(true);
      }
    });
  }

  it('copies longer than the source piece size (SOURCE_CHUNK) work in every layout and coding', () => {
    const old = Uint8Array.from({ length: 3 * SOURCE_CHUNK + 5 }, (_, i) => (i * 7) & 0xff);
    const target = old.slice();
    for (let i = 0; i < target.length; i += 1000) target[i] ^= 0x5a;
    const c: Case = { old, target, blocks: [{ oldStart: 0, copyLen: old.length, extraLen: 0 }], flags: [true] };
    for (const [layout, coding] of variants) {
      expect(same(applyInPieces(programOf(c, layout, coding), paramsFor(c, layout, coding), old, [4095, 1, 4097]), target), `${layoutName(layout)} ${codingName(coding)}`).toBe(true);
    }
  });

  it('the bytes of each layout: sparse zero runs, raw differences, entries where the layout puts them', () => {
    const old = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const c: Case = { old, target: Uint8Array.from([...old, 9, 8]), blocks: [{ oldStart: 0, copyLen: 1000, extraLen: 2 }], flags: [true] };
    // interleaved: entry (seek 0, copy 1000 = e8 07, extra 2), zeros 1000, literals 9 8
    expect([...programOf(c, Layout.interleaved, DiffCoding.sparse)]).toEqual([0x00, 0xe8, 0x07, 0x02, 0xe8, 0x07, 9, 8]);
    // sectioned: the data only (the entry is in the control table)
    expect([...programOf(c, Layout.sectioned, DiffCoding.sparse)]).toEqual([0xe8, 0x07, 9, 8]);
    // table-first: count 1, entry (seek 0, copy field 2 * 1000 + 1 = 2001 = d1 0f, extra 2), then the data
    expect([...programOf(c, Layout.tableFirst, DiffCoding.sparse)]).toEqual([0x01, 0x00, 0xd1, 0x0f, 0x02, 0xe8, 0x07, 9, 8]);
    expect([...programOf({ ...c, flags: [false] }, Layout.tableFirst, DiffCoding.sparse)].slice(0, 5)).toEqual([0x01, 0x00, 0xd0, 0x0f, 0x02]);
    expect(programOf(c, Layout.interleaved, DiffCoding.raw).length).toBe(4 + 1000 + 2);
    expect(programOf(c, Layout.sectioned, DiffCoding.raw).length).toBe(1000 + 2);
  });

  it('an empty new image: an empty program in every layout (a table-first count is 1 to 32), done at once', () => {
    const empty: Case = { old: new Uint8Array(10), target: new Uint8Array(0), blocks: [], flags: [] };
    for (const layout of LAYOUTS) {
      expect(programOf(empty, layout, DiffCoding.sparse).length, layoutName(layout)).toBe(0);
      const params = paramsFor(empty, layout, DiffCoding.raw);
      const applier = new ProgramApplier(params, plainSource(new Uint8Array(10)), () => {
        throw new Error('no output expected');
      });
      expect(applier.done).toBe(true);
      applier.finish();
      expect(() => applier.push(Uint8Array.of(0))).toThrow(InvalidInputError);
    }
  });

  it('a layout without its table is a programming error (RangeError), not a corrupt patch', () => {
    const base = { diffCoding: DiffCoding.raw, oldSize: 10, newSize: 10 };
    expect(() => new ProgramApplier({ ...base, layout: Layout.sectioned }, plainSource(new Uint8Array(10)), () => {})).toThrow(RangeError);
    expect(() => new ProgramApplier({ ...base, layout: Layout.tableFirst }, plainSource(new Uint8Array(10)), () => {})).toThrow(RangeError);
  });
});

/**
 * The program as docs/FORMAT.md defines it, a byte at a time: what encodeProgram's word-at-a-time differences and
 * zero-run skipping must reproduce byte for byte (issue 13 made them faster, not different).
 */
function referenceProgram(c: Case, layout: Layout, coding: DiffCoding): Uint8Array {
  const w = new ByteWriter();
  const entry = (b: Block, oldPos: number, copyField: number): void => {
    w.svarint(b.oldStart - oldPos);
    w.uvarint(copyField);
    w.uvarint(b.extraLen);
  };
  if (layout === Layout.tableFirst && c.blocks.length > 0) {
    w.uvarint(c.blocks.length);
    let oldPos = 0;
    c.blocks.forEach((b, i) => {
      entry(b, oldPos, b.copyLen * 2 + (c.flags[i] ? 1 : 0));
      oldPos = b.oldStart + b.copyLen;
    });
  }
  let oldPos = 0;
  let newPos = 0;
  for (const b of c.blocks) {
    if (layout === Layout.interleaved) entry(b, oldPos, b.copyLen);
    const diffs = Array.from({ length: b.copyLen }, (_, i) => (c.target[newPos + i]! - c.old[b.oldStart + i]!) & 0xff);
    if (coding === DiffCoding.raw) for (const d of diffs) w.byte(d);
    else {
      let zeros = 0;
      let literals: number[] = [];
      const pair = (): void => {
        w.uvarint(zeros);
        w.uvarint(literals.length);
        for (const d of literals) w.byte(d);
        zeros = 0;
        literals = [];
      };
      for (const d of diffs) {
        if (d !== 0) literals.push(d);
        else {
          if (literals.length > 0) pair();
          zeros++;
        }
      }
      if (literals.length > 0) pair();
      if (zeros > 0) w.uvarint(zeros);
    }
    newPos += b.copyLen;
    for (let i = 0; i < b.extraLen; i++) w.byte(c.target[newPos + i]!);
    newPos += b.extraLen;
    oldPos = b.oldStart + b.copyLen;
  }
  return w.view().slice();
}

describe('encodeProgram against the byte-at-a-time definition', () => {
  // In-place pieces (unitSize) change where the source is read from, never the program's bytes.
  it('the same bytes in every layout and coding: runs of every length, at every alignment, across source pieces', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom(300, 3000, 3 * SOURCE_CHUNK + 7),
        fc.constantFrom(undefined, 256, 2048),
        (seed, maxOld, unitSize) => {
          const c = randomCase(seed, maxOld, MAX_TABLE_FIRST_ENTRIES);
          // Runs of zero and non-zero differences of 1 to 40 bytes, so they start and end at every offset in a word,
          // and a few long ones (literal runs past the writer's first buffer and across source pieces).
          const rand = prng(seed ^ 0x5eed);
          let newPos = 0;
          for (const b of c.blocks) {
            for (let i = 0; i < b.copyLen; ) {
              const run = 1 + Math.floor(rand() * (rand() < 0.05 ? 6000 : 40));
              const changed = rand() < 0.3;
              for (let k = i; k < Math.min(b.copyLen, i + run); k++) c.target[newPos + k] = changed ? (c.old[b.oldStart + k]! + 1 + Math.floor(rand() * 255)) & 0xff : c.old[b.oldStart + k]!;
              i += run;
            }
            newPos += b.copyLen + b.extraLen;
          }
          for (const [layout, coding] of variants) {
            const program = encodeProgram(c.blocks, c.target, plainSource(c.old), { layout, diffCoding: coding, segmentFlags: c.flags, ...(unitSize && { unitSize }) });
            expect([...program], `${layoutName(layout)} ${codingName(coding)}`).toEqual([...referenceProgram(c, layout, coding)]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('table-first layout', () => {
  it('fills the SmallTable with the entries, their new starts and segment flags, before the data', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const c = randomCase(seed, 2000, MAX_TABLE_FIRST_ENTRIES);
        const params = paramsFor(c, Layout.tableFirst, DiffCoding.sparse);
        expect(same(applyInPieces(programOf(c, Layout.tableFirst, DiffCoding.sparse), params, c.old, [7]), c.target)).toBe(true);
        let newStart = 0;
        const expected = c.blocks.map((b, i) => {
          const e = { ...b, newStart, segment: c.flags[i]! };
          newStart += b.copyLen + b.extraLen;
          return e;
        });
        expect(params.smallTable!.entries).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it(`accepts ${MAX_TABLE_FIRST_ENTRIES} entries and refuses more (and 0), before any data is produced`, () => {
    const old = Uint8Array.from({ length: 100 }, (_, i) => i);
    const caseOf = (n: number): Case => {
      const blocks = Array.from({ length: n }, (_, i) => ({ oldStart: i % 50, copyLen: 2, extraLen: 1 }));
      const target = Uint8Array.from(blocks.flatMap((b) => [...old.subarray(b.oldStart, b.oldStart + 2), 0xee]));
      return { old, target, blocks, flags: blocks.map(() => false) };
    };
    const max = caseOf(MAX_TABLE_FIRST_ENTRIES);
    expect(same(applyInPieces(programOf(max, Layout.tableFirst, DiffCoding.raw), paramsFor(max, Layout.tableFirst, DiffCoding.raw), old, [3]), max.target)).toBe(true);
    const over = caseOf(MAX_TABLE_FIRST_ENTRIES + 1);
    const program = programOf(over, Layout.tableFirst, DiffCoding.raw);
    expect(program[0]).toBe(33);
    for (const piece of [1, program.length]) {
      const produced: Uint8Array[] = [];
      const applier = new ProgramApplier(paramsFor(over, Layout.tableFirst, DiffCoding.raw), plainSource(old), (chunk) => produced.push(chunk));
      expect(() => {
        for (let i = 0; i < program.length; i += piece) applier.push(program.subarray(i, i + piece));
      }).toThrow(/a table-first program declares 33 entries \(1 to 32\)/);
      expect(produced.length).toBe(0);
    }
    rejects(Uint8Array.of(0x00), { layout: Layout.tableFirst }, /declares 0 entries/);
  });

  it('refuses a segment flag on an old start that does not strictly increase, or on an entry without a copy', () => {
    const old = Uint8Array.from({ length: 64 }, (_, i) => i);
    const tableFirst = (entries: Array<[number, number, number]>, data: number[], newSize: number): void =>
      run(program((w) => {
        w.uvarint(entries.length);
        for (const [seek, copyField, extra] of entries) {
          w.svarint(seek);
          w.uvarint(copyField);
          w.uvarint(extra);
        }
        w.bytes(Uint8Array.from(data));
      }), { layout: Layout.tableFirst, oldSize: old.length, newSize });
    // Segments at 10 and 20 (copy fields 2 * 8 + 1): fine.
    expect(() => tableFirst([[10, 17, 0], [2, 17, 0]], new Array(16).fill(0), 16)).not.toThrow();
    // Segments at 10, then at 10 again (seek -8 after a copy of 8), or at 5: refused.
    expect(() => tableFirst([[10, 17, 0], [-8, 17, 0]], new Array(16).fill(0), 16)).toThrow(/control entry 1 is a segment that does not start after the previous segment/);
    expect(() => tableFirst([[10, 17, 0], [-13, 17, 0]], new Array(16).fill(0), 16)).toThrow(/control entry 1 is a segment that does not start after/);
    // Across an entry that is not a segment (copy field even): still compared with the last segment.
    expect(() => tableFirst([[10, 17, 0], [20, 16, 0], [-40, 17, 0]], new Array(24).fill(0), 24)).toThrow(/control entry 2 is a segment that does not start after/);
    expect(() => tableFirst([[10, 16, 0], [-18, 17, 0]], new Array(16).fill(0), 16)).not.toThrow();
    // Copy field 1: a segment flag without a copy.
    expect(() => tableFirst([[0, 1, 4]], [1, 2, 3, 4], 4)).toThrow(/control entry 0 is a segment/);
  });

  it('refuses entries that do not describe exactly the new image, or leave the old one', () => {
    const entries = (list: Array<[number, number, number]>) => (w: ByteWriter): void => {
      w.uvarint(list.length);
      for (const [seek, copyField, extra] of list) {
        w.svarint(seek);
        w.uvarint(copyField);
        w.uvarint(extra);
      }
    };
    rejects(program(entries([[0, 8, 0], [0, 6, 0]])), { layout: Layout.tableFirst }, /control table describes 7 new bytes, the header says 8/);
    rejects(program(entries([[0, 8, 5]])), { layout: Layout.tableFirst }, /control entry 0 runs past the new image size 8/);
    rejects(program(entries([[12, 12, 0]])), { layout: Layout.tableFirst }, /control entry 0 copies old bytes \[12, 18\) outside the old image \(16 bytes\)/);
    rejects(program(entries([[0, 8, 0], [0, 0, 0], [0, 8, 0]])), { layout: Layout.tableFirst }, /control entry 1 is empty/);
  });
});

/** A hand-written program: entries and data exactly as given. */
function program(write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(16);
  write(w);
  return w.view().slice();
}

/** Applies a hand-written program over a zero-filled old image; the layout's table is made up when needed. */
function run(bytes: Uint8Array, params: Partial<ProgramParams> & { blocks?: Block[] }, pieceSize = bytes.length || 1): void {
  const { blocks, ...rest } = params;
  const full: ProgramParams = { layout: Layout.interleaved, diffCoding: DiffCoding.raw, oldSize: 16, newSize: 8, ...rest };
  if (full.layout === Layout.sectioned && !full.entries) full.entries = (blocks ?? [])[Symbol.iterator]();
  if (full.layout === Layout.tableFirst && !full.smallTable) full.smallTable = new SmallTable({ oldSize: full.oldSize, newSize: full.newSize });
  const applier = new ProgramApplier(full, plainSource(new Uint8Array(full.oldSize)), () => {});
  for (let i = 0; i < bytes.length; i += pieceSize) applier.push(bytes.subarray(i, i + pieceSize));
  applier.finish();
}

function rejects(bytes: Uint8Array, params: Partial<ProgramParams> & { blocks?: Block[] }, message: RegExp): void {
  for (const piece of [bytes.length || 1, 1]) {
    expect(() => run(bytes, params, piece)).toThrow(InvalidInputError);
    expect(() => run(bytes, params, piece)).toThrow(message);
  }
}

describe('ProgramApplier rejects', () => {
  it('a well-formed program (the baseline the rejections below break)', () => {
    expect(() => run(program((w) => { w.svarint(2); w.uvarint(6); w.uvarint(2); w.bytes(new Uint8Array(8)); }), {})).not.toThrow();
    expect(() => run(new Uint8Array(8), { layout: Layout.sectioned, blocks: [{ oldStart: 2, copyLen: 6, extraLen: 2 }] })).not.toThrow();
  });

  it('a copy outside the old image (past the end, and before the start)', () => {
    rejects(program((w) => { w.svarint(12); w.uvarint(6); w.uvarint(2); }), {}, /control entry 0 copies old bytes \[12, 18\) outside the old image \(16 bytes\)/);
    rejects(program((w) => { w.svarint(-1); w.uvarint(2); w.uvarint(0); }), {}, /outside the old image/);
    // Seeks are relative: the second entry's seek of -10 lands before 0 after a copy of [0, 4).
    rejects(program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.bytes(new Uint8Array(4)); w.svarint(-10); w.uvarint(4); w.uvarint(0); }), {}, /control entry 1 copies old bytes \[-6, -2\)/);
  });

  it('an empty entry (copy and extra length both 0)', () => {
    rejects(program((w) => { w.svarint(0); w.uvarint(0); w.uvarint(0); }), {}, /control entry 0 is empty/);
    rejects(program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.bytes(new Uint8Array(4)); w.svarint(0); w.uvarint(0); w.uvarint(0); }), {}, /control entry 1 is empty/);
  });

  it('an entry that runs past the new image size (interleaved, and a sectioned table that was not checked)', () => {
    rejects(program((w) => { w.svarint(0); w.uvarint(6); w.uvarint(3); }), {}, /runs past the new image size 8/);
    rejects(new Uint8Array(9), { layout: Layout.sectioned, blocks: [{ oldStart: 0, copyLen: 6, extraLen: 3 }] }, /control entry 0 runs past the new image size 8/);
  });

  it('sparse runs that overflow their copy block, or a literal run of 0', () => {
    const sparse = { diffCoding: DiffCoding.sparse, newSize: 4 };
    rejects(program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.uvarint(5); }), sparse, /sparse zero run of 5 bytes does not fit/);
    rejects(program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.uvarint(1); w.uvarint(4); }), sparse, /sparse run of 4 bytes does not fit/);
    rejects(program((w) => { w.svarint(0); w.uvarint(4); w.uvarint(0); w.uvarint(1); w.uvarint(0); }), sparse, /sparse run of 0 bytes/);
    rejects(program((w) => { w.uvarint(5); }), { ...sparse, layout: Layout.sectioned, blocks: [{ oldStart: 0, copyLen: 4, extraLen: 0 }] }, /sparse zero run of 5 bytes does not fit/);
  });

  it('data after the end of the program, in every layout', () => {
    const ok = program((w) => { w.svarint(0); w.uvarint(8); w.uvarint(0); w.bytes(new Uint8Array(8)); });
    rejects(Uint8Array.from([...ok, 0]), {}, /unexpected data after the end of the delta program/);
    rejects(new Uint8Array(9), { layout: Layout.sectioned, blocks: [{ oldStart: 0, copyLen: 8, extraLen: 0 }] }, /unexpected data after the end/);
    const tf = program((w) => { w.uvarint(1); w.svarint(0); w.uvarint(16); w.uvarint(0); w.bytes(new Uint8Array(8)); });
    expect(() => run(tf, { layout: Layout.tableFirst })).not.toThrow();
    rejects(Uint8Array.from([...tf, 1, 2]), { layout: Layout.tableFirst }, /unexpected data after the end/);
  });

  it('a truncated program, cut anywhere, for every layout and coding', () => {
    const c = randomCase(42, 500, 10);
    for (const [layout, coding] of variants) {
      const bytes = programOf(c, layout, coding);
      for (let cut = 0; cut < bytes.length; cut++) {
        const applier = new ProgramApplier(paramsFor(c, layout, coding), plainSource(c.old), () => {});
        applier.push(bytes.subarray(0, cut));
        expect(() => applier.finish(), `${layoutName(layout)} ${codingName(coding)} cut at ${cut}`).toThrow(/delta program ends early/);
      }
    }
  });

  it('a varint longer than 5 bytes, a value above 2^32 - 1, a non-minimal varint', () => {
    rejects(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), {}, /varint longer than 5 bytes/);
    rejects(Uint8Array.of(0x00, 0x80, 0x80, 0x80, 0x80, 0x10), {}, /out of range|exceeds 32 bits/);
    rejects(Uint8Array.of(0x80, 0x00, 0x08, 0x00), {}, /non-minimal varint/);
    rejects(Uint8Array.of(0x81, 0x00), { layout: Layout.tableFirst }, /non-minimal varint/);
  });
});
