/**
 * The tables section of a sectioned patch (docs/FORMAT.md, "Tables"): the control table, then with the
 * relocation transform its RAM and constant maps. A device reads all of it where the patch is stored.
 */
import { InvalidInputError } from '../errors.js';
import { ControlTable, encodeControlTable } from '../delta/control-table.js';
import type { Block } from '../delta/match.js';
import { encodeValueMap, MAX_CONSTANT_SEGMENTS, MAX_RAM_SEGMENTS, StoredValueMap } from '../delta/value-map.js';
import type { RelocationPlan } from '../types.js';
import { Transform, type PatchHeader } from './header.js';

/** Recognizer bits that bring a value map into the tables (docs/FORMAT.md, "Header"). */
const RAM_POINTERS = 0x10;
const CONSTANTS = 0x20;

export interface PatchTables {
  control: ControlTable;
  ram: StoredValueMap;
  constants: StoredValueMap;
}

export function encodeTables(blocks: readonly Block[], relocation?: RelocationPlan): Uint8Array {
  const parts = [encodeControlTable(blocks, relocation && { minSegment: relocation.minSegment, flags: relocation.segmentFlags })];
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
  const { table: control, end } = ControlTable.parse(tables, { oldSize: header.oldSize, newSize: header.newSize, relocation });
  let at = end;
  let ram = StoredValueMap.EMPTY;
  let constants = StoredValueMap.EMPTY;
  if (relocation && header.recognize & RAM_POINTERS) ({ map: ram, end: at } = StoredValueMap.parse(tables, at, 'RAM map', MAX_RAM_SEGMENTS));
  if (relocation && header.recognize & CONSTANTS) ({ map: constants, end: at } = StoredValueMap.parse(tables, at, 'constant map', MAX_CONSTANT_SEGMENTS));
  if (at !== tables.length) throw new InvalidInputError(`corrupt patch: the tables section has ${tables.length - at} unexpected trailing byte(s)`);
  control.check();
  return { control, ram, constants };
}
