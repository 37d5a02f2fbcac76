/** Reading firmware images for the CLI: .bin, Intel HEX or ELF, chosen by content (docs/IMAGES.md). */
import { InvalidInputError } from '../errors.js';
import { sha256, toHex } from '../crypto/hash.js';
import { MAGIC } from '../container/header.js';
import { detectFormat, inferBaseFromVectorTable, loadImage, parseElf, type ElfInfo, type FirmwareImage, type LoadOptions } from '../image/index.js';
import { readInputFile } from './files.js';
import { parseInteger } from './options.js';
import { warn } from './output.js';

export function loadImageFile(path: string, base: number | undefined, what: string, gapFill?: number): FirmwareImage {
  const bytes = readInputFile(path, what);
  // A patch would load as a raw .bin and make a meaningless "patch" of a patch: refuse it by name.
  if (isPatch(bytes)) throw new InvalidInputError(`${path} is a smartdelta patch, not a firmware image (${what} expected)`);
  const options: LoadOptions = { name: path };
  if (base !== undefined) options.base = base;
  if (gapFill !== undefined) options.gapFill = gapFill;
  const image = loadImage(bytes, options);
  if (image.baseSource === 'option') warnBaseAgainstVectorTable(image, path);
  return image;
}

/** The file starts with the patch magic "SD" (docs/FORMAT.md, "Header"; a version 1 patch too, named as such later). */
export function isPatch(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * A --base that contradicts the vector table is almost always a typo or the wrong file; it does not make the
 * patch wrong, but the pointer-aware model then predicts nothing and the patch grows (about twice).
 */
function warnBaseAgainstVectorTable(image: FirmwareImage, path: string): void {
  const table = inferBaseFromVectorTable(image.data);
  if (table === undefined || table === image.loadAddress) return;
  warn(`${path}: --base ${hexAddress(image.loadAddress)} disagrees with the vector table, which says ${hexAddress(table)}; pointer-aware patches need the real load address (the patch will be larger)`);
}

const hexAddress = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;

/** The --gap-fill option, shared by every command that reads images. */
export const GAP_FILL_HELP = 'byte for the gaps between sections of .hex/.elf inputs (default 0x00, as in objcopy\'s .bin; 0xff: erased flash)';

export function parseGapFill(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseInteger(value, '--gap-fill', 0, 0xff);
}

/**
 * When `image` is not the patch's base (`expected`), whether it would be with another gap fill: a .hex or .elf
 * file does not say what the device holds between sections, so the same build can hash differently. Returns
 * the sentence to add to the wrong-base error, or undefined (no gaps, or no fill makes it match).
 */
export function gapFillHint(path: string, image: FirmwareImage, expected: { size: number; sha256Prefix: string }, gapFill: number | undefined): string | undefined {
  // The header keeps the first bytes of the base's SHA-256 (docs/FORMAT.md, "The base check").
  const matches = (data: Uint8Array): boolean => toHex(sha256(data)).startsWith(expected.sha256Prefix);
  if (image.format === 'bin' || image.data.length !== expected.size || matches(image.data)) return undefined;
  const current = gapFill ?? 0;
  for (const fill of [0x00, 0xff].filter((f) => f !== current)) {
    const other = loadImageFile(path, image.baseSource === 'option' ? image.loadAddress : undefined, 'image', fill);
    if (matches(other.data)) {
      return (
        `; ${path} differs from it only in gap bytes (between sections, which a .${image.format} file does not hold) ` +
        `and matches with --gap-fill 0x${fill.toString(16).padStart(2, '0')} (docs/IMAGES.md, "Gap fill")`
      );
    }
  }
  return undefined;
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
