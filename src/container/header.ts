/**
 * The patch header (docs/FORMAT.md, "Header"): everything a device needs to decide before it spends flash or
 * energy, in as few bytes as possible (varints, no padding, optional fields behind flags).
 */
import { InvalidInputError } from '../errors.js';
import { ByteReader, ByteWriter } from '../delta/varint.js';
import { DiffCoding, Layout } from '../delta/program.js';
import { dictLog2, lzmaParamsFromBytes, lzmaPropsByte, type LzmaParams } from '../codec/lzma.js';

export const MAGIC = new Uint8Array([0x53, 0x44, 0x4c, 0x54]); // "SDLT"
export const FORMAT_VERSION = 1;

export const Transform = { plain: 0, cortexM: 1 } as const;
export type Transform = (typeof Transform)[keyof typeof Transform];
export const Codec = { none: 0, lzma1: 1 } as const;
export type Codec = (typeof Codec)[keyof typeof Codec];

const FLAG_VERSIONS = 0x01;
const FLAG_SECURITY_COUNTER = 0x02;
const KNOWN_FLAGS = FLAG_VERSIONS | FLAG_SECURITY_COUNTER;
const PROGRAM_CONTROL_FIRST = 0x01;
const PROGRAM_SPARSE = 0x02;

/** Limits checked before anything is allocated (docs/SECURITY.md). */
export const MAX_IMAGE_SIZE = 64 * 1024 * 1024;
export const MAX_VERSION_LENGTH = 64;
export const MAX_TRANSFORM_PARAMS = 4096;
/**
 * Control entries per patch. A device keeps 12 bytes per entry of a control-first table, so more than this is
 * unappliable anyway; real patches have about a thousand (pybv11: 1,018). It also bounds the program length.
 */
export const MAX_CONTROL_ENTRIES = 1 << 20;

export interface PatchHeader {
  oldSize: number;
  newSize: number;
  oldLoadAddress: number;
  newLoadAddress: number;
  oldSha256: Uint8Array;
  newSha256: Uint8Array;
  transform: Transform;
  /** Transform parameters, opaque here (src/arch/cortex-m defines them for the relocation transform). */
  transformParams: Uint8Array;
  layout: Layout;
  diffCoding: DiffCoding;
  entryCount: number;
  programLength: number;
  codec: Codec;
  lzma?: LzmaParams;
  payloadLength: number;
  versionFrom?: string;
  versionTo?: string;
  securityCounter?: number;
}

export function encodeHeader(h: PatchHeader): Uint8Array {
  const w = new ByteWriter(256);
  const hasVersions = h.versionFrom !== undefined || h.versionTo !== undefined;
  w.bytes(MAGIC);
  w.byte(FORMAT_VERSION);
  w.byte((hasVersions ? FLAG_VERSIONS : 0) | (h.securityCounter !== undefined ? FLAG_SECURITY_COUNTER : 0));
  w.uvarint(h.oldSize);
  w.uvarint(h.newSize);
  w.uvarint(h.oldLoadAddress);
  w.uvarint(h.newLoadAddress);
  w.bytes(h.oldSha256);
  w.bytes(h.newSha256);
  w.byte(h.transform);
  w.uvarint(h.transformParams.length);
  w.bytes(h.transformParams);
  w.byte((h.layout === Layout.controlFirst ? PROGRAM_CONTROL_FIRST : 0) | (h.diffCoding === DiffCoding.sparse ? PROGRAM_SPARSE : 0));
  w.uvarint(h.entryCount);
  w.uvarint(h.programLength);
  w.byte(h.codec);
  if (h.codec === Codec.lzma1) {
    if (!h.lzma) throw new RangeError('LZMA parameters missing');
    w.byte(lzmaPropsByte(h.lzma));
    w.byte(dictLog2(h.lzma.dictSize));
  }
  w.uvarint(h.payloadLength);
  if (hasVersions) {
    writeString(w, h.versionFrom ?? '');
    writeString(w, h.versionTo ?? '');
  }
  if (h.securityCounter !== undefined) w.uvarint(h.securityCounter);
  return w.view().slice();
}

function writeString(w: ByteWriter, s: string): void {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length > MAX_VERSION_LENGTH) throw new RangeError(`version string longer than ${MAX_VERSION_LENGTH} bytes: ${s}`);
  w.uvarint(bytes.length);
  w.bytes(bytes);
}

/** Parses and validates a header; returns it with its encoded length. */
export function decodeHeader(data: Uint8Array): { header: PatchHeader; length: number } {
  const r = new ByteReader(data, 'patch header');
  const magic = r.bytes(4, 'magic');
  if (!magic.every((b, i) => b === MAGIC[i])) throw new InvalidInputError('not a smartdelta patch (bad magic; expected "SDLT")');
  const version = r.byte('format version');
  if (version !== FORMAT_VERSION) throw new InvalidInputError(`unsupported patch format version ${version} (this tool reads version ${FORMAT_VERSION})`);
  const flags = r.byte('flags');
  if (flags & ~KNOWN_FLAGS) throw new InvalidInputError(`unknown header flags 0x${flags.toString(16)}`);
  const oldSize = checkedSize(r.uvarint('old size'), 'old image size');
  const newSize = checkedSize(r.uvarint('new size'), 'new image size');
  const oldLoadAddress = r.uvarint('old load address');
  const newLoadAddress = r.uvarint('new load address');
  checkAddress(oldLoadAddress, oldSize, 'old');
  checkAddress(newLoadAddress, newSize, 'new');
  const oldSha256 = new Uint8Array(r.bytes(32, 'old SHA-256'));
  const newSha256 = new Uint8Array(r.bytes(32, 'new SHA-256'));
  const transform = r.byte('transform');
  if (transform !== Transform.plain && transform !== Transform.cortexM) throw new InvalidInputError(`unknown transform id ${transform}`);
  const paramLength = r.uvarint('transform parameter length');
  if (paramLength > MAX_TRANSFORM_PARAMS) throw new InvalidInputError(`transform parameters of ${paramLength} bytes exceed the limit of ${MAX_TRANSFORM_PARAMS}`);
  const transformParams = new Uint8Array(r.bytes(paramLength, 'transform parameters'));
  const program = r.byte('program flags');
  if (program & ~(PROGRAM_CONTROL_FIRST | PROGRAM_SPARSE)) throw new InvalidInputError(`unknown program flags 0x${program.toString(16)}`);
  const entryCount = r.uvarint('control entry count');
  const programLength = r.uvarint('program length');
  if (entryCount > MAX_CONTROL_ENTRIES) throw new InvalidInputError(`${entryCount} control entries exceed the limit of ${MAX_CONTROL_ENTRIES}`);
  if (entryCount > newSize + 1 || programLength > 2 * newSize + 16 * entryCount + 64) {
    throw new InvalidInputError(`declared program (${entryCount} entries, ${programLength} bytes) is implausible for a ${newSize}-byte image`);
  }
  const codec = r.byte('codec');
  let lzma: LzmaParams | undefined;
  if (codec === Codec.lzma1) lzma = lzmaParamsFromBytes(r.byte('LZMA properties'), r.byte('LZMA dictionary size'));
  else if (codec !== Codec.none) throw new InvalidInputError(`unknown codec id ${codec}`);
  const payloadLength = r.uvarint('payload length');
  const header: PatchHeader = {
    oldSize, newSize, oldLoadAddress, newLoadAddress, oldSha256, newSha256,
    transform, transformParams,
    layout: program & PROGRAM_CONTROL_FIRST ? Layout.controlFirst : Layout.interleaved,
    diffCoding: program & PROGRAM_SPARSE ? DiffCoding.sparse : DiffCoding.raw,
    entryCount, programLength, codec: codec as Codec, payloadLength,
  };
  if (lzma) header.lzma = lzma;
  if (flags & FLAG_VERSIONS) {
    header.versionFrom = readString(r, 'version-from');
    header.versionTo = readString(r, 'version-to');
  }
  if (flags & FLAG_SECURITY_COUNTER) header.securityCounter = r.uvarint('security counter');
  return { header, length: r.offset };
}

function checkedSize(size: number, what: string): number {
  if (size > MAX_IMAGE_SIZE) throw new InvalidInputError(`${what} ${size} exceeds the limit of ${MAX_IMAGE_SIZE} bytes`);
  return size;
}

function checkAddress(address: number, size: number, which: string): void {
  if (address > 0xffffffff || address + size > 2 ** 32) throw new InvalidInputError(`${which} image at 0x${address.toString(16)} (${size} bytes) does not fit a 32-bit address space`);
}

function readString(r: ByteReader, field: string): string {
  const length = r.uvarint(`${field} length`);
  if (length > MAX_VERSION_LENGTH) throw new InvalidInputError(`${field} string of ${length} bytes exceeds ${MAX_VERSION_LENGTH}`);
  const bytes = r.bytes(length, field);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidInputError(`${field} string is not valid UTF-8`);
  }
}
