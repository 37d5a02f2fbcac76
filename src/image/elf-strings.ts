/** ELF string tables (gABI "String Table") and section naming through .shstrtab. */
import { InvalidInputError } from '../errors.js';
import { hex } from './describe.js';
import { checkInFile, type ElfHeader, hasFileContents, type RawSection, SHT_STRTAB } from './elf-header.js';
import type { ElfSection } from './types.js';

const decoder = new TextDecoder('utf-8');

export class StringTable {
  private readonly table: Uint8Array;

  /** `label` names the table in messages, e.g. ".strtab". The table must already be checked to lie in the file. */
  constructor(
    bytes: Uint8Array,
    section: RawSection,
    readonly label: string,
  ) {
    this.table = bytes.subarray(section.offset, section.offset + section.size);
  }

  /** The NUL-terminated string at `offset`; `owner` starts the error message ("ELF symbol 42 in .symtab"). */
  get(offset: number, owner: string): string {
    if (offset === 0) return '';
    if (offset >= this.table.length) {
      throw new InvalidInputError(
        `${owner}: name offset ${hex(offset)} is outside ${this.label} (size ${hex(this.table.length)})`,
      );
    }
    const end = this.table.indexOf(0, offset);
    if (end < 0) {
      throw new InvalidInputError(`${owner}: the name at offset ${hex(offset)} in ${this.label} has no NUL terminator`);
    }
    return decoder.decode(this.table.subarray(offset, end));
  }
}

/** Open the string table that section `index` points to, checking that it exists and is a string table. */
export function openStringTable(
  bytes: Uint8Array,
  sections: readonly RawSection[],
  index: number,
  referrer: string,
  label: string,
): StringTable {
  const target = sections[index];
  if (index === 0 || target === undefined) {
    throw new InvalidInputError(`${referrer}: string table index ${index} is not a section (${sections.length} sections)`);
  }
  if (target.type !== SHT_STRTAB) {
    throw new InvalidInputError(`${referrer}: section ${index} has type ${target.type}, expected ${SHT_STRTAB} (SHT_STRTAB)`);
  }
  checkInFile(`ELF section header ${index} (${label})`, target.offset, target.size, bytes.length);
  return new StringTable(bytes, target, label);
}

/** Resolve section names and check that every section's contents lie inside the file. */
export function nameSections(bytes: Uint8Array, header: ElfHeader, raw: readonly RawSection[]): ElfSection[] {
  const names =
    raw.length > 0 && header.shstrndx !== 0
      ? openStringTable(bytes, raw, header.shstrndx, 'ELF header e_shstrndx', 'the section name table')
      : undefined;
  return raw.map((s) => {
    const name = names ? names.get(s.nameOffset, `ELF section header ${s.index}`) : '';
    if (hasFileContents(s)) {
      checkInFile(`ELF section header ${s.index} (${name || 'unnamed'})`, s.offset, s.size, bytes.length);
    }
    return { index: s.index, name, type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size };
  });
}
