/** detectFormat: by content, never by file name (docs/IMAGES.md, "Detection"). */
import { isElf } from './elf-header.js';
import type { ImageFormat } from './types.js';

/** The shortest record is ':' + 10 digits (the EOF record ":00000001FF"). */
const MIN_FIRST_LINE = 11;
/** How far we look for the end of the first line. */
const SCAN_LIMIT = 1024;

export function detectFormat(bytes: Uint8Array): ImageFormat {
  if (isElf(bytes)) return 'elf';
  if (looksLikeHexText(bytes)) return 'hex';
  return 'bin';
}

/**
 * ':' then printable ASCII up to the end of the first line. The record itself is not validated here, so that
 * a damaged HEX file is reported by the HEX parser (with its line number) instead of loading as a raw binary.
 * A Cortex-M binary cannot start with ':' (0x3A) when it starts with a 4-aligned initial SP.
 */
function looksLikeHexText(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x3a) return false;
  const limit = Math.min(bytes.length, SCAN_LIMIT);
  let i = 1;
  for (; i < limit && bytes[i] !== 0x0a; i++) {
    const c = bytes[i]!;
    if ((c < 0x20 || c > 0x7e) && c !== 0x09 && c !== 0x0d) return false;
  }
  return i >= MIN_FIRST_LINE;
}
