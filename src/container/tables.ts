/**
 * The tables section of a sectioned patch (docs/FORMAT.md, "Tables"): the control table, then with the
 * relocation transform its RAM and constant maps. A device reads all of it where the patch is stored.
 */
import { InvalidInputError } from '../errors.js';
import { ControlTable, encodeControlTable } from '../delta/control-table.js';
import type { Block } from '../delta/match.js';
import { Layout } from '../delta/program.js';
import { encodeValueMap, MAX_CONSTANT_SEGMENTS, MAX_RAM_SEGMENTS, StoredValueMap } from '../delta/value-map.js';
import type { RelocationPlan } from '../types.js';
import { Transform, type PatchHeader } from './header.js';

/** Recognizer bits (docs/FORMAT.md, "Tables"); the RAM and constant ones bring a value map into the tables. */
const RECOGNIZE_MASK = 0x3f;
const RAM_POINTERS = 0x10;
const CONSTANTS = 0x20;

export interface PatchTables {
  /** Relocation recognizer bits; 0 for the plain transform. */
  recognize: number;
  /** Sectioned layout only; a table-first program carries its entries itself. */
  control?: ControlTable;
  ram: StoredValueMap;
  constants: StoredValueMap;
}

/** The tables section; `withControl` false for a table-first program (the value maps only). */
export function encodeTables(blocks: readonly Block[], relocation: RelocationPlan | undefined, withControl = true): Uint8Array {
  const parts: Uint8Array[] = relocation ? [Uint8Array.of(relocation.recognize)] : [];
  if (withControl) parts.push(encodeControlTable(blocks, relocation && { minSegment: relocation.minSegment, flags: relocation.segmentFlags }));
  if (relocation && relocation.recognize & RAM_POINTERS) parts.push(encodeValueMap(relocation.ram));
  if (relocation && relocation.recognize & CONSTANTS) parts.push(encodeValueMap(relocation.constants));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parses the tables and checks all of them (docs/FORMAT.md, "Applying", step 4). */
export function parseTables(header: PatchHeader, tables: Uint8Array): PatchTables {
  const relocation = header.transform === Transform.cortexM;
  let control: ControlTable | undefined;
  let at = 0;
  let recognize = 0;
  if (relocation) {
    if (tables.length < 1) throw new InvalidInputError('corrupt patch: the tables section has no recognizer byte');
    recognize = tables[at++]!;
    if (recognize & ~RECOGNIZE_MASK) {
      throw new InvalidInputError(`corrupt patch: unknown relocation recognizer bits 0x${(recognize & ~RECOGNIZE_MASK).toString(16)} (recognizer byte 0x${recognize.toString(16)})`);
    }
  }
  if (header.layout === Layout.sectioned) {
    const parsed = ControlTable.parse(tables.subarray(at), { oldSize: header.oldSize, newSize: header.newSize, relocation });
    control = parsed.table;
    at += parsed.end;
  }
  let ram = StoredValueMap.EMPTY;
  let constants = StoredValueMap.EMPTY;
  if (relocation && recognize & RAM_POINTERS) ({ map: ram, end: at } = StoredValueMap.parse(tables, at, 'RAM map', MAX_RAM_SEGMENTS));
  if (relocation && recognize & CONSTANTS) ({ map: constants, end: at } = StoredValueMap.parse(tables, at, 'constant map', MAX_CONSTANT_SEGMENTS));
  if (at !== tables.length) throw new InvalidInputError(`corrupt patch: the tables section has ${tables.length - at} unexpected trailing byte(s)`);
  control?.check();
  return { recognize, ...(control && { control }), ram, constants };
}
