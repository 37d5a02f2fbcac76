/**
 * Fragment files (docs/LORAWAN.md, "Fragment files"): what `fragment` writes and `reassemble` reads.
 *
 * NDJSON (default): one JSON object per line; line 1 is the FragSessionSetupReq ("kind":"setup"), then one
 * line per DataFragment downlink ("kind":"data"). "hex" is the FRMPayload to send on "fport": the
 * authoritative bytes; the other fields are there for people and scripts.
 *
 * Binary: "SDLF" magic, format version 1, flags (bit 0: SHA-256 present), record count (u32 LE), the
 * optional 32-byte SHA-256 of the data block, then records [fport u8][length u16 LE][FRMPayload]; the
 * first record is the FragSessionSetupReq.
 *
 * Hex lines (read only): one FRMPayload in hex per line (FPort 201), the setup first; '#' starts a comment.
 */
import { InvalidInputError } from '../errors.js';
import type { FragmentSession } from './fragmenter.js';
import { fromHex, toHex } from './hex.js';
import { MAX_FRAGMENT_INDEX, type Ts004Version } from './parity.js';
import { Cid, FRAGMENTATION_FPORT, decodeDataFragment, decodeFragSessionSetupReq, type FragSessionSetup } from './session.js';

export type FragmentFileFormat = 'ndjson' | 'binary';

export const BINARY_MAGIC = Uint8Array.of(0x53, 0x44, 0x4c, 0x46); // "SDLF"
export const BINARY_FORMAT_VERSION = 1;
const BINARY_HEADER_BYTES = 10;


export function serializeSession(session: FragmentSession, format: FragmentFileFormat = 'ndjson'): Uint8Array {
  return format === 'binary' ? serializeBinary(session) : new TextEncoder().encode(serializeNdjson(session));
}

export function serializeNdjson(session: FragmentSession): string {
  const p = session.params;
  const setupLine = {
    fport: p.fport,
    cid: '0x02',
    kind: 'setup',
    hex: toHex(session.setup),
    ts004: p.version,
    fragIndex: p.fragIndex,
    nbFrag: p.nbFrag,
    fragSize: p.fragSize,
    padding: p.padding,
    descriptor: toHex(p.descriptor),
    ...(p.version === 2 ? { sessionCnt: p.sessionCnt, mic: toHex(p.mic!) } : {}),
    dataSize: p.dataSize,
    sha256: toHex(p.sha256),
    mode: p.mode,
    redundancy: p.redundancy,
    rounds: p.rounds,
    downlinks: session.fragments.length,
  };
  const lines = [JSON.stringify(setupLine)];
  for (const f of session.fragments) {
    const line = { fport: p.fport, cid: '0x08', kind: 'data', index: f.index, coded: f.coded, ...(f.round !== undefined ? { round: f.round } : {}), hex: toHex(f.command) };
    lines.push(JSON.stringify(line));
  }
  return `${lines.join('\n')}\n`;
}

export function serializeBinary(session: FragmentSession): Uint8Array {
  const records = [session.setup, ...session.fragments.map((f) => f.command)];
  const size = BINARY_HEADER_BYTES + 32 + records.reduce((sum, r) => sum + 3 + r.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(BINARY_MAGIC, 0);
  out[4] = BINARY_FORMAT_VERSION;
  out[5] = 0x01; // SHA-256 present
  view.setUint32(6, records.length, true);
  out.set(session.params.sha256, BINARY_HEADER_BYTES);
  let offset = BINARY_HEADER_BYTES + 32;
  for (const record of records) {
    out[offset] = session.params.fport;
    view.setUint16(offset + 1, record.length, true);
    out.set(record, offset + 3);
    offset += 3 + record.length;
  }
  return out;
}

export interface ParsedFragment {
  index: number;
  payload: Uint8Array;
}

export interface ParsedFragmentFile {
  format: 'ndjson' | 'binary' | 'hex';
  fport: number;
  version: Ts004Version;
  setup: FragSessionSetup;
  setupBytes: Uint8Array;
  fragments: ParsedFragment[];
  /** SHA-256 of the data block when the file carries one. */
  sha256?: Uint8Array;
  /** Downlinks skipped: another FPort or FragIndex, or not a DataFragment. */
  ignored: number;
}

interface RawRecord {
  fport: number;
  bytes: Uint8Array;
  where: string;
  /** NDJSON: the "index" field, checked against the bytes. */
  index?: number;
}

/**
 * Most records a fragment file may hold: a TS004 session has a setup and at most 16,383 fragments (the 14-bit
 * index N), so four times that leaves room for other sessions and repeats while bounding the work and memory
 * of a crafted file (docs/SECURITY.md, "Limits").
 */
export const MAX_FRAGMENT_RECORDS = 65_536;

/** Reads a fragment file of any supported format, detected by content. */
export function parseFragmentFile(bytes: Uint8Array, name = 'fragment file'): ParsedFragmentFile {
  if (bytes.length >= 4 && BINARY_MAGIC.every((b, i) => bytes[i] === b)) return assemble('binary', readBinaryRecords(bytes, name), name);
  let first = 0;
  while (first < bytes.length && isSpace(bytes[first]!)) first++;
  if (bytes[first] === 0x7b) return assemble('ndjson', readNdjsonRecords(bytes, name), name); // '{'
  if (first < bytes.length) {
    const records = readHexRecords(bytes, name);
    if (records) return assemble('hex', { records }, name);
  }
  throw new InvalidInputError(`${name} is not a fragment file: expected NDJSON, binary (SDLF) or hex lines`);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** Longest line of a text fragment file: a downlink is at most 256 bytes, 512 hex digits plus the JSON fields. */
export const MAX_FRAGMENT_LINE = 65_536;

/**
 * The lines of a text file one at a time (split at LF, numbered from 1), without decoding the whole file;
 * a line longer than MAX_FRAGMENT_LINE is refused before it is decoded.
 */
function* textLines(bytes: Uint8Array, name: string): Generator<{ line: string; number: number }> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let number = 0;
  for (let start = 0; start <= bytes.length; ) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    number++;
    if (end - start > MAX_FRAGMENT_LINE) throw new InvalidInputError(`${name} line ${number}: longer than ${MAX_FRAGMENT_LINE} bytes, not a fragment file line`);
    yield { line: decoder.decode(bytes.subarray(start, end)), number };
    start = end + 1;
  }
}

function checkRecordCount(records: readonly RawRecord[], name: string): void {
  if (records.length >= MAX_FRAGMENT_RECORDS) {
    throw new InvalidInputError(`${name}: more than ${MAX_FRAGMENT_RECORDS} records; a TS004 session has a setup and at most 16383 fragments`);
  }
}

interface RecordList {
  records: RawRecord[];
  sha256?: Uint8Array;
}

function readBinaryRecords(bytes: Uint8Array, name: string): RecordList {
  if (bytes.length < BINARY_HEADER_BYTES) throw new InvalidInputError(`${name}: truncated binary header`);
  if (bytes[4] !== BINARY_FORMAT_VERSION) throw new InvalidInputError(`${name}: binary fragment format version ${bytes[4]} is not supported (expected ${BINARY_FORMAT_VERSION})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hasSha = (bytes[5]! & 1) !== 0;
  const count = view.getUint32(6, true);
  let offset = BINARY_HEADER_BYTES;
  let sha256: Uint8Array | undefined;
  if (hasSha) {
    if (bytes.length < offset + 32) throw new InvalidInputError(`${name}: truncated SHA-256 at offset ${offset}`);
    sha256 = bytes.slice(offset, offset + 32);
    offset += 32;
  }
  const records: RawRecord[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 3 > bytes.length) throw new InvalidInputError(`${name}: record ${i} header truncated at offset ${offset}`);
    const length = view.getUint16(offset + 1, true);
    if (offset + 3 + length > bytes.length) throw new InvalidInputError(`${name}: record ${i} (${length} bytes) truncated at offset ${offset}`);
    checkRecordCount(records, name);
    records.push({ fport: bytes[offset]!, bytes: bytes.subarray(offset + 3, offset + 3 + length), where: `record ${i} at offset ${offset}` });
    offset += 3 + length;
  }
  if (offset !== bytes.length) throw new InvalidInputError(`${name}: ${bytes.length - offset} unexpected byte(s) after the last record at offset ${offset}`);
  return { records, ...(sha256 ? { sha256 } : {}) };
}

function readNdjsonRecords(bytes: Uint8Array, name: string): RecordList {
  const records: RawRecord[] = [];
  let sha256: Uint8Array | undefined;
  for (const { line, number } of textLines(bytes, name)) {
    if (line.trim() === '') continue;
    const where = `line ${number}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new InvalidInputError(`${name} ${where}: not valid JSON`);
    }
    const obj = value as { fport?: unknown; hex?: unknown; kind?: unknown; index?: unknown; sha256?: unknown };
    if (typeof obj !== 'object' || obj === null || typeof obj.hex !== 'string') throw new InvalidInputError(`${name} ${where}: expected an object with a "hex" field`);
    if (obj.kind === 'setup' && typeof obj.sha256 === 'string') sha256 = parseHex(obj.sha256, `${name} ${where} "sha256"`);
    const fport = obj.fport === undefined ? FRAGMENTATION_FPORT : obj.fport;
    // An FPort is one byte on air (and in the binary format): anything else cannot be a downlink.
    if (typeof fport !== 'number' || !Number.isInteger(fport) || fport < 0 || fport > 255) {
      throw new InvalidInputError(`${name} ${where}: "fport" must be an integer from 0 to 255`);
    }
    checkRecordCount(records, name);
    records.push({ fport, bytes: parseHex(obj.hex, `${name} ${where} "hex"`), where, ...(typeof obj.index === 'number' ? { index: obj.index } : {}) });
  }
  return { records, ...(sha256 ? { sha256 } : {}) };
}

/** Hex lines, or undefined when a line holds something else than hex digits, spaces and a comment. */
function readHexRecords(bytes: Uint8Array, name: string): RawRecord[] | undefined {
  const records: RawRecord[] = [];
  // Every line is checked before any is parsed (two passes, no copy): a file that is not hex lines is said to be so.
  for (const { line } of textLines(bytes, name)) if (!/^[\s0-9a-fA-F]*$/.test(line.replace(/#.*$/, ''))) return undefined;
  for (const { line, number } of textLines(bytes, name)) {
    const hex = line.replace(/#.*$/, '').replace(/\s+/g, '');
    if (hex === '') continue;
    checkRecordCount(records, name);
    records.push({ fport: FRAGMENTATION_FPORT, bytes: parseHex(hex, `${name} line ${number}`), where: `line ${number}` });
  }
  return records;
}

/** A setup a decoder cannot run with is invalid input, not a usage error. */
function checkSetup(setup: FragSessionSetup, where: string): void {
  const problem =
    setup.nbFrag < 1 || setup.nbFrag > MAX_FRAGMENT_INDEX
      ? `NbFrag ${setup.nbFrag} is outside 1..${MAX_FRAGMENT_INDEX}`
      : setup.fragSize < 1
        ? 'FragSize is 0'
        : setup.padding >= setup.fragSize
          ? `Padding ${setup.padding} is not below FragSize ${setup.fragSize}`
          : undefined;
  if (problem) throw new InvalidInputError(`${where}: FragSessionSetupReq ${problem}`);
}

function parseHex(hex: string, where: string): Uint8Array {
  const bytes = fromHex(hex);
  if (!bytes) throw new InvalidInputError(`${where}: not an even-length hex string`);
  return bytes;
}

function assemble(format: ParsedFragmentFile['format'], input: RecordList, name: string): ParsedFragmentFile {
  const { records, sha256 } = input;
  const setupAt = records.findIndex((r) => r.bytes[0] === Cid.fragSessionSetup);
  if (setupAt < 0) throw new InvalidInputError(`${name}: no FragSessionSetupReq (CID 0x02): the session parameters (NbFrag, FragSize, Padding) are unknown`);
  const setupRecord = records[setupAt]!;
  const { version, setup } = decodeFragSessionSetupReq(setupRecord.bytes);
  checkSetup(setup, `${name} ${setupRecord.where}`);
  const fragments: ParsedFragment[] = [];
  let ignored = 0;
  records.forEach((record, i) => {
    if (i === setupAt) return;
    if (record.bytes[0] === Cid.fragSessionSetup) throw new InvalidInputError(`${name} ${record.where}: a second FragSessionSetupReq; one session per file`);
    if (record.fport !== setupRecord.fport || record.bytes[0] !== Cid.dataFragment) {
      ignored++;
      return;
    }
    const command = decodeDataFragment(record.bytes);
    if (record.index !== undefined && record.index !== command.index) {
      throw new InvalidInputError(`${name} ${record.where}: "index" ${record.index} disagrees with the bytes (N = ${command.index})`);
    }
    if (command.payload.length !== setup.fragSize) {
      throw new InvalidInputError(`${name} ${record.where}: fragment ${command.index} has ${command.payload.length} payload bytes, FragSize is ${setup.fragSize}`);
    }
    if (command.fragIndex !== setup.fragIndex) {
      ignored++;
      return;
    }
    fragments.push({ index: command.index, payload: command.payload });
  });
  return { format, fport: setupRecord.fport, version, setup, setupBytes: setupRecord.bytes, fragments, ...(sha256 ? { sha256 } : {}), ignored };
}
