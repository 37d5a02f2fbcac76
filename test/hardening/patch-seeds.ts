/**
 * Valid patches to mutate (format version 2): every layout (interleaved plain, sectioned plain, sectioned
 * relocated with checkpoints and RAM and constant maps, table-first relocated), raw and sparse differences,
 * every codec (none, LZMA, codec 2), versions and a security counter, unsigned and signed; with the images they
 * turn into each other and the offsets of their integer fields (header, tables, and the delta program of
 * codec-none patches).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { blocksFlashMap, planCortexMRounds, relocationContext } from '../../src/arch/cortex-m/plan.js';
import { relocatingSource } from '../../src/arch/cortex-m/predict.js';
import { Recognize } from '../../src/arch/cortex-m/params.js';
import { Codec, decodeHeader, encodeHeader, Transform, type PatchHeader } from '../../src/container/header.js';
import { parsePatch } from '../../src/container/patch-file.js';
import { signPatch } from '../../src/container/sign.js';
import { encodeTables, parseTables } from '../../src/container/tables.js';
import { generatePrivateKey, type Ed25519PrivateKey } from '../../src/crypto/keys.js';
import { sha256 } from '../../src/crypto/hash.js';
import { matchBlocks } from '../../src/delta/match.js';
import { DiffCoding, encodeProgram, Layout } from '../../src/delta/program.js';
import { plainSource } from '../../src/delta/source.js';
import { ByteReader } from '../../src/delta/varint.js';
import type { RamMap } from '../../src/delta/value-map.js';
import { decodePayload } from '../../src/pipeline/apply.js';
import { createPatch, type CreatePatchOptions } from '../../src/pipeline/create-patch.js';
import { assemblePatch, encodeSmallest, planPlain } from '../../src/pipeline/encode-candidates.js';
import type { ImageInput } from '../../src/types.js';
import { REPO } from './harness.js';
import { controlTableOf, entriesOf, patchWith, rawTablesOf, writeTables } from './malformed-inputs.js';
import type { IntField } from './mutate.js';

export interface PatchSeed {
  name: string;
  bytes: Uint8Array;
  old: Uint8Array;
  new: Uint8Array;
  fields: IntField[];
  signedBy?: Ed25519PrivateKey;
}

export const FLASH = 0x0800_0000;

export function fixtureBin(version: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(REPO, 'fixtures/build', version, 'firmware.bin')));
}

/** A small deterministic pair: a pseudo-random old image and a new one with edits, a move and an insertion. */
export function smallPair(seed: number, size = 1500): { old: Uint8Array; new: Uint8Array } {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) & 0xff;
  };
  const old = Uint8Array.from({ length: size }, () => (next() < 96 ? 0 : next()));
  const parts = [old.subarray(0, size / 3), Uint8Array.from({ length: 40 }, next), old.subarray(size / 2), old.subarray(size / 3, size / 2)];
  const neu = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    neu.set(p, at);
    at += p.length;
  }
  for (let i = 7; i < neu.length; i += 97) neu[i] = next();
  return { old, new: neu };
}

const image = (data: Uint8Array): ImageInput => ({ data, loadAddress: FLASH });

/** A codec-none plain patch with an explicit layout (interleaved or sectioned) and difference coding. */
export function plainVariant(old: Uint8Array, neu: Uint8Array, layout: Layout, diffCoding: DiffCoding): Uint8Array {
  const blocks = matchBlocks(old, neu);
  const program = encodeProgram(blocks, neu, plainSource(old), { layout, diffCoding });
  const tables = layout === Layout.sectioned ? encodeTables(blocks, undefined) : new Uint8Array(0);
  const header: PatchHeader = {
    oldSize: old.length,
    newSize: neu.length,
    oldLoadAddress: FLASH,
    newLoadAddress: FLASH,
    oldCheck: sha256(old).slice(0, 8),
    newSha256: sha256(neu),
    transform: Transform.plain,
    layout,
    diffCoding,
    codec: Codec.none,
    payloadLength: program.length,
    tablesLength: tables.length,
  };
  return Uint8Array.from([...encodeHeader(header), ...tables, ...program]);
}

/** The same patch with its program stored uncompressed (codec none), so mutations reach the applier directly. */
export async function uncompressed(patch: Uint8Array): Promise<Uint8Array> {
  const { header, tables, payload } = parsePatch(patch);
  const parts: Uint8Array[] = [];
  await decodePayload(header, payload, (c) => parts.push(c.slice()));
  const program = Buffer.concat(parts);
  const { lzma: _lzma, smallLz: _smallLz, ...rest } = header;
  const head = encodeHeader({ ...rest, codec: Codec.none, payloadLength: program.length });
  return Uint8Array.from([...head, ...tables, ...program]);
}

/** A constant map of 20 records over [0x1000, 0x6000): more than one checkpoint group (16 records). */
export const CONSTANT_MAP: RamMap = {
  segments: Array.from({ length: 20 }, (_, i) => ({ start: 0x1000 + i * 0x400, shift: i % 2 === 0 ? 4 * (i + 1) : -4 * i })),
  end: 0x6000,
};

/**
 * A sectioned relocated patch with everything the tables can hold: the planned relocation plus a constant map
 * (CONSTANT_MAP: the predictor really applies it, and the program corrects what it mispredicts), the control
 * table re-encoded with a checkpoint every 4 entries. No fixture pair gives a constant map or enough entries
 * for the default group of 128.
 */
export async function relocatedWithEverything(old: Uint8Array, neu: Uint8Array, options: CreatePatchOptions = {}): Promise<Uint8Array> {
  const plans = planCortexMRounds(image(old), image(neu));
  const plan = plans[plans.length - 1]!;
  const relocation = { ...plan.relocation!, recognize: plan.relocation!.recognize | Recognize.constants, constants: CONSTANT_MAP };
  const { map } = blocksFlashMap(plan.blocks, relocation.minSegment);
  const source = relocatingSource(relocationContext(old, FLASH, FLASH, relocation, map));
  const full = { ...plan, relocation, source, variants: [{ layout: Layout.sectioned, diffCoding: DiffCoding.sparse }] };
  const encoded = await encodeSmallest(full, neu, options);
  const bytes = assemblePatch(image(old), image(neu), full, encoded!, options).bytes;
  const { tables } = rawTablesOf(bytes);
  const control = tables.control!;
  tables.control = controlTableOf(entriesOf(control), { ...control, groupLog2: 2 });
  return patchWith(bytes, {}, { tables: writeTables(tables) });
}

/** A plain patch in the sectioned layout (the creator may prefer the interleaved one) with the given codec. */
export async function sectionedPlain(old: Uint8Array, neu: Uint8Array, options: CreatePatchOptions = {}): Promise<Uint8Array> {
  const plan = { ...planPlain(image(old), image(neu)), variants: [{ layout: Layout.sectioned, diffCoding: DiffCoding.sparse }] };
  const encoded = await encodeSmallest(plan, neu, options);
  return assemblePatch(image(old), image(neu), plan, encoded!, options).bytes;
}

/** Builds the seed corpus (a few seconds on the fixtures). */
export async function buildPatchSeeds(): Promise<{ seeds: PatchSeed[]; key: Ed25519PrivateKey }> {
  const key = generatePrivateKey();
  const seeds: PatchSeed[] = [];
  const add = (name: string, bytes: Uint8Array, old: Uint8Array, neu: Uint8Array, signed = false): void => {
    const final = signed ? signPatch(bytes, key) : bytes;
    seeds.push({ name: signed ? `${name} signed` : name, bytes: final, old, new: neu, fields: patchFields(final), ...(signed ? { signedBy: key } : {}) });
  };
  const create = async (old: Uint8Array, neu: Uint8Array, options: CreatePatchOptions): Promise<Uint8Array> => (await createPatch(image(old), image(neu), options)).bytes;

  const small = smallPair(7);
  for (const layout of [Layout.interleaved, Layout.sectioned]) {
    for (const coding of [DiffCoding.raw, DiffCoding.sparse]) {
      add(`small ${layout === Layout.sectioned ? 'sectioned' : 'interleaved'} ${coding ? 'sparse' : 'raw'} none`, plainVariant(small.old, small.new, layout, coding), small.old, small.new);
    }
  }
  const versions = { versionFrom: '1', versionTo: '2', securityCounter: 3 };
  const smallLzma = await create(small.old, small.new, { arch: 'none', codec: 'lzma', ...versions });
  add('small plain lzma versions counter', smallLzma, small.old, small.new);
  add('small plain lzma', smallLzma, small.old, small.new, true);
  const smallLz = await create(small.old, small.new, { arch: 'none', codec: 'small-lz', ...versions });
  add('small plain codec 2 versions counter', smallLz, small.old, small.new);
  add('small plain codec 2', smallLz, small.old, small.new, true);

  const v100 = fixtureBin('v1.0.0');
  const v101 = fixtureBin('v1.0.1');
  const v110 = fixtureBin('v1.1.0');
  const v200 = fixtureBin('v2.0.0');
  // Interleaved plain.
  const interleaved = await create(v100, v101, { arch: 'none', codec: 'lzma' });
  add('fixture interleaved plain lzma', interleaved, v100, v101);
  add('fixture interleaved plain none', await uncompressed(interleaved), v100, v101);
  // Sectioned plain.
  // (Forced: the smallest plain patch of this pair is interleaved.)
  const sectioned = await sectionedPlain(v100, v200, { codec: 'lzma' });
  add('fixture sectioned plain lzma', sectioned, v100, v200);
  add('fixture sectioned plain codec 2', await sectionedPlain(v100, v200, { codec: 'small-lz' }), v100, v200);
  add('fixture sectioned plain none', await uncompressed(sectioned), v100, v200);
  // Table-first relocated.
  const tableFirst = await create(v100, v101, { arch: 'cortex-m', codec: 'lzma', versionFrom: '1.0.0', versionTo: '1.0.1', securityCounter: 9 });
  add('fixture table-first lzma versions counter', tableFirst, v100, v101);
  add('fixture table-first lzma', tableFirst, v100, v101, true);
  const tableFirstLz = await create(v100, v101, { arch: 'cortex-m', codec: 'small-lz' });
  add('fixture table-first codec 2', tableFirstLz, v100, v101);
  add('fixture table-first none', await uncompressed(tableFirst), v100, v101);
  add('fixture table-first none', await uncompressed(tableFirstLz), v100, v101, true);
  add('fixture v1.1.0 table-first none', await uncompressed(await create(v100, v110, { arch: 'cortex-m' })), v100, v110);
  // Sectioned relocated as the creator makes it (control table, RAM map).
  const relocated = await create(v100, v200, { arch: 'cortex-m' });
  add('fixture sectioned relocated lzma', relocated, v100, v200);
  add('fixture sectioned relocated codec 2', await create(v100, v200, { arch: 'cortex-m', codec: 'small-lz' }), v100, v200, true);
  add('fixture sectioned relocated none', await uncompressed(relocated), v100, v200);
  // Sectioned relocated with checkpoints in the control table and both value maps.
  const everything = await relocatedWithEverything(v100, v200);
  add('sectioned relocated checkpoints RAM and constant maps lzma', everything, v100, v200);
  add('sectioned relocated checkpoints RAM and constant maps codec 2', await relocatedWithEverything(v100, v200, { codec: 'small-lz' }), v100, v200, true);
  add('sectioned relocated checkpoints RAM and constant maps none', await uncompressed(everything), v100, v200);
  add('sectioned relocated checkpoints RAM and constant maps none', await uncompressed(everything), v100, v200, true);
  // In place (issue 14): the header extension, geometry and write order; copies that read the slot.
  const inPlace = await create(v100, v200, { arch: 'cortex-m', inPlace: { slotSize: 20480, eraseUnit: 2048, writeUnit: 8 } });
  add('fixture in-place relocated lzma', inPlace, v100, v200);
  add('fixture in-place relocated none', await uncompressed(inPlace), v100, v200, true);
  // With a stash window (extension bit 1, the windows at the header's end).
  const v120 = fixtureBin('v1.2.0');
  const stashed = await create(v120, v200, { arch: 'cortex-m', inPlace: { slotSize: 20480, eraseUnit: 2048, writeUnit: 8 } });
  if (!parsePatch(stashed).header.inPlace?.stash?.length) throw new Error('the stash seed has no stash window');
  add('fixture in-place stash window relocated lzma', stashed, v120, v200);
  add('fixture in-place stash window relocated none', await uncompressed(stashed), v120, v200, true);
  const smallInPlace = await create(small.old, small.new, { arch: 'none', inPlace: { slotSize: 2048, eraseUnit: 256, writeUnit: 4 } });
  add('small in-place plain none', await uncompressed(smallInPlace), small.old, small.new);

  for (const seed of seeds) {
    if (sha256(seed.new).some((b, i) => b !== parsePatch(seed.bytes).header.newSha256[i])) throw new Error(`seed ${seed.name} is inconsistent`);
  }
  return { seeds, key };
}

/** Offsets of every integer field of a valid patch: header, tables and (codec none) the delta program. */
export function patchFields(bytes: Uint8Array): IntField[] {
  const fields: IntField[] = [];
  const r = new ByteReader(bytes, 'patch');
  const varint = (name: string): number => {
    const offset = r.offset;
    const value = r.uvarint(name);
    fields.push({ offset, length: r.offset - offset, kind: 'varint', value, name });
    return value;
  };
  const byte = (name: string): number => {
    const offset = r.offset;
    const value = r.byte(name);
    fields.push({ offset, length: 1, kind: 'le', value, name });
    return value;
  };
  r.bytes(2, 'magic');
  const version = byte('version');
  const flags = byte('flags');
  const extension = version & 0x80 ? byte('extension') : 0; // in place (docs/FORMAT.md, "Header")
  for (const name of ['old size', 'new size', 'old load']) varint(name);
  if (flags & 0x04) varint('new load');
  r.bytes(40, 'checks');
  const codec = flags >> 6;
  if (codec === Codec.lzma1) {
    byte('lzma props');
    byte('lzma window');
  } else if (codec === Codec.smallLz) {
    byte('codec 2 params');
    varint('program length');
  }
  varint('payload length');
  if (flags & 0x28) varint('tables length');
  if (version & 0x80) {
    for (const name of ['slot size', 'erase unit', 'write unit']) varint(name);
    const runs = varint('run count');
    for (let i = 0; i < runs; i++) {
      varint('run first');
      varint('run count and direction');
    }
    if (extension & 2) varint('stash length');
  }
  if (flags & 1) {
    r.bytes(varint('version-from length'), 'v');
    r.bytes(varint('version-to length'), 'v');
  }
  if (flags & 2) varint('security counter');
  if (extension & 2) {
    // Stash windows (docs/FORMAT.md, "Stash windows"): the header's last field.
    const windows = varint('stash window count');
    for (let w = 0; w < windows; w++) {
      varint('stash window start');
      varint('stash window units');
      const ranges = varint('stash range count');
      for (let i = 0; i < ranges; i++) {
        varint('stash range gap');
        varint('stash range length');
      }
    }
  }
  const tablesStart = r.offset;
  const { length } = decodeHeader(bytes);
  if (length !== tablesStart) throw new Error('field walk disagrees with the header decoder');
  const { header, tables, payload } = parsePatch(bytes);
  if (tables.length > 0) {
    for (const f of rawTablesOf(bytes).fields) fields.push({ ...f, offset: tablesStart + f.offset });
  }
  if (header.codec === Codec.none) {
    const entries = header.layout === Layout.sectioned ? [...parseTables(header, tables).control!.entries()].map((b) => ({ copy: b.copyLen, extra: b.extraLen })) : undefined;
    programFields(payload, tablesStart + tables.length, header, entries, fields);
  }
  return fields;
}

/** The control entries (interleaved and table-first) and sparse run lengths of an uncompressed program. */
function programFields(program: Uint8Array, base: number, header: PatchHeader, sectioned: Array<{ copy: number; extra: number }> | undefined, fields: IntField[]): void {
  const r = new ByteReader(program, 'program');
  const varint = (name: string): number => {
    const offset = r.offset;
    const value = r.uvarint(name);
    fields.push({ offset: base + offset, length: r.offset - offset, kind: 'varint', value, name });
    return value;
  };
  const entry = (i: number, copyField = false): { copy: number; extra: number } => {
    varint(`seek ${i}`);
    const copy = varint(`copy ${i}`);
    return { copy: copyField ? Math.floor(copy / 2) : copy, extra: varint(`extra ${i}`) };
  };
  const data = (copy: number, extra: number): void => {
    if (header.diffCoding === DiffCoding.sparse) {
      let covered = 0;
      while (covered < copy) {
        covered += varint('zeros');
        if (covered >= copy) break;
        const count = varint('count');
        r.bytes(count, 'diff');
        covered += count;
      }
    } else r.bytes(copy, 'diff');
    r.bytes(extra, 'extra');
  };
  if (header.layout === Layout.interleaved) {
    for (let i = 0; r.remaining > 0; i++) {
      const e = entry(i);
      data(e.copy, e.extra);
    }
    return;
  }
  const table = sectioned ?? Array.from({ length: varint('table-first count') }, (_, i) => entry(i, true));
  for (const e of table) data(e.copy, e.extra);
  if (r.remaining !== 0) throw new Error('program walk disagrees with the program');
}
