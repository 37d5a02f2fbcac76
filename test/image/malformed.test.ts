/** Every malformed input is refused with an InvalidInputError whose message says what and where. */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { parseElf, parseIntelHex } from '../../src/image/index.js';
import { buildElf, hexRecord, hexText, pattern, sampleElf } from './helpers.js';

/** A fresh sample ELF, edited by `edit` through its DataView. */
function editedElf(edit: (b: ReturnType<typeof sampleElf>) => void): Uint8Array {
  const built = sampleElf();
  edit(built);
  return built.bytes;
}

const sample = sampleElf();
const TEXT = sample.sectionIndex('.text');
const SYMTAB = sample.sectionIndex('.symtab');
const SH_NAME = 0;
const SH_TYPE = 4;
const SH_OFFSET = 16;
const SH_SIZE = 20;
const SH_LINK = 24;
const SH_ENTSIZE = 36;
const symtabOffset = sample.view.getUint32(sample.shdr(SYMTAB) + SH_OFFSET, true);
const textOffset = sample.view.getUint32(sample.shdr(TEXT) + SH_OFFSET, true);
const fileLength = sample.bytes.length;
const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;

const elfCases: [string, () => Uint8Array, string][] = [
  ['not an ELF at all', () => Uint8Array.from([1, 2, 3, 4, 5]), 'not an ELF file (the first 4 bytes are not 7F 45 4C 46)'],
  [
    'truncated ELF header',
    () => sample.bytes.slice(0, 30),
    'truncated ELF header: the file has 30 bytes, the ELF32 header needs 52',
  ],
  [
    'truncated identification',
    () => sample.bytes.slice(0, 10),
    'truncated ELF header: the file has 10 bytes, the e_ident needs 16',
  ],
  [
    'ELF64 class',
    () => editedElf((b) => b.view.setUint8(4, 2)),
    'ELF class 2 (64-bit) is not supported: Cortex-M firmware is ELF32',
  ],
  ['invalid class', () => editedElf((b) => b.view.setUint8(4, 7)), 'ELF class 7 is invalid (expected 1, 32-bit)'],
  [
    'big-endian',
    () => editedElf((b) => b.view.setUint8(5, 2)),
    'big-endian ELF (EI_DATA 2) is not supported: expected little-endian ARM',
  ],
  [
    'wrong machine',
    () => editedElf((b) => b.view.setUint16(18, 62, true)),
    'ELF machine 62 (x86-64) is not ARM (e_machine must be 40)',
  ],
  [
    'relocatable object',
    () => editedElf((b) => b.view.setUint16(16, 1, true)),
    'ELF type 1 is a relocatable object (ET_REL): link it first',
  ],
  [
    'wrong section header entry size',
    () => editedElf((b) => b.view.setUint16(46, 64, true)),
    'ELF section header entry size is 64 bytes, expected 40',
  ],
  [
    'section header table beyond EOF',
    () => editedElf((b) => b.view.setUint32(32, fileLength - 100, true)),
    `ELF section header table (9 entries of 40 bytes) extends past the end of the file (offset ${hex(fileLength - 100)}, size 0x168, file ${fileLength} bytes)`,
  ],
  [
    'program header data beyond EOF',
    () => editedElf((b) => b.view.setUint32(b.phdr(1) + 4, fileLength - 4, true)),
    `ELF program header 1 (LOAD) extends past the end of the file (offset ${hex(fileLength - 4)}, size 0x20, file ${fileLength} bytes)`,
  ],
  [
    'p_filesz larger than p_memsz',
    () => editedElf((b) => b.view.setUint32(b.phdr(1) + 20, 0x10, true)),
    'ELF program header 1 (LOAD): p_filesz 0x20 is larger than p_memsz 0x10',
  ],
  [
    'section contents beyond EOF',
    () => editedElf((b) => b.view.setUint32(b.shdr(TEXT) + SH_SIZE, 0x10_0000, true)),
    `ELF section header ${TEXT} (.text) extends past the end of the file (offset ${hex(textOffset)}, size 0x100000, file ${fileLength} bytes)`,
  ],
  [
    'section name outside .shstrtab',
    () => editedElf((b) => b.view.setUint32(b.shdr(TEXT) + SH_NAME, 0x5000, true)),
    `ELF section header ${TEXT}: name offset 0x5000 is outside the section name table (size 0x41)`,
  ],
  [
    'e_shstrndx out of range',
    () => editedElf((b) => b.view.setUint16(50, 40, true)),
    'ELF header e_shstrndx: string table index 40 is not a section (9 sections)',
  ],
  [
    'symbol table with bad entsize',
    () => editedElf((b) => b.view.setUint32(b.shdr(SYMTAB) + SH_ENTSIZE, 12, true)),
    `ELF section ${SYMTAB} (.symtab): symbol entry size is 12, expected 16`,
  ],
  [
    'symbol table size not a multiple of 16',
    () => editedElf((b) => b.view.setUint32(b.shdr(SYMTAB) + SH_SIZE, 0x48, true)),
    `ELF section ${SYMTAB} (.symtab): size 0x48 is not a multiple of the 16-byte entry`,
  ],
  [
    'symbol table linked to a non-string section',
    () => editedElf((b) => b.view.setUint32(b.shdr(SYMTAB) + SH_LINK, TEXT, true)),
    `ELF section ${SYMTAB} (.symtab) sh_link: section ${TEXT} has type 1, expected 3 (SHT_STRTAB)`,
  ],
  [
    'symbol name index out of range',
    () => editedElf((b) => b.view.setUint32(symtabOffset + 2 * 16, 0x9999, true)),
    'ELF symbol 2 in .symtab: name offset 0x9999 is outside .strtab (size 0x26)',
  ],
  [
    'symbol in a section that does not exist',
    () => editedElf((b) => b.view.setUint16(symtabOffset + 2 * 16 + 14, 77, true)),
    'ELF symbol 2 in .symtab (Reset_Handler): section index 77 does not exist (9 sections)',
  ],
  [
    'no loadable data',
    () =>
      buildElf({ sections: [{ name: '.note', flags: 0, data: pattern(8, 1) }], segments: [] }).bytes,
    'ELF file has no loadable data: no allocated section (SHF_ALLOC) with contents',
  ],
];

describe('malformed ELF', () => {
  it('the untouched sample parses', () => {
    expect(() => parseElf(sample.bytes)).not.toThrow();
    expect(sample.view.getUint32(sample.shdr(SYMTAB) + SH_TYPE, true)).toBe(2);
  });
  it.each(elfCases)('%s', (_name, make, message) => {
    const bytes = make();
    expect(() => parseElf(bytes)).toThrow(InvalidInputError);
    expect(() => parseElf(bytes)).toThrow(message);
  });
});

const DATA_0 = hexRecord(0, 0x0000, [1, 2, 3, 4]);
const EOF = ':00000001FF';

const hexCases: [string, string[], string][] = [
  ['bad checksum', [DATA_0.slice(0, -2) + '00', EOF], 'line 1: checksum 0x00, expected 0xF2'],
  ['checksum on a later line', [DATA_0, hexRecord(0, 4, [5]).slice(0, -2) + '3A', EOF], 'line 2: checksum 0x3A, expected 0xF6'],
  ['bad hex digit', [':0400000001020G0400', EOF], "line 1: invalid hex digit 'G' at column 15"],
  ['odd number of digits', [DATA_0.slice(0, -1), EOF], 'line 1: odd number of hex digits (17)'],
  ['no record mark', [DATA_0.slice(1), EOF], "line 1: a record must start with ':', found '0'"],
  ['leading whitespace', [' ' + DATA_0, EOF], "line 1: a record must start with ':', found byte 0x20"],
  ['record too short', [':00000001', EOF], 'line 1: record too short (4 bytes, a record has at least 5)'],
  ['byte count mismatch', [':0500000001020304F1', EOF], 'line 1: byte count 0x05 (5) does not match the 4 data bytes present'],
  ['record too long', [':' + 'FF'.repeat(261), EOF], 'line 1: record too long (261 bytes, at most 260)'],
  ['unknown record type', [DATA_0, hexRecord(6, 0, [0, 0]), EOF], 'line 2: unknown record type 0x06'],
  [
    'extended linear address of the wrong length',
    [hexRecord(4, 0, [8]), DATA_0, EOF],
    'line 1: extended linear address record (type 04) must hold 2 data bytes, not 1',
  ],
  ['EOF record with data', [DATA_0, hexRecord(1, 0, [0])], 'line 2: end-of-file record (type 01) must hold 0 data bytes, not 1'],
  ['missing EOF', [DATA_0, DATA_0.replace(':04000000', ':04000400').slice(0, -2) + 'EE'], 'missing end-of-file record (type 01): the file ends after line 2'],
  ['data after EOF', [DATA_0, EOF, '', hexRecord(0, 0x10, [1])], 'line 4: data after the end-of-file record on line 2'],
  [
    'overlapping records',
    [hexRecord(0, 0x10, [1, 2, 3, 4]), DATA_0, hexRecord(0, 0x02, [9, 9]), EOF],
    'line 3: data at 0x00000002-0x00000003 overlaps data from line 2 (0x00000000-0x00000003)',
  ],
  [
    'overlap across an extended address record',
    [hexRecord(4, 0, [0x08, 0x00]), hexRecord(0, 0xfff0, Array(32).fill(1)), hexRecord(4, 0, [0x08, 0x01]), hexRecord(0, 0x0008, [2]), EOF],
    'line 4: data at 0x08010008-0x08010008 overlaps data from line 2 (0x0800FFF0-0x0801000F)',
  ],
  ['no data records', [hexRecord(4, 0, [8, 0]), EOF], 'Intel HEX file has no data records'],
  [
    'conflicting start addresses',
    [DATA_0, hexRecord(5, 0, [8, 0, 1, 1]), hexRecord(5, 0, [8, 0, 2, 1]), EOF],
    'line 3: start address 0x08000201 conflicts with 0x08000101 from line 2',
  ],
  [
    'span larger than 64 MiB',
    [DATA_0, hexRecord(4, 0, [0x08, 0x00]), DATA_0, EOF],
    'Intel HEX data would span 0x8000004 bytes, more than 64 MiB: from 0x00000000 (line 1) to 0x08000003 (line 3)',
  ],
];

describe('malformed Intel HEX', () => {
  it.each(hexCases)('%s', (_name, lines, message) => {
    const text = hexText(lines);
    expect(() => parseIntelHex(text)).toThrow(InvalidInputError);
    expect(() => parseIntelHex(text)).toThrow(message);
  });

  it('an empty file has no end-of-file record', () => {
    expect(() => parseIntelHex(new Uint8Array(0))).toThrow('missing end-of-file record (type 01): the file ends after line 0');
  });
});
