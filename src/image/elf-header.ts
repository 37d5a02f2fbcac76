/**
 * ELF32 little-endian header, program header and section header tables (System V ABI, "ELF Header",
 * "Program Header", "Sections"), with every offset and size checked against the file length.
 */
import { InvalidInputError } from '../errors.js';
import { hex } from './describe.js';
import type { ElfSegment } from './types.js';

export const EM_ARM = 40;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const PT_LOAD = 1;
export const PT_TLS = 7;
export const SHT_NULL = 0;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const SHT_SYMTAB_SHNDX = 18;
export const SHF_ALLOC = 0x2;
export const SHF_TLS = 0x400;
export const SHN_LORESERVE = 0xff00;
export const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

/**
 * More section headers or loadable program headers than any firmware has (a linked Cortex-M executable has
 * tens of sections and a few PT_LOAD): matching sections to segments costs their product, and each section
 * costs memory, so both are bounded (docs/SECURITY.md, "Limits").
 */
export const MAX_ELF_SECTIONS = 262_144;
export const MAX_ELF_LOAD_SEGMENTS = 256;

const EHDR_SIZE = 52;
const PHDR_SIZE = 32;
const SHDR_SIZE = 40;

export interface ElfHeader {
  type: number;
  entry: number;
  phoff: number;
  phnum: number;
  shoff: number;
  shnum: number;
  shstrndx: number;
}

/** A section header as stored; the name is resolved later from .shstrtab. */
export interface RawSection {
  index: number;
  nameOffset: number;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

const MACHINE_NAMES: Record<number, string> = {
  3: 'x86',
  8: 'MIPS',
  20: 'PowerPC',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
};

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export function fileView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Throw unless [offset, offset+size) lies inside the file; `what` starts the message. */
export function checkInFile(what: string, offset: number, size: number, fileLength: number): void {
  if (offset + size > fileLength) {
    throw new InvalidInputError(
      `${what} extends past the end of the file (offset ${hex(offset)}, size ${hex(size)}, file ${fileLength} bytes)`,
    );
  }
}

/** e_ident checks first (class, data encoding), then the fixed ELF32 fields. */
export function readElfHeader(bytes: Uint8Array): ElfHeader {
  if (!isElf(bytes)) throw new InvalidInputError('not an ELF file (the first 4 bytes are not 7F 45 4C 46)');
  if (bytes.length < 16) throw truncatedHeader(bytes.length, 16, 'e_ident');
  const elfClass = bytes[4]!;
  if (elfClass === 2) throw new InvalidInputError('ELF class 2 (64-bit) is not supported: Cortex-M firmware is ELF32');
  if (elfClass !== 1) throw new InvalidInputError(`ELF class ${elfClass} is invalid (expected 1, 32-bit)`);
  const encoding = bytes[5]!;
  if (encoding === 2) throw new InvalidInputError('big-endian ELF (EI_DATA 2) is not supported: expected little-endian ARM');
  if (encoding !== 1) throw new InvalidInputError(`ELF data encoding ${encoding} is invalid (expected 1, little-endian)`);
  if (bytes[6] !== 1) throw new InvalidInputError(`ELF identification version ${bytes[6]} is invalid (expected 1)`);
  if (bytes.length < EHDR_SIZE) throw truncatedHeader(bytes.length, EHDR_SIZE, 'ELF32 header');

  const v = fileView(bytes);
  const type = v.getUint16(16, true);
  const machine = v.getUint16(18, true);
  if (machine !== EM_ARM) {
    const known = MACHINE_NAMES[machine] ? ` (${MACHINE_NAMES[machine]})` : '';
    throw new InvalidInputError(`ELF machine ${machine}${known} is not ARM (e_machine must be ${EM_ARM})`);
  }
  if (type !== ET_EXEC && type !== ET_DYN) {
    const what = type === 1 ? 'a relocatable object (ET_REL): link it first' : `not an executable (expected ${ET_EXEC})`;
    throw new InvalidInputError(`ELF type ${type} is ${what}`);
  }
  const phentsize = v.getUint16(42, true);
  const shentsize = v.getUint16(46, true);
  const header: ElfHeader = {
    type,
    entry: v.getUint32(24, true),
    phoff: v.getUint32(28, true),
    shoff: v.getUint32(32, true),
    phnum: v.getUint16(44, true),
    shnum: v.getUint16(48, true),
    shstrndx: v.getUint16(50, true),
  };
  if (header.phnum > 0 && phentsize !== PHDR_SIZE) {
    throw new InvalidInputError(`ELF program header entry size is ${phentsize} bytes, expected ${PHDR_SIZE}`);
  }
  if ((header.shnum > 0 || header.shoff !== 0) && shentsize !== SHDR_SIZE) {
    throw new InvalidInputError(`ELF section header entry size is ${shentsize} bytes, expected ${SHDR_SIZE}`);
  }
  resolveExtendedNumbering(bytes, header);
  return header;
}

function truncatedHeader(length: number, need: number, what: string): InvalidInputError {
  return new InvalidInputError(`truncated ELF header: the file has ${length} bytes, the ${what} needs ${need}`);
}

/**
 * More than 0xFF00 sections or 0xFFFF segments: the real counts live in section header 0
 * (gABI "Extended Section Header Numbering").
 */
function resolveExtendedNumbering(bytes: Uint8Array, h: ElfHeader): void {
  const needsSection0 = (h.shnum === 0 && h.shoff !== 0) || h.shstrndx === SHN_XINDEX || h.phnum === PN_XNUM;
  if (!needsSection0) return;
  if (h.shoff === 0) throw new InvalidInputError('ELF header uses extended numbering but has no section header table');
  checkInFile('ELF section header 0', h.shoff, SHDR_SIZE, bytes.length);
  const v = fileView(bytes);
  if (h.shnum === 0) h.shnum = v.getUint32(h.shoff + 20, true);
  if (h.shstrndx === SHN_XINDEX) h.shstrndx = v.getUint32(h.shoff + 24, true);
  if (h.phnum === PN_XNUM) h.phnum = v.getUint32(h.shoff + 28, true);
}

export function readProgramHeaders(bytes: Uint8Array, h: ElfHeader): ElfSegment[] {
  if (h.phnum === 0) return [];
  checkInFile(
    `ELF program header table (${h.phnum} entries of ${PHDR_SIZE} bytes)`,
    h.phoff,
    h.phnum * PHDR_SIZE,
    bytes.length,
  );
  const v = fileView(bytes);
  const segments: ElfSegment[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const at = h.phoff + i * PHDR_SIZE;
    const segment: ElfSegment = {
      type: v.getUint32(at, true),
      offset: v.getUint32(at + 4, true),
      vaddr: v.getUint32(at + 8, true),
      paddr: v.getUint32(at + 12, true),
      filesz: v.getUint32(at + 16, true),
      memsz: v.getUint32(at + 20, true),
      flags: v.getUint32(at + 24, true),
    };
    const label = `ELF program header ${i}${segment.type === PT_LOAD ? ' (LOAD)' : ''}`;
    checkInFile(label, segment.offset, segment.filesz, bytes.length);
    if (segment.type === PT_LOAD && segment.filesz > segment.memsz) {
      throw new InvalidInputError(`${label}: p_filesz ${hex(segment.filesz)} is larger than p_memsz ${hex(segment.memsz)}`);
    }
    segments.push(segment);
  }
  const loadable = segments.filter((p) => p.type === PT_LOAD || p.type === PT_TLS).length;
  if (loadable > MAX_ELF_LOAD_SEGMENTS) {
    throw new InvalidInputError(`ELF file has ${loadable} loadable program headers (PT_LOAD, PT_TLS), more than ${MAX_ELF_LOAD_SEGMENTS}: not a firmware image`);
  }
  return segments;
}

/** Raw section headers; the table itself must lie inside the file. Contents are checked once names are known. */
export function readSectionHeaders(bytes: Uint8Array, h: ElfHeader): RawSection[] {
  if (h.shnum === 0) return [];
  if (h.shnum > MAX_ELF_SECTIONS) {
    throw new InvalidInputError(`ELF file declares ${h.shnum} section headers, more than ${MAX_ELF_SECTIONS}: not a firmware image`);
  }
  checkInFile(
    `ELF section header table (${h.shnum} entries of ${SHDR_SIZE} bytes)`,
    h.shoff,
    h.shnum * SHDR_SIZE,
    bytes.length,
  );
  const v = fileView(bytes);
  const sections: RawSection[] = [];
  for (let i = 0; i < h.shnum; i++) {
    const at = h.shoff + i * SHDR_SIZE;
    sections.push({
      index: i,
      nameOffset: v.getUint32(at, true),
      type: v.getUint32(at + 4, true),
      flags: v.getUint32(at + 8, true),
      addr: v.getUint32(at + 12, true),
      offset: v.getUint32(at + 16, true),
      size: v.getUint32(at + 20, true),
      link: v.getUint32(at + 24, true),
      info: v.getUint32(at + 28, true),
      entsize: v.getUint32(at + 36, true),
    });
  }
  return sections;
}

/** Whether a section occupies bytes in the file (SHT_NOBITS and SHT_NULL do not). */
export function hasFileContents(s: { type: number; size: number }): boolean {
  return s.type !== SHT_NOBITS && s.type !== SHT_NULL && s.size > 0;
}
