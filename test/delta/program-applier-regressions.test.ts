/** Regression tests for defects found in the streaming applier (src/delta/apply.ts), now fixed. */
import { describe, expect, it } from 'vitest';
import { ProgramApplier, type ProgramParams } from '../../src/delta/apply.js';
import { DiffCoding, Layout } from '../../src/delta/program.js';
import { plainSource } from '../../src/delta/source.js';
import { InvalidInputError } from '../../src/errors.js';

function run(bytes: number[], params: Partial<ProgramParams>): void {
  const full: ProgramParams = { layout: Layout.interleaved, diffCoding: DiffCoding.raw, oldSize: 16, newSize: 8, entryCount: 1, ...params };
  const applier = new ProgramApplier(full, () => plainSource(new Uint8Array(full.oldSize)), () => {});
  applier.push(Uint8Array.from(bytes));
  applier.finish();
}

describe('ProgramApplier regressions', () => {
  // docs/FORMAT.md "Integers": "The encoding must be minimal: a last byte of 0x00 after other bytes is an error."
  // ByteReader (header) enforces it; ProgramApplier.readVarint does not, so the same patch is valid for this
  // applier and invalid for a device applier written from the spec.
  it('rejects a non-minimal varint in the delta program (seek 0 written as 80 00)', () => {
    // entry: seek 0 (non-minimal 0x80 0x00), copy 8, extra 0, then 8 difference bytes
    expect(() => run([0x80, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0], {})).toThrow(InvalidInputError);
  });

  // In the interleaved layout entryDone() names the entry by this.table.length, which stays 0 (the table is only
  // filled in the control-first layout), so every bad entry is reported as "control entry 0".
  it('names the right entry when an interleaved copy lies outside the old image', () => {
    // entry 0: seek 0, copy 4, extra 0, 4 diff bytes; entry 1: seek -10 -> old start -6
    expect(() => run([0x00, 0x04, 0x00, 0, 0, 0, 0, 0x13, 0x04, 0x00], { entryCount: 2 })).toThrow(/control entry 1 copies old bytes \[-6, -2\)/);
  });

  // The header's entry count bounds the work in the interleaved layout too (no table is kept there).
  it('refuses an interleaved program with more entries than the header declares', () => {
    expect(() => run([0x00, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x04, 0x00, 0, 0, 0, 0], { entryCount: 1 })).toThrow(/more control entries than the 1 the header declares/);
  });

  // Control-first with a declared entry count of 0 and a non-empty new image: entryDone() pushes the first entry
  // and compares table.length (1) < entryCount (0), which is false, so a 1-entry table is accepted. A device
  // reserves 12 * entryCount = 0 bytes for the table (deviceRam), so the declared bound is not enforced.
  it('refuses a control-first program with more entries than the header declares (0 declared)', () => {
    expect(() => run([0x00, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8], { layout: Layout.controlFirst, entryCount: 0 })).toThrow(InvalidInputError);
  });
});
