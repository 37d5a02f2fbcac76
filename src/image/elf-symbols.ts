/** ELF32 symbol tables, .symtab and .dynsym (gABI "Symbol Table"). */
import { InvalidInputError } from '../errors.js';
import { hex } from './describe.js';
import {
  checkInFile,
  fileView,
  type RawSection,
  SHN_LORESERVE,
  SHN_XINDEX,
  SHT_DYNSYM,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
} from './elf-header.js';
import { openStringTable } from './elf-strings.js';
import type { ElfSection, ElfSymbol } from './types.js';

const SYM_SIZE = 16;
const TYPES: readonly ElfSymbol['type'][] = ['notype', 'object', 'func', 'section', 'file'];
const BINDS: readonly ElfSymbol['bind'][] = ['local', 'global', 'weak'];

/** Symbols of every SHT_SYMTAB and SHT_DYNSYM section, in file order, without each table's null symbol 0. */
export function readSymbols(bytes: Uint8Array, raw: readonly RawSection[], sections: readonly ElfSection[]): ElfSymbol[] {
  const symbols: ElfSymbol[] = [];
  for (const table of raw) {
    if (table.type !== SHT_SYMTAB && table.type !== SHT_DYNSYM) continue;
    readTable(bytes, raw, sections, table, symbols);
  }
  return symbols;
}

function readTable(
  bytes: Uint8Array,
  raw: readonly RawSection[],
  sections: readonly ElfSection[],
  table: RawSection,
  out: ElfSymbol[],
): void {
  const label = `ELF section ${table.index} (${sections[table.index]!.name || 'symbol table'})`;
  if (table.entsize !== SYM_SIZE) {
    throw new InvalidInputError(`${label}: symbol entry size is ${table.entsize}, expected ${SYM_SIZE}`);
  }
  if (table.size % SYM_SIZE !== 0) {
    throw new InvalidInputError(`${label}: size ${hex(table.size)} is not a multiple of the ${SYM_SIZE}-byte entry`);
  }
  const strtabName = sections[table.link]?.name || 'string table';
  const strings = openStringTable(bytes, raw, table.link, `${label} sh_link`, strtabName);
  const extended = extendedIndexes(bytes, raw, table);
  const v = fileView(bytes);
  const count = table.size / SYM_SIZE;
  const tableName = sections[table.index]!.name || `section ${table.index}`;
  for (let i = 1; i < count; i++) {
    const at = table.offset + i * SYM_SIZE;
    const owner = `ELF symbol ${i} in ${tableName}`;
    const name = strings.get(v.getUint32(at, true), owner);
    const info = v.getUint8(at + 12);
    const storedIndex = v.getUint16(at + 14, true);
    const viaExtended = storedIndex === SHN_XINDEX && extended !== undefined;
    const sectionIndex = viaExtended ? extended.getUint32(i * 4, true) : storedIndex;
    const symbol: ElfSymbol = {
      name,
      value: v.getUint32(at + 4, true),
      size: v.getUint32(at + 8, true),
      type: TYPES[info & 0xf] ?? 'other',
      bind: BINDS[info >> 4] ?? 'other',
      sectionIndex,
    };
    if (viaExtended || (sectionIndex !== 0 && sectionIndex < SHN_LORESERVE)) {
      const section = sections[sectionIndex];
      if (!section) {
        throw new InvalidInputError(
          `${owner} (${name || 'unnamed'}): section index ${sectionIndex} does not exist (${sections.length} sections)`,
        );
      }
      symbol.sectionName = section.name;
    }
    out.push(symbol);
  }
}

/** The SHT_SYMTAB_SHNDX section that extends `table` (needed only with more than 0xFF00 sections). */
function extendedIndexes(bytes: Uint8Array, raw: readonly RawSection[], table: RawSection): DataView | undefined {
  const shndx = raw.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === table.index);
  if (!shndx) return undefined;
  const needed = (table.size / SYM_SIZE) * 4;
  if (shndx.size < needed) {
    throw new InvalidInputError(
      `ELF section ${shndx.index} (SHT_SYMTAB_SHNDX): size ${hex(shndx.size)} is smaller than the ${hex(needed)} bytes its symbol table needs`,
    );
  }
  checkInFile(`ELF section header ${shndx.index}`, shndx.offset, shndx.size, bytes.length);
  return new DataView(bytes.buffer, bytes.byteOffset + shndx.offset, shndx.size);
}
