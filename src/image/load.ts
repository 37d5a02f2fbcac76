/** loadImage: any supported file's bytes to a FirmwareImage (docs/IMAGES.md). */
import { InvalidInputError, UsageError } from '../errors.js';
import { detectFormat } from './detect.js';
import { hexAddress } from './describe.js';
import { parseElf } from './elf.js';
import { parseIntelHex } from './intel-hex.js';
import type { FirmwareImage, LoadOptions } from './types.js';
import { inferBaseFromVectorTable } from './vector-table.js';

export function loadImage(bytes: Uint8Array, options: LoadOptions = {}): FirmwareImage {
  checkOptions(options);
  try {
    return loadByFormat(bytes, options);
  } catch (error) {
    // Parsers do not know the file name; add it here so the CLI's one-line message says which input is bad.
    if (error instanceof InvalidInputError && options.name !== undefined) {
      throw new InvalidInputError(`${options.name}: ${error.message}`);
    }
    throw error;
  }
}

function loadByFormat(bytes: Uint8Array, options: LoadOptions): FirmwareImage {
  const parseOptions = options.gapFill === undefined ? {} : { gapFill: options.gapFill };
  switch (detectFormat(bytes)) {
    case 'elf': {
      const { info, image } = parseElf(bytes, parseOptions);
      checkBaseAgrees(options, image.loadAddress, 'ELF');
      return { format: 'elf', loadAddress: image.loadAddress, baseSource: 'file', data: image.data, elf: info };
    }
    case 'hex': {
      const image = parseIntelHex(bytes, parseOptions);
      checkBaseAgrees(options, image.loadAddress, 'Intel HEX');
      return { format: 'hex', loadAddress: image.loadAddress, baseSource: 'file', data: image.data };
    }
    case 'bin':
      return loadBinary(bytes, options);
  }
}

function loadBinary(bytes: Uint8Array, options: LoadOptions): FirmwareImage {
  if (bytes.length === 0) throw new InvalidInputError('the image is empty (0 bytes)');
  if (options.base !== undefined) {
    if (options.base % 4 !== 0) {
      throw new UsageError(`--base ${hexAddress(options.base)} for ${subject(options)} is not 4-byte aligned`);
    }
    if (options.base + bytes.length > 2 ** 32) {
      throw new UsageError(
        `${subject(options)} of ${bytes.length} bytes at --base ${hexAddress(options.base)} would run past the 4 GiB address space`,
      );
    }
    return { format: 'bin', loadAddress: options.base, baseSource: 'option', data: bytes };
  }
  const inferred = inferBaseFromVectorTable(bytes);
  return inferred === undefined
    ? { format: 'bin', loadAddress: 0, baseSource: 'unknown', data: bytes }
    : { format: 'bin', loadAddress: inferred, baseSource: 'vector-table', data: bytes };
}

function checkOptions(options: LoadOptions): void {
  const { base, gapFill } = options;
  if (base !== undefined) {
    if (!Number.isInteger(base) || base < 0 || base > 0xffff_ffff) {
      throw new UsageError(`--base must be an address from 0x00000000 to 0xFFFFFFFF, got ${base}`);
    }
  }
  if (gapFill !== undefined && (!Number.isInteger(gapFill) || gapFill < 0 || gapFill > 0xff)) {
    throw new UsageError(`the gap fill must be a byte value from 0 to 255, got ${gapFill}`);
  }
}

/** .hex and .elf carry their own address: an explicit base may only repeat it. */
function checkBaseAgrees(options: LoadOptions, fileAddress: number, kind: string): void {
  if (options.base === undefined || options.base === fileAddress) return;
  throw new UsageError(
    `--base ${hexAddress(options.base)} disagrees with ${subject(options)}: the ${kind} file says ${hexAddress(fileAddress)}; ` +
      'omit --base for .hex and .elf inputs',
  );
}

function subject(options: LoadOptions): string {
  return options.name ?? 'the image';
}
