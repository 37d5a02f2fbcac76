/**
 * The patch header (docs/FORMAT.md, "Header"): everything a device needs to decide before it spends flash or
 * energy, in as few bytes as possible (one flags byte, varints, an 8-byte base check, optional fields behind
 * flags).
 */
import { InvalidInputError } from '../errors.js';
import { ByteReader, ByteWriter } from '../delta/varint.js';
import { DiffCoding, Layout, maxProgramLength } from '../delta/program.js';
import { lzmaParamsFromBytes, lzmaPropsByte, type LzmaParams } from '../codec/lzma.js';
import { MAX_WRITE_ORDER_RUNS, orderProblem, writeSequence, type UnitRun } from '../inplace/order.js';
import { MAX_STASH_WINDOWS, stashProblem, type StashWindow } from '../inplace/stash.js';
import { smallLzParamsByte, smallLzParamsFromByte, type SmallLzParams } from '../codec/lzs.js';

export const MAGIC = new Uint8Array([0x53, 0x44]); // "SD"
export const FORMAT_VERSION = 2;
/**
 * Bit 7 of the version byte: an extension byte follows the flags (docs/FORMAT.md, "Extension"). Two-slot
 * patches leave it clear, so their bytes are unchanged; a reader that predates it refuses the patch as an
 * unknown version, which is what an applier that cannot apply in place must do.
 */
const VERSION_EXTENDED = 0x80;
const EXT_IN_PLACE = 0x01;
/** In-place patches with stash windows (docs/FORMAT.md, "Stash windows"); only with EXT_IN_PLACE. */
const EXT_STASH = 0x02;
const EXT_KNOWN = EXT_IN_PLACE | EXT_STASH;
/** Bytes of SHA-256(old image) the header keeps: the base check (docs/FORMAT.md, "The base check"). */
export const OLD_CHECK_LENGTH = 8;

export const Transform = { plain: 0, cortexM: 1 } as const;
export type Transform = (typeof Transform)[keyof typeof Transform];
export const Codec = { none: 0, lzma1: 1, smallLz: 2 } as const;
export type Codec = (typeof Codec)[keyof typeof Codec];

const FLAG_VERSIONS = 0x01;
const FLAG_SECURITY_COUNTER = 0x02;
const FLAG_NEW_ADDRESS = 0x04;
const FLAG_SECTIONED = 0x08;
const FLAG_SPARSE = 0x10;
const FLAG_CORTEX_M = 0x20;
const CODEC_SHIFT = 6;

/** Limits checked before anything is allocated (docs/SECURITY.md). */
export const MAX_IMAGE_SIZE = 64 * 1024 * 1024;
export const MAX_VERSION_LENGTH = 64;
export const MAX_TABLES_LENGTH = 1 << 24;
export const MIN_WINDOW_LOG2 = 8;
export const MAX_WINDOW_LOG2 = 26;

export interface PatchHeader {
  oldSize: number;
  newSize: number;
  oldLoadAddress: number;
  newLoadAddress: number;
  /** The first OLD_CHECK_LENGTH bytes of SHA-256(old image). */
  oldCheck: Uint8Array;
  newSha256: Uint8Array;
  transform: Transform;
  layout: Layout;
  diffCoding: DiffCoding;
  codec: Codec;
  /** Codec 1: lc/lp/pb and the decoder's window (dictSize, a power of two from 2^8). */
  lzma?: LzmaParams;
  /** Codec 2: its parameters and the program length, which its decoder needs (docs/LZS.md). */
  smallLz?: { params: SmallLzParams; programLength: number };
  payloadLength: number;
  /** Bytes of the tables section (sectioned layout, or any relocated patch: its value maps); 0 otherwise. */
  tablesLength: number;
  versionFrom?: string;
  versionTo?: string;
  securityCounter?: number;
  /** An in-place patch (docs/FORMAT.md, "In-place patches"): the flash geometry it was planned for. */
  inPlace?: InPlaceGeometry & { order: UnitRun[]; stash?: StashWindow[] };
}

/** The flash an in-place patch is applied in: one slot of erase units, and one erase unit of scratch. */
export interface InPlaceGeometry {
  /** Bytes of the slot that holds the old image and receives the new one: a multiple of the erase unit. */
  slotSize: number;
  /** Bytes of one erase unit (the scratch area is one unit). */
  eraseUnit: number;
  /** Bytes of the smallest write (a power of two that divides the erase unit). */
  writeUnit: number;
}

export const MAX_WRITE_UNIT = 4096;

/** The geometry rules a header must obey (docs/FORMAT.md, "In-place patches"); a message when it does not. */
export function geometryProblem(g: InPlaceGeometry, oldSize: number, newSize: number): string | undefined {
  const { slotSize, eraseUnit, writeUnit } = g;
  const pow2 = (v: number): boolean => Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0;
  if (!Number.isInteger(eraseUnit) || eraseUnit < 256 || eraseUnit > MAX_IMAGE_SIZE) return `the erase unit must be 256 bytes to 64 MiB, got ${eraseUnit}`;
  if (!pow2(writeUnit) || writeUnit > MAX_WRITE_UNIT || eraseUnit % writeUnit !== 0) {
    return `the write unit must be a power of two up to ${MAX_WRITE_UNIT} that divides the erase unit (${eraseUnit}), got ${writeUnit}`;
  }
  if (!Number.isInteger(slotSize) || slotSize <= 0 || slotSize % eraseUnit !== 0 || slotSize > MAX_IMAGE_SIZE) {
    return `the slot size must be a whole number of erase units (${eraseUnit} bytes) up to 64 MiB, got ${slotSize}`;
  }
  if (oldSize > slotSize || newSize > slotSize) return `a ${slotSize}-byte slot cannot hold the old (${oldSize}) and new (${newSize}) images`;
  return undefined;
}

/** Whether the patch has a tables section: the sectioned layout, or any relocated patch (its value maps). */
export function hasTables(h: Pick<PatchHeader, 'layout' | 'transform'>): boolean {
  return h.layout === Layout.sectioned || h.transform === Transform.cortexM;
}

export function encodeHeader(h: PatchHeader): Uint8Array {
  const w = new ByteWriter(128);
  let stashSection: Uint8Array | undefined;
  const hasVersions = h.versionFrom !== undefined || h.versionTo !== undefined;
  const newAddress = h.newLoadAddress !== h.oldLoadAddress;
  const sectioned = h.layout === Layout.sectioned;
  const relocation = h.transform === Transform.cortexM;
  // The layout bit means "sectioned"; clear, it is interleaved for plain patches and table-first for relocated ones.
  if (h.layout !== (sectioned ? Layout.sectioned : relocation ? Layout.tableFirst : Layout.interleaved)) {
    throw new RangeError(`layout ${h.layout} is not available with transform ${h.transform}`);
  }
  w.bytes(MAGIC);
  w.byte(FORMAT_VERSION | (h.inPlace ? VERSION_EXTENDED : 0));
  w.byte(
    (hasVersions ? FLAG_VERSIONS : 0) |
      (h.securityCounter !== undefined ? FLAG_SECURITY_COUNTER : 0) |
      (newAddress ? FLAG_NEW_ADDRESS : 0) |
      (sectioned ? FLAG_SECTIONED : 0) |
      (h.diffCoding === DiffCoding.sparse ? FLAG_SPARSE : 0) |
      (h.transform === Transform.cortexM ? FLAG_CORTEX_M : 0) |
      (h.codec << CODEC_SHIFT),
  );
  if (h.inPlace) {
    const problem = geometryProblem(h.inPlace, h.oldSize, h.newSize);
    if (problem) throw new RangeError(problem);
    const orderIssue = orderProblem(h.inPlace.order, Math.ceil(h.newSize / h.inPlace.eraseUnit));
    if (orderIssue) throw new RangeError(`write order: ${orderIssue}`);
    if (h.inPlace.stash?.length) {
      const stashIssue = stashProblem(h.inPlace.stash, writeSequence(h.inPlace.order), h.inPlace.eraseUnit, h.oldSize);
      if (stashIssue) throw new RangeError(`stash windows: ${stashIssue}`);
      stashSection = encodeStash(h.inPlace.stash);
    }
    w.byte(EXT_IN_PLACE | (h.inPlace.stash?.length ? EXT_STASH : 0));
  }
  w.uvarint(h.oldSize);
  w.uvarint(h.newSize);
  w.uvarint(h.oldLoadAddress);
  if (newAddress) w.uvarint(h.newLoadAddress);
  if (h.oldCheck.length !== OLD_CHECK_LENGTH) throw new RangeError(`the old check is ${OLD_CHECK_LENGTH} bytes`);
  w.bytes(h.oldCheck);
  w.bytes(h.newSha256);
  if (h.codec === Codec.lzma1) {
    if (!h.lzma) throw new RangeError('LZMA parameters missing');
    const windowLog2 = Math.log2(h.lzma.dictSize);
    if (!Number.isInteger(windowLog2) || windowLog2 < MIN_WINDOW_LOG2 || windowLog2 > MAX_WINDOW_LOG2) {
      throw new RangeError(`the LZMA window must be a power of two from 2^${MIN_WINDOW_LOG2} to 2^${MAX_WINDOW_LOG2}, got ${h.lzma.dictSize}`);
    }
    w.byte(lzmaPropsByte(h.lzma));
    w.byte(windowLog2);
  } else if (h.codec === Codec.smallLz) {
    if (!h.smallLz) throw new RangeError('small LZ parameters missing');
    w.byte(smallLzParamsByte(h.smallLz.params));
    w.uvarint(h.smallLz.programLength);
  }
  w.uvarint(h.payloadLength);
  if (hasTables(h)) w.uvarint(h.tablesLength);
  if (h.inPlace) {
    w.uvarint(h.inPlace.slotSize);
    w.uvarint(h.inPlace.eraseUnit);
    w.uvarint(h.inPlace.writeUnit);
    w.uvarint(h.inPlace.order.length);
    for (const run of h.inPlace.order) {
      w.uvarint(run.first);
      w.uvarint(run.count * 2 + (run.backward ? 1 : 0));
    }
    if (stashSection) w.uvarint(stashSection.length);
  }
  if (hasVersions) {
    writeString(w, h.versionFrom ?? '');
    writeString(w, h.versionTo ?? '');
  }
  if (h.securityCounter !== undefined) {
    if (!Number.isInteger(h.securityCounter) || h.securityCounter < 0 || h.securityCounter > 0xffffffff) {
      throw new RangeError(`the security counter must fit 32 bits, got ${h.securityCounter}`);
    }
    w.uvarint(h.securityCounter);
  }
  if (stashSection) w.bytes(stashSection);
  return w.view().slice();
}

/** The stash windows, the header's last field (docs/FORMAT.md, "Stash windows"). */
export function encodeStash(windows: readonly StashWindow[]): Uint8Array {
  const w = new ByteWriter(64);
  w.uvarint(windows.length);
  let windowEnd = 0;
  for (const window of windows) {
    w.uvarint(window.first - windowEnd);
    w.uvarint(window.count);
    w.uvarint(window.ranges.length);
    let rangeEnd = 0;
    for (const r of window.ranges) {
      w.uvarint(r.start - rangeEnd);
      w.uvarint(r.length);
      rangeEnd = r.start + r.length;
    }
    windowEnd = window.first + window.count;
  }
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
  const magic = r.bytes(2, 'magic');
  if (magic[0] !== MAGIC[0] || magic[1] !== MAGIC[1]) throw new InvalidInputError('not a smartdelta patch (bad magic; expected "SD")');
  const versionByte = r.byte('format version');
  if (versionByte === 0x4c && data[3] === 0x54) throw new InvalidInputError(`a format version 1 patch ("SDLT"); this tool reads version ${FORMAT_VERSION}: create it again`);
  const version = versionByte & ~VERSION_EXTENDED;
  if (version !== FORMAT_VERSION) throw new InvalidInputError(`unsupported patch format version ${versionByte} (this tool reads version ${FORMAT_VERSION})`);
  const flags = r.byte('flags');
  const extension = versionByte & VERSION_EXTENDED ? r.byte('extension') : 0;
  if (extension & ~EXT_KNOWN) throw new InvalidInputError(`unknown extension bits 0x${(extension & ~EXT_KNOWN).toString(16)}`);
  if (versionByte & VERSION_EXTENDED && extension === 0) throw new InvalidInputError('an extension byte of 0 (the version byte\'s bit 7 must then be clear)');
  if (extension & EXT_STASH && !(extension & EXT_IN_PLACE)) throw new InvalidInputError('stash windows (extension bit 1) without an in-place patch (bit 0)');
  const codec = flags >> CODEC_SHIFT;
  if (codec === 3) throw new InvalidInputError('unknown codec id 3');
  const transform = flags & FLAG_CORTEX_M ? Transform.cortexM : Transform.plain;
  const layout = flags & FLAG_SECTIONED ? Layout.sectioned : transform === Transform.cortexM ? Layout.tableFirst : Layout.interleaved;
  const oldSize = checkedSize(r.uvarint('old size'), 'old image size');
  const newSize = checkedSize(r.uvarint('new size'), 'new image size');
  const oldLoadAddress = r.uvarint('old load address');
  const newLoadAddress = flags & FLAG_NEW_ADDRESS ? r.uvarint('new load address') : oldLoadAddress;
  checkAddress(oldLoadAddress, oldSize, 'old');
  checkAddress(newLoadAddress, newSize, 'new');
  const oldCheck = new Uint8Array(r.bytes(OLD_CHECK_LENGTH, 'old check'));
  const newSha256 = new Uint8Array(r.bytes(32, 'new SHA-256'));
  const header: PatchHeader = {
    oldSize, newSize, oldLoadAddress, newLoadAddress, oldCheck, newSha256,
    transform, layout,
    diffCoding: flags & FLAG_SPARSE ? DiffCoding.sparse : DiffCoding.raw,
    codec: codec as Codec, payloadLength: 0, tablesLength: 0,
  };
  if (codec === Codec.lzma1) {
    const props = r.byte('LZMA properties');
    const windowLog2 = r.byte('LZMA window');
    if (windowLog2 < MIN_WINDOW_LOG2 || windowLog2 > MAX_WINDOW_LOG2) {
      throw new InvalidInputError(`LZMA window 2^${windowLog2} is out of range (2^${MIN_WINDOW_LOG2}..2^${MAX_WINDOW_LOG2})`);
    }
    header.lzma = lzmaParamsFromBytes(props, windowLog2);
  } else if (codec === Codec.smallLz) {
    const params = smallLzParamsFromByte(r.byte('small LZ parameters'));
    const programLength = r.uvarint('program length');
    if (programLength > maxProgramLength(newSize)) throw new InvalidInputError(`a ${programLength}-byte program is implausible for a ${newSize}-byte image`);
    header.smallLz = { params, programLength };
  }
  header.payloadLength = r.uvarint('payload length');
  if (hasTables(header)) {
    header.tablesLength = r.uvarint('tables length');
    if (header.tablesLength > MAX_TABLES_LENGTH) throw new InvalidInputError(`tables of ${header.tablesLength} bytes exceed the limit of ${MAX_TABLES_LENGTH}`);
  }
  let stashLength = 0;
  if (extension & EXT_IN_PLACE) {
    const geometry = { slotSize: r.uvarint('slot size'), eraseUnit: r.uvarint('erase unit'), writeUnit: r.uvarint('write unit') };
    const problem = geometryProblem(geometry, oldSize, newSize);
    if (problem) throw new InvalidInputError(`in-place geometry: ${problem}`);
    const units = Math.ceil(newSize / geometry.eraseUnit);
    const runCount = r.uvarint('run count');
    if (runCount > units || runCount > MAX_WRITE_ORDER_RUNS) throw new InvalidInputError(`a write order of ${runCount} runs for ${units} units (at most ${MAX_WRITE_ORDER_RUNS})`);
    const order: UnitRun[] = [];
    for (let i = 0; i < runCount; i++) {
      const first = r.uvarint('run start');
      const field = r.uvarint('run length');
      order.push({ first, count: Math.floor(field / 2), backward: (field & 1) === 1 });
    }
    const orderIssue = orderProblem(order, units);
    if (orderIssue) throw new InvalidInputError(`in-place write order: ${orderIssue}`);
    header.inPlace = { ...geometry, order };
    if (extension & EXT_STASH) {
      stashLength = r.uvarint('stash length');
      if (stashLength < 1 || stashLength > MAX_STASH_SECTION) throw new InvalidInputError(`stash windows of ${stashLength} bytes (1 to ${MAX_STASH_SECTION})`);
    }
  }
  if (flags & FLAG_VERSIONS) {
    header.versionFrom = readString(r, 'version-from');
    header.versionTo = readString(r, 'version-to');
  }
  // 32 bits like every varint (the reader refuses more), as a bootloader stores it.
  if (flags & FLAG_SECURITY_COUNTER) header.securityCounter = r.uvarint('security counter');
  if (stashLength > 0) {
    const start = r.offset;
    header.inPlace!.stash = readStash(r, header.inPlace!.order, header.inPlace!.eraseUnit, oldSize);
    if (r.offset - start !== stashLength) throw new InvalidInputError(`stash windows of ${r.offset - start} bytes where the header says ${stashLength}`);
  }
  return { header, length: r.offset };
}

/** The stash windows after the write order (docs/FORMAT.md, "Stash windows"). */
function readStash(r: ByteReader, order: UnitRun[], eraseUnit: number, oldSize: number): StashWindow[] {
  const sequence = writeSequence(order);
  const count = r.uvarint('stash window count');
  if (count < 1 || count > MAX_STASH_WINDOWS) throw new InvalidInputError(`${count} stash windows (1 to ${MAX_STASH_WINDOWS})`);
  const windows: StashWindow[] = [];
  let windowEnd = 0;
  for (let i = 0; i < count; i++) {
    const first = windowEnd + r.uvarint('stash window start');
    const units = r.uvarint('stash window units');
    const rangeCount = r.uvarint('stash range count');
    if (first > sequence.length || units > sequence.length || rangeCount > MAX_STASH_RANGES_READ) {
      throw new InvalidInputError(`a stash window of ${units} units and ${rangeCount} ranges from the ${first}-th unit written`);
    }
    const ranges = [];
    let rangeEnd = 0;
    for (let k = 0; k < rangeCount; k++) {
      const start = rangeEnd + r.uvarint('stash range start');
      const length = r.uvarint('stash range length');
      if (start > oldSize || length > oldSize) throw new InvalidInputError(`a stash range of ${length} bytes at ${start} outside the ${oldSize}-byte old image`);
      ranges.push({ start, length });
      rangeEnd = start + length;
    }
    windows.push({ first, count: units, ranges });
    windowEnd = first + units;
  }
  const problem = stashProblem(windows, sequence, eraseUnit, oldSize);
  if (problem) throw new InvalidInputError(`in-place stash: ${problem}`);
  return windows;
}

/** Ranges read before the full check: stashProblem then applies the real limit. */
const MAX_STASH_RANGES_READ = 1 << 16;
/** The most bytes of stash windows: 32 windows of 1,024 ranges (docs/FORMAT.md). */
const MAX_STASH_SECTION = 1 << 18;

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
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InvalidInputError(`${field} string is not valid UTF-8`);
  }
}
