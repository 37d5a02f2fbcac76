/** Public types of the image loader (docs/IMAGES.md). */

export type ImageFormat = 'bin' | 'hex' | 'elf';

export interface ElfSection {
  index: number;
  name: string;
  /** sh_type (1 PROGBITS, 2 SYMTAB, 3 STRTAB, 8 NOBITS, ...). */
  type: number;
  /** sh_flags (1 WRITE, 2 ALLOC, 4 EXECINSTR, ...). */
  flags: number;
  addr: number;
  offset: number;
  size: number;
}

export interface ElfSymbol {
  name: string;
  /** st_value as stored: Thumb function symbols have bit 0 set. */
  value: number;
  size: number;
  type: 'notype' | 'object' | 'func' | 'section' | 'file' | 'other';
  bind: 'local' | 'global' | 'weak' | 'other';
  /** st_shndx (0 undefined, 0xFFF1 absolute, 0xFFF2 common), resolved through SHT_SYMTAB_SHNDX when needed. */
  sectionIndex: number;
  /** Name of the section the symbol is defined in, for ordinary section indexes. */
  sectionName?: string;
}

export interface ElfSegment {
  /** p_type (1 PT_LOAD, ...). */
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  /** p_flags (1 X, 2 W, 4 R). */
  flags: number;
}

export interface ElfInfo {
  entry: number;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  segments: ElfSegment[];
}

/** Where a loaded image's address came from. */
export type BaseSource = 'option' | 'file' | 'vector-table' | 'unknown';

export interface FirmwareImage {
  format: ImageFormat;
  /** Address of data[0]. */
  loadAddress: number;
  baseSource: BaseSource;
  /** The flash image, contiguous. For a .bin it is the input bytes themselves (not copied). */
  data: Uint8Array;
  elf?: ElfInfo;
}

/** A run of bytes at an address, before the runs are joined into one contiguous image. */
export interface Chunk {
  address: number;
  bytes: Uint8Array;
}

export interface LoadOptions {
  /** Load address of a raw .bin; for .hex/.elf it must agree with the file. */
  base?: number;
  /** File name used as a prefix in error messages. */
  name?: string;
  /** Byte used for gaps between loaded ranges, for ELF and Intel HEX alike (default 0x00, like objcopy's .bin). */
  gapFill?: number;
}

/** Largest distance between the lowest and the highest loaded byte that we accept. */
export const MAX_IMAGE_SPAN = 64 * 1024 * 1024;
