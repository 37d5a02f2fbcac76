/** Firmware image loading: raw .bin, Intel HEX and ELF32 ARM, detected by content (docs/IMAGES.md). */
export type {
  BaseSource,
  ElfInfo,
  ElfSection,
  ElfSegment,
  ElfSymbol,
  FirmwareImage,
  ImageFormat,
  LoadOptions,
} from './types.js';
export { MAX_IMAGE_SPAN } from './types.js';
export { detectFormat } from './detect.js';
export { loadImage } from './load.js';
export { ELF_GAP_FILL, type ParsedElf, parseElf } from './elf.js';
export { HEX_GAP_FILL, type ParsedHex, parseIntelHex } from './intel-hex.js';
export { inferBaseFromVectorTable } from './vector-table.js';
