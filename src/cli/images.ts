/** Reading firmware images for the CLI: .bin, Intel HEX or ELF, chosen by content (docs/IMAGES.md). */
import { InvalidInputError } from '../errors.js';
import { detectFormat, loadImage, parseElf, type ElfInfo, type FirmwareImage } from '../image/index.js';
import { readInputFile } from './files.js';
import { warn } from './output.js';

export function loadImageFile(path: string, base: number | undefined, what: string): FirmwareImage {
  const bytes = readInputFile(path, what);
  const options: { base?: number; name: string } = { name: path };
  if (base !== undefined) options.base = base;
  return loadImage(bytes, options);
}

/** Pointer-aware patches need real load addresses; say so once instead of silently losing the gain. */
export function warnUnknownBase(image: FirmwareImage, path: string): void {
  if (image.baseSource === 'unknown') {
    warn(`${path}: load address unknown (no vector table at the start); pass --base for pointer-aware patches`);
  }
}

/** The symbols and sections of an ELF file given beside a .bin or .hex image. */
export function loadElfSymbols(path: string, what: string): ElfInfo {
  const bytes = readInputFile(path, what);
  if (detectFormat(bytes) !== 'elf') throw new InvalidInputError(`${path}: ${what} is not an ELF file`);
  return parseElf(bytes).info;
}
