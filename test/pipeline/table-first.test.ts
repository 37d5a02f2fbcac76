/**
 * Table-first patches end to end (docs/FORMAT.md, "Layouts"): a relocated patch whose program starts with its
 * entries (count 1 to 32, copy field = 2 * copy length + segment flag). Patches are assembled here from a
 * hand-chosen block list so that applyPatch sees exactly one defect: more than 32 entries, or a segment flag on
 * an old start that does not strictly increase. The valid neighbours of each defect apply byte for byte.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codec, encodeHeader, OLD_CHECK_LENGTH, Transform } from '../../src/container/header.js';
import { MAX_TABLE_FIRST_ENTRIES } from '../../src/delta/control-table.js';
import type { Block } from '../../src/delta/match.js';
import { DiffCoding, encodeProgram, Layout } from '../../src/delta/program.js';
import { plainSource } from '../../src/delta/source.js';
import { InvalidInputError } from '../../src/errors.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { prng } from '../delta/helpers.js';

const BASE = 0x0800_0000;
const rand = prng(2024);
const old = Uint8Array.from({ length: 600 }, () => Math.floor(rand() * 256));
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/**
 * A relocated table-first patch over `old` for these blocks and flags, stored without a codec. The tables hold
 * a recognizer byte of 0 (nothing is rewritten: the predicted bytes are the old bytes, whatever the flash map).
 */
function tableFirstPatch(blocks: readonly Block[], flags: readonly boolean[]): { bytes: Uint8Array; target: Uint8Array } {
  const target = Uint8Array.from(blocks.flatMap((b, i) => [...old.subarray(b.oldStart, b.oldStart + b.copyLen), ...new Array<number>(b.extraLen).fill(i & 0xff)]));
  const program = encodeProgram(blocks, target, plainSource(old), { layout: Layout.tableFirst, diffCoding: DiffCoding.raw, segmentFlags: flags });
  const tables = Uint8Array.of(0x00);
  const header = encodeHeader({
    oldSize: old.length, newSize: target.length, oldLoadAddress: BASE, newLoadAddress: BASE,
    oldCheck: sha256(old).slice(0, OLD_CHECK_LENGTH), newSha256: sha256(target),
    transform: Transform.cortexM, layout: Layout.tableFirst, diffCoding: DiffCoding.raw, codec: Codec.none,
    payloadLength: program.length, tablesLength: tables.length,
  });
  return { bytes: Uint8Array.from([...header, ...tables, ...program]), target };
}

async function refusedWith(bytes: Uint8Array, message: RegExp): Promise<void> {
  await expect(applyPatch(old, bytes)).rejects.toThrow(InvalidInputError);
  await expect(applyPatch(old, bytes)).rejects.toThrow(message);
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('table-first patches', () => {
  const entries = (n: number): Block[] => Array.from({ length: n }, (_, i) => ({ oldStart: 17 * i, copyLen: 16, extraLen: 1 }));

  it(`apply with up to ${MAX_TABLE_FIRST_ENTRIES} entries, and info reports the layout and its 384 bytes of RAM`, async () => {
    for (const n of [1, 2, MAX_TABLE_FIRST_ENTRIES]) {
      const { bytes, target } = tableFirstPatch(entries(n), entries(n).map((_, i) => i % 3 === 0));
      const info = patchInfo(bytes);
      expect(info.program.layout).toBe('table-first');
      expect(info.deviceRam.smallTable).toBe(384);
      expect(same(await applyPatch(old, bytes), target), `${n} entries`).toBe(true);
    }
  });

  it(`refuses a program of ${MAX_TABLE_FIRST_ENTRIES + 1} entries (a device keeps at most 32)`, async () => {
    const { bytes } = tableFirstPatch(entries(MAX_TABLE_FIRST_ENTRIES + 1), entries(MAX_TABLE_FIRST_ENTRIES + 1).map(() => false));
    await refusedWith(bytes, /a table-first program declares 33 entries \(1 to 32\)/);
  });

  it('refuses a segment flag on an old start that is not above the previous segment\'s, also with unflagged entries between', async () => {
    const blocks: Block[] = [
      { oldStart: 100, copyLen: 50, extraLen: 0 },
      { oldStart: 300, copyLen: 50, extraLen: 2 },
      { oldStart: 100, copyLen: 50, extraLen: 0 },
      { oldStart: 90, copyLen: 50, extraLen: 1 },
    ];
    // Segments at 100 and 300: entries 2 and 3 go back, unflagged: valid.
    const ok = tableFirstPatch(blocks, [true, true, false, false]);
    expect(same(await applyPatch(old, ok.bytes), ok.target)).toBe(true);
    // Segments at 100, then 100 again: refused (starts must strictly increase).
    await refusedWith(tableFirstPatch(blocks, [true, false, true, false]).bytes, /control entry 2 is a segment that does not start after the previous segment/);
    // Segments at 300, then 90 (entry 2, at 100, is not one): refused.
    await refusedWith(tableFirstPatch(blocks, [false, true, false, true]).bytes, /control entry 3 is a segment that does not start after the previous segment/);
    // Segments at 100, then 90 straight after: refused.
    await refusedWith(tableFirstPatch([blocks[0]!, blocks[3]!], [true, true]).bytes, /control entry 1 is a segment that does not start after/);
    // The first segment may start anywhere, after entries that are not segments.
    const late = tableFirstPatch(blocks, [false, false, false, true]);
    expect(same(await applyPatch(old, late.bytes), late.target)).toBe(true);
  });
});
