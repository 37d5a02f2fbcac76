/** Regression tests for defects found in the streaming applier (src/delta/apply.ts), now fixed. */
import { describe, expect, it } from 'vitest';
import { ProgramApplier, type ProgramParams } from '../../src/delta/apply.js';
import { SmallTable } from '../../src/delta/control-table.js';
import { DiffCoding, Layout } from '../../src/delta/program.js';
import { plainSource } from '../../src/delta/source.js';
import { InvalidInputError } from '../../src/errors.js';

/** Applies a program over a zero-filled 16-byte old image to an 8-byte new one; returns the new bytes. */
function run(bytes: number[], params: Partial<ProgramParams> = {}): number[] {
  const full: ProgramParams = { layout: Layout.interleaved, diffCoding: DiffCoding.raw, oldSize: 16, newSize: 8, ...params };
  if (full.layout === Layout.tableFirst && !full.smallTable) full.smallTable = new SmallTable({ oldSize: full.oldSize, newSize: full.newSize });
  const out: number[] = [];
  const applier = new ProgramApplier(full, plainSource(new Uint8Array(full.oldSize)), (chunk) => out.push(...chunk));
  applier.push(Uint8Array.from(bytes));
  applier.finish();
  return out;
}

describe('ProgramApplier regressions', () => {
  // docs/FORMAT.md "Integers": "The encoding must be minimal: a last byte of 0x00 after other bytes is an error."
  // ByteReader (header) enforced it; ProgramApplier.readVarint did not, so the same patch was valid for this
  // applier and invalid for a device applier written from the spec.
  it('rejects a non-minimal varint in the delta program (seek 0 written as 80 00)', () => {
    // entry: seek 0 (non-minimal 0x80 0x00), copy 8, extra 0, then 8 difference bytes
    expect(() => run([0x80, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0])).toThrow(InvalidInputError);
    expect(() => run([0x80, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0])).toThrow(/non-minimal varint/);
    expect(run([0x00, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  // entryDone() once named the entry by the length of a table that only the control-first layout filled, so
  // every bad interleaved entry was reported as "control entry 0".
  it('names the right entry when an interleaved copy lies outside the old image', () => {
    // entry 0: seek 0, copy 4, extra 0, 4 diff bytes; entry 1: seek -10 -> old start -6
    expect(() => run([0x00, 0x04, 0x00, 0, 0, 0, 0, 0x13, 0x04, 0x00])).toThrow(/control entry 1 copies old bytes \[-6, -2\)/);
  });

  // Version 1 bounded the interleaved work by the header's entry count. Version 2 has no count: the program ends
  // when the new image is complete, and an empty entry is refused, so a program has at most new size entries.
  it('an interleaved program ends when the new image is complete: a further entry is refused', () => {
    expect(() => run([0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x04, 0x00, 0, 0, 0, 0])).toThrow(/unexpected data after the end of the delta program \(program offset 11\)/);
    // Two entries of 4 bytes fill the image: accepted.
    expect(run([0x00, 0x04, 0x00, 1, 1, 1, 1, 0x00, 0x04, 0x00, 2, 2, 2, 2])).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
  });

  it('an interleaved entry that produces nothing is refused (it would let a tiny program demand unbounded work)', () => {
    expect(() => run([0x00, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0, 0, 0, 0])).toThrow(/control entry 1 is empty/);
  });

  // Version 1's control-first layout accepted a table whose declared count was 0 (a device reserved no RAM for
  // it). Version 2's table-first layout carries its count in the program: 1 to 32, the RAM a device reserves.
  it('refuses a table-first program that declares 0 entries or more than 32', () => {
    expect(() => run([0x00, 0x00, 0x10, 0x00, 1, 2, 3, 4, 5, 6, 7, 8], { layout: Layout.tableFirst })).toThrow(/a table-first program declares 0 entries \(1 to 32\)/);
    expect(() => run([0x21], { layout: Layout.tableFirst })).toThrow(/declares 33 entries/);
    expect(run([0x01, 0x00, 0x10, 0x00, 1, 2, 3, 4, 5, 6, 7, 8], { layout: Layout.tableFirst })).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
