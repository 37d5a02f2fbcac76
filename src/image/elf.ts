/** parseElf: ELF32 little-endian ARM executables (docs/IMAGES.md, "ELF"). */
import { readElfHeader, readProgramHeaders, readSectionHeaders } from './elf-header.js';
import { buildFlashImage } from './elf-flash.js';
import { nameSections } from './elf-strings.js';
import { readSymbols } from './elf-symbols.js';
import type { ElfInfo } from './types.js';

/** objcopy -O binary leaves gaps as zeros (it seeks over them); Intel HEX uses the same default. */
export const ELF_GAP_FILL = 0x00;

export interface ParsedElf {
  info: ElfInfo;
  image: { loadAddress: number; data: Uint8Array };
}

export function parseElf(bytes: Uint8Array, options: { gapFill?: number } = {}): ParsedElf {
  const header = readElfHeader(bytes);
  const segments = readProgramHeaders(bytes, header);
  const raw = readSectionHeaders(bytes, header);
  const sections = nameSections(bytes, header, raw);
  const symbols = readSymbols(bytes, raw, sections);
  const image = buildFlashImage(bytes, sections, segments, options.gapFill ?? ELF_GAP_FILL);
  return { info: { entry: header.entry, sections, symbols, segments }, image };
}
