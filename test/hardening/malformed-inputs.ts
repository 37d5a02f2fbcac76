/**
 * Building blocks of the malformed-input suite and the patch fuzzer (format version 2, docs/FORMAT.md): raw
 * writers for the patch header, the control table and the value maps that take any value (the real encoders
 * refuse invalid ones), readers that turn a real patch into those raw forms (checked to give the same bytes
 * back), and a few helpers to damage inputs.
 */
import { Codec, decodeHeader, encodeStash, type PatchHeader } from '../../src/container/header.js';
import { parsePatch } from '../../src/container/patch-file.js';
import { BitReader, BitWriter, unzigzag, zigzag } from '../../src/delta/bits.js';
import { ByteReader } from '../../src/delta/varint.js';
import { encodeUvarint } from './mutate.js';

/** A varint field: a value (minimal LEB128) or the exact bytes to write. */
export type Varint = number | number[];

/** Header flag bits (docs/FORMAT.md, "Header"); the codec is bits 6-7. */
export const FLAG = { versions: 0x01, counter: 0x02, newAddress: 0x04, sectioned: 0x08, sparse: 0x10, cortexM: 0x20 } as const;

/**
 * Every header field. Optional fields are written when present, whatever the flags say, so that a case can
 * make the flags and the fields disagree.
 */
export interface RawHeader {
  magic: number[];
  version: number;
  /** Flag bits 0-5. */
  flags: number;
  /** Flag bits 6-7. */
  codec: number;
  oldSize: Varint;
  newSize: Varint;
  oldLoad: Varint;
  newLoad?: Varint;
  oldCheck: Uint8Array;
  newSha: Uint8Array;
  /** Codec 1: properties byte, window log2. */
  lzma?: [number, number];
  /** Codec 2: parameter byte, program length. */
  smallLz?: [number, Varint];
  payloadLength: Varint;
  tablesLength?: Varint;
  versions?: [Uint8Array, Uint8Array];
  counter?: Varint;
  /** In-place patches (version byte bit 7): the extension byte, then the geometry and write order as bytes. */
  extension?: number;
  inPlaceFields?: number[];
  /** Stash windows (extension bit 1): the header's last bytes; their length ends inPlaceFields. */
  stashFields?: number[];
}

const varint = (v: Varint): number[] => (typeof v === 'number' ? encodeUvarint(v) : v);

function le(value: number, width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < width; i++) out.push(Math.floor(value / 256 ** i) % 256);
  return out;
}

export function writeRawHeader(h: RawHeader): Uint8Array {
  const out: number[] = [...h.magic, h.version, (h.flags & 0x3f) | (h.codec << 6)];
  if (h.extension !== undefined) out.push(h.extension);
  out.push(...varint(h.oldSize), ...varint(h.newSize), ...varint(h.oldLoad));
  if (h.newLoad !== undefined) out.push(...varint(h.newLoad));
  out.push(...h.oldCheck, ...h.newSha);
  if (h.lzma) out.push(...h.lzma);
  if (h.smallLz) out.push(h.smallLz[0], ...varint(h.smallLz[1]));
  out.push(...varint(h.payloadLength));
  if (h.tablesLength !== undefined) out.push(...varint(h.tablesLength));
  if (h.inPlaceFields) out.push(...h.inPlaceFields);
  if (h.versions) for (const s of h.versions) out.push(...encodeUvarint(s.length), ...s);
  if (h.counter !== undefined) out.push(...varint(h.counter));
  if (h.stashFields) out.push(...h.stashFields);
  return Uint8Array.from(out);
}

export interface RawPatch {
  raw: RawHeader;
  header: PatchHeader;
  tables: Uint8Array;
  payload: Uint8Array;
}

/** The raw form of a real patch's header, with its tables and payload (the signature trailer is left out). */
export function rawPatchOf(patch: Uint8Array): RawPatch {
  const { header, tables, payload } = parsePatch(patch);
  const raw: RawHeader = {
    magic: [0x53, 0x44],
    version: header.inPlace ? 0x82 : 2,
    flags:
      (header.versionFrom !== undefined ? FLAG.versions : 0) |
      (header.securityCounter !== undefined ? FLAG.counter : 0) |
      (header.newLoadAddress !== header.oldLoadAddress ? FLAG.newAddress : 0) |
      (header.layout === 1 ? FLAG.sectioned : 0) |
      (header.diffCoding === 1 ? FLAG.sparse : 0) |
      (header.transform === 1 ? FLAG.cortexM : 0),
    codec: header.codec,
    oldSize: header.oldSize,
    newSize: header.newSize,
    oldLoad: header.oldLoadAddress,
    oldCheck: header.oldCheck,
    newSha: header.newSha256,
    payloadLength: header.payloadLength,
  };
  if (header.newLoadAddress !== header.oldLoadAddress) raw.newLoad = header.newLoadAddress;
  if (header.codec === Codec.lzma1) {
    const { lc, lp, pb, dictSize } = header.lzma!;
    raw.lzma = [(pb * 5 + lp) * 9 + lc, Math.log2(dictSize)];
  }
  if (header.codec === Codec.smallLz) {
    const { params, programLength } = header.smallLz!;
    raw.smallLz = [(params.windowLog2 - 8) | (params.literalContext << 3), programLength];
  }
  if (raw.flags & (FLAG.sectioned | FLAG.cortexM)) raw.tablesLength = header.tablesLength;
  if (header.inPlace) {
    const g = header.inPlace;
    raw.extension = g.stash?.length ? 3 : 1;
    raw.inPlaceFields = [g.slotSize, g.eraseUnit, g.writeUnit, g.order.length, ...g.order.flatMap((r) => [r.first, r.count * 2 + (r.backward ? 1 : 0)])].flatMap((v) => encodeUvarint(v));
    if (g.stash?.length) {
      raw.stashFields = [...encodeStash(g.stash)];
      raw.inPlaceFields.push(...encodeUvarint(raw.stashFields.length));
    }
  }
  if (header.versionFrom !== undefined) raw.versions = [new TextEncoder().encode(header.versionFrom), new TextEncoder().encode(header.versionTo ?? '')];
  if (header.securityCounter !== undefined) raw.counter = header.securityCounter;
  // The writer must reproduce the real header byte for byte.
  const again = writeRawHeader(raw);
  if (again.length !== decodeHeader(patch).length || !again.every((b, i) => b === patch[i])) throw new Error('raw header writer disagrees');
  return { raw, header, tables: new Uint8Array(tables), payload: new Uint8Array(payload) };
}

/**
 * A patch from a changed raw header and, optionally, other tables and payload. The header's tables and payload
 * lengths follow the bytes given unless `change` sets them; no signature trailer.
 */
export function patchWith(patch: Uint8Array, change: Partial<RawHeader>, body: { tables?: Uint8Array; payload?: Uint8Array } = {}): Uint8Array {
  const { raw, tables: originalTables, payload: originalPayload } = rawPatchOf(patch);
  const tables = body.tables ?? originalTables;
  const payload = body.payload ?? originalPayload;
  const head = writeRawHeader({
    ...raw,
    payloadLength: payload.length,
    ...(raw.tablesLength !== undefined && { tablesLength: tables.length }),
    ...change,
  });
  return Uint8Array.from([...head, ...tables, ...payload]);
}

// ---- tables ------------------------------------------------------------------------------------------------

/** A control table as stored: any value in any field (docs/FORMAT.md, "Control table"). */
export interface RawControlTable {
  count: Varint;
  k: number[];
  /** Present with the relocation transform, with groupLog2 and width. */
  minSegment?: Varint;
  groupLog2?: number;
  width?: number;
  /** Defaults to the length of `bits`. */
  bitsLength?: Varint;
  /** Checkpoints 1, 2, ...: five fields each (bit position, old position, new position, segment key, segment new start). */
  checkpoints: number[][];
  bits: Uint8Array;
}

/** A value map as stored (docs/FORMAT.md, "RAM map and constant map"); a count of 0 writes nothing else. */
export interface RawValueMap {
  count: Varint;
  base: Varint;
  span: Varint;
  k: number[];
  groupLog2: number;
  width: number;
  bitsLength?: Varint;
  /** Checkpoints 1, 2, ...: (bit position, start - base). */
  checkpoints: number[][];
  bits: Uint8Array;
}

export interface RawTables {
  /** The relocation's recognizer byte. */
  recognize?: number;
  control?: RawControlTable;
  ram?: RawValueMap;
  constants?: RawValueMap;
  /** Bytes after the last part. */
  trailing?: number[];
}

/** out.push(...items) without spreading: a table of 2^16 entries has more bytes than a call may take arguments. */
function append(out: number[], items: ArrayLike<number>): void {
  for (let i = 0; i < items.length; i++) out.push(items[i]!);
}

export function writeControlTable(t: RawControlTable): number[] {
  const out = [...varint(t.count), ...t.k];
  const width = t.width ?? 1;
  if (t.minSegment !== undefined) out.push(...varint(t.minSegment), t.groupLog2 ?? 2, width);
  out.push(...varint(t.bitsLength ?? t.bits.length));
  for (const c of t.checkpoints) for (const v of c) out.push(...le(v, width));
  append(out, t.bits);
  return out;
}

export function writeValueMap(m: RawValueMap): number[] {
  const out = [...varint(m.count)];
  if (m.count === 0) return out;
  out.push(...varint(m.base), ...varint(m.span), ...m.k, m.groupLog2, m.width, ...varint(m.bitsLength ?? m.bits.length));
  for (const c of m.checkpoints) for (const v of c) out.push(...le(v, m.width));
  append(out, m.bits);
  return out;
}

export function writeTables(t: RawTables): Uint8Array {
  const out: number[] = t.recognize !== undefined ? [t.recognize] : [];
  if (t.control) append(out, writeControlTable(t.control));
  if (t.ram) append(out, writeValueMap(t.ram));
  if (t.constants) append(out, writeValueMap(t.constants));
  out.push(...(t.trailing ?? []));
  return Uint8Array.from(out);
}

function readLE(r: ByteReader, width: number, name: string): number {
  const bytes = r.bytes(width, name);
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + bytes[i]!;
  return v;
}

/** Where a field of the tables is, relative to the start of the tables (for the fuzzer's field mutations). */
export interface TableField {
  offset: number;
  length: number;
  kind: 'varint' | 'le';
  value: number;
  name: string;
}

function readControlTable(r: ByteReader, relocation: boolean, fields: TableField[]): RawControlTable {
  const v = (name: string): number => {
    const offset = r.offset;
    const value = r.uvarint(name);
    fields.push({ offset, length: r.offset - offset, kind: 'varint', value, name });
    return value;
  };
  const b = (name: string): number => {
    const offset = r.offset;
    const value = r.byte(name);
    fields.push({ offset, length: 1, kind: 'le', value, name });
    return value;
  };
  const count = v('entry count');
  const k = [b('k seek'), b('k copy'), b('k extra')];
  const t: RawControlTable = { count, k, checkpoints: [], bits: new Uint8Array(0) };
  if (relocation) {
    t.minSegment = v('min segment');
    t.groupLog2 = b('group log2');
    t.width = b('checkpoint width');
  }
  const bitsLength = v('bits length');
  if (relocation) {
    const n = Math.max(0, Math.ceil(count / 2 ** t.groupLog2!) - 1);
    for (let j = 0; j < n; j++) {
      t.checkpoints.push([0, 1, 2, 3, 4].map((f) => {
        const offset = r.offset;
        const value = readLE(r, t.width!, 'checkpoint');
        fields.push({ offset, length: t.width!, kind: 'le', value, name: `checkpoint ${j + 1} field ${f}` });
        return value;
      }));
    }
  }
  t.bits = new Uint8Array(r.bytes(bitsLength, 'entry bits'));
  return t;
}

function readValueMap(r: ByteReader, what: string, fields: TableField[]): RawValueMap {
  const v = (name: string): number => {
    const offset = r.offset;
    const value = r.uvarint(name);
    fields.push({ offset, length: r.offset - offset, kind: 'varint', value, name: `${what} ${name}` });
    return value;
  };
  const b = (name: string): number => {
    const offset = r.offset;
    const value = r.byte(name);
    fields.push({ offset, length: 1, kind: 'le', value, name: `${what} ${name}` });
    return value;
  };
  const count = v('count');
  const m: RawValueMap = { count, base: 0, span: 0, k: [0, 0], groupLog2: 2, width: 1, checkpoints: [], bits: new Uint8Array(0) };
  if (count === 0) return m;
  m.base = v('base');
  m.span = v('span');
  m.k = [b('k start'), b('k shift')];
  m.groupLog2 = b('group log2');
  m.width = b('checkpoint width');
  const bitsLength = v('bits length');
  for (let j = 0; j < Math.ceil(count / 2 ** m.groupLog2) - 1; j++) {
    m.checkpoints.push([0, 1].map((f) => {
      const offset = r.offset;
      const value = readLE(r, m.width, 'checkpoint');
      fields.push({ offset, length: m.width, kind: 'le', value, name: `${what} checkpoint ${j + 1} field ${f}` });
      return value;
    }));
  }
  m.bits = new Uint8Array(r.bytes(bitsLength, 'record bits'));
  return m;
}

/** The raw tables of a real patch, and where their integer fields are; checked to write the same bytes back. */
export function rawTablesOf(patch: Uint8Array): { tables: RawTables; fields: TableField[] } {
  const { header, tables: bytes } = rawPatchOf(patch);
  const relocation = header.transform === 1;
  const fields: TableField[] = [];
  const t: RawTables = {};
  const r = new ByteReader(bytes, 'tables');
  if (relocation) {
    t.recognize = r.byte('recognizers');
    fields.push({ offset: 0, length: 1, kind: 'le', value: t.recognize, name: 'recognizers' });
  }
  if (header.layout === 1) t.control = readControlTable(r, relocation, fields);
  if (relocation && t.recognize! & 0x10) t.ram = readValueMap(r, 'ram map', fields);
  if (relocation && t.recognize! & 0x20) t.constants = readValueMap(r, 'constant map', fields);
  const again = writeTables(t);
  if (r.offset !== bytes.length || again.length !== bytes.length || !again.every((b, i) => b === bytes[i])) throw new Error('raw tables writer disagrees');
  return { tables: t, fields };
}

// ---- control entries and value map records -------------------------------------------------------------------

/** A control entry as coded: seek relative to the old position, copy and extra lengths, the segment flag. */
export interface RawEntry {
  seek: number;
  copy: number;
  extra: number;
  segment?: boolean;
}

function bitReader(bits: Uint8Array): BitReader {
  return new BitReader((i) => bits[i]!, bits.length);
}

/** The entries of a (valid) raw control table. */
export function entriesOf(t: RawControlTable): RawEntry[] {
  const bits = bitReader(t.bits);
  const entries: RawEntry[] = [];
  const minSegment = t.minSegment === undefined ? undefined : (t.minSegment as number);
  for (let i = 0; i < (t.count as number); i++) {
    const seek = unzigzag(bits.eg(t.k[0]!));
    const copy = bits.eg(t.k[1]!);
    const extra = bits.eg(t.k[2]!);
    const segment = minSegment !== undefined && copy >= minSegment && bits.bit() === 1;
    entries.push({ seek, copy, extra, ...(minSegment !== undefined && { segment }) });
  }
  return entries;
}

/**
 * A control table with these entries and the orders, minimum segment, group and width of `like`: the bits
 * coded and the checkpoints computed as a reader computes them, whatever the entries are (no check).
 */
export function controlTableOf(entries: readonly RawEntry[], like: RawControlTable, extraBits: number[] = []): RawControlTable {
  const bits = new BitWriter();
  const relocation = like.minSegment !== undefined;
  const minSegment = like.minSegment as number;
  const group = 2 ** (like.groupLog2 ?? 16);
  const checkpoints: number[][] = [];
  const state = { oldPos: 0, newPos: 0, segmentKey: 0, segmentNewStart: 0 };
  entries.forEach((e, i) => {
    if (relocation && i > 0 && i % group === 0) checkpoints.push([bits.position, state.oldPos, state.newPos, state.segmentKey, state.segmentNewStart]);
    bits.eg(zigzag(e.seek), like.k[0]!);
    bits.eg(e.copy, like.k[1]!);
    bits.eg(e.extra, like.k[2]!);
    const oldStart = state.oldPos + e.seek;
    if (relocation && e.copy >= minSegment) {
      bits.bit(e.segment ? 1 : 0);
      if (e.segment) {
        state.segmentKey = oldStart + 1;
        state.segmentNewStart = state.newPos;
      }
    }
    state.oldPos = oldStart + e.copy;
    state.newPos += e.copy + e.extra;
  });
  for (const b of extraBits) bits.bit(b);
  const { bitsLength: _drop, ...rest } = like;
  return { ...rest, count: entries.length, checkpoints, bits: bits.finish() };
}

/** A value map record as coded: start minus the previous record's start (0 for the first), and the shift. */
export interface RawRecord {
  delta: number;
  shift: number;
}

export function recordsOf(m: RawValueMap): RawRecord[] {
  const bits = bitReader(m.bits);
  return Array.from({ length: m.count as number }, () => ({ delta: bits.eg(m.k[0]!), shift: unzigzag(bits.eg(m.k[1]!)) }));
}

/** A value map with these records and the base, span, orders, group and width of `like`; checkpoints computed. */
export function valueMapOf(records: readonly RawRecord[], like: RawValueMap, extraBits: number[] = []): RawValueMap {
  const bits = new BitWriter();
  const checkpoints: number[][] = [];
  let start = 0;
  records.forEach((r, i) => {
    start += r.delta;
    if (i > 0 && i % 2 ** like.groupLog2 === 0) checkpoints.push([bits.position, start]);
    bits.eg(r.delta, like.k[0]!);
    bits.eg(zigzag(r.shift), like.k[1]!);
  });
  for (const b of extraBits) bits.bit(b);
  const { bitsLength: _drop, ...rest } = like;
  return { ...rest, count: records.length, checkpoints, bits: bits.finish() };
}

// ---- other inputs ------------------------------------------------------------------------------------------

/** An Intel HEX record line with a correct checksum unless one is given. */
export function hexLine(type: number, offset: number, data: readonly number[], checksum?: number): string {
  const body = [data.length, (offset >> 8) & 0xff, offset & 0xff, type, ...data];
  const sum = checksum ?? -body.reduce((s, b) => s + b, 0) & 0xff;
  return `:${[...body, sum].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')}`;
}
