/**
 * The malformed-input suite (issue 7): distinct damaged inputs for every parser (patch header, tables, payload
 * and trailer, delta program, both codecs, Intel HEX, ELF, raw images, keys, fragment files) and bad command
 * lines, each run through the real CLI entry (main(argv) in this process). Each case pins the exit code and the
 * exact one-line message, and checks that no output file and no temporary file exists afterwards. The patch
 * cases follow format version 2 (docs/FORMAT.md): one case per rule a reader enforces.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPatch } from '../../src/container/sign.js';
import { encodePrivateKeyPem, encodePublicKeyPem, generatePrivateKey } from '../../src/crypto/index.js';
import { fragmentFile, serializeSession } from '../../src/lorawan/index.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { runCli, tempFilesIn } from './cli-run.js';
import { REPO } from './harness.js';
import {
  controlTableOf,
  entriesOf,
  FLAG,
  hexLine,
  patchWith,
  rawPatchOf,
  rawTablesOf,
  recordsOf,
  valueMapOf,
  writeTables,
  type RawEntry,
  type RawHeader,
  type RawRecord,
  type RawTables,
} from './malformed-inputs.js';
import { encodeUvarint } from './mutate.js';
import { fixtureBin, relocatedWithEverything, sectionedPlain, uncompressed } from './patch-seeds.js';

type Bytes = Uint8Array | string;
type Library = Record<string, Uint8Array>;

interface Case {
  name: string;
  /** Input files of the case, made from the library of valid inputs. */
  files: (lib: Library) => Record<string, Bytes>;
  /** The command line; file names are relative to the case's directory. */
  args: string[];
  code: number;
  /** The message after "error: ", exactly, or a regular expression for all of it. */
  message: string | RegExp;
  /** Commands whose report goes to stdout before the error (verify) may print there. */
  stdout?: boolean;
  env?: Record<string, string | undefined>;
}

const root = mkdtempSync(join(tmpdir(), 'smartdelta-malformed-'));
const lib: Library = {};
const te = (s: string): Uint8Array => new TextEncoder().encode(s);
const sha = (n: number): Uint8Array => new Uint8Array(32).fill(n);

/** test/golden/v1.0.0-v1.0.1.plain.sdp as format version 1 wrote it (commit 08822fb^): "SDLT", version 1. */
const V1_PATCH = Buffer.from(
  '53444c540100987e987e808080408080' + '80402fed9ab79866a39a9cc5ebea6fdd' + '42251129962cf58db02fe9c331468ff7' + 'ac51ab0bf79e56029109b5a68f290287' +
    'f5004ef4180dcd4db3c1e182fd114c04' + 'd539000002011501' + '6c0c1f0000260f27c5417f1a09f356bb' + 'ac677484b205dd0851c893b6471ffd49fc00',
  'hex',
);

beforeAll(async () => {
  const old = fixtureBin('v1.0.0');
  const neu = fixtureBin('v1.0.1');
  const v2 = fixtureBin('v2.0.0');
  const image = (data: Uint8Array): { data: Uint8Array; loadAddress: number } => ({ data, loadAddress: 0x0800_0000 });
  const key = generatePrivateKey();
  // Interleaved plain, sparse, LZMA, with version strings and a security counter.
  // codec 'lzma': without a choice this 21-byte program would be stored without a codec (smaller).
  const lzma = (await createPatch(image(old), image(neu), { arch: 'none', codec: 'lzma', versionFrom: '1.0.0', versionTo: '1.0.1', securityCounter: 2 })).bytes;
  const smallLz = (await createPatch(image(old), image(neu), { arch: 'none', codec: 'small-lz' })).bytes;
  const tableFirst = (await createPatch(image(old), image(neu), { arch: 'cortex-m' })).bytes;
  const session = fragmentFile(lzma, { fragSize: 40, redundancy: 4 });
  Object.assign(lib, {
    'old.bin': old,
    'new.bin': neu,
    'lzma.sdp': lzma,
    'small-lz.sdp': smallLz,
    'plain.sdp': await uncompressed(lzma),
    'table-first.sdp': await uncompressed(tableFirst),
    'sectioned.sdp': await uncompressed(await sectionedPlain(old, v2)),
    // Sectioned relocated: control table with a checkpoint every 4 entries, a RAM map, a 20-record constant map.
    'relocated.sdp': await uncompressed(await relocatedWithEverything(old, v2)),
    'signed.sdp': signPatch(lzma, key),
    'key.pem': te(encodePrivateKeyPem(key.seed)),
    'pub.pem': te(encodePublicKeyPem(key.publicKey)),
    'other.pub.pem': te(encodePublicKeyPem(generatePrivateKey().publicKey)),
    'old.elf': new Uint8Array(readFileSync(join(REPO, 'fixtures/build/v1.0.0/firmware.elf'))),
    'old.hex': new Uint8Array(readFileSync(join(REPO, 'fixtures/build/v1.0.0/firmware.hex'))),
    'frag.ndjson': serializeSession(session, 'ndjson'),
    'frag.bin': serializeSession(session, 'binary'),
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

// ---- patch inputs ------------------------------------------------------------------------------------------

const apply = (patch: string, extra: string[] = []): string[] => ['apply', 'old.bin', patch, '-o', 'out.bin', ...extra];
type HeaderChange = Partial<RawHeader> | ((raw: RawHeader) => Partial<RawHeader>);
const changeOf = (patch: Uint8Array, change: HeaderChange): Partial<RawHeader> => (typeof change === 'function' ? change(rawPatchOf(patch).raw) : change);
/** A patch case: a valid patch (codec none, interleaved plain by default) with a changed header, applied to the right base image. */
const header = (name: string, change: HeaderChange, code: number, message: string | RegExp, base = 'plain.sdp'): Case => ({
  name,
  files: (l) => ({ 'old.bin': l['old.bin']!, 'bad.sdp': patchWith(l[base]!, changeOf(l[base]!, change)) }),
  args: apply('bad.sdp'),
  code,
  message,
});
/** A patch case whose bytes are made from the library. */
const withBytes = (name: string, make: (l: Library) => Uint8Array, args: string[], code: number, message: string | RegExp, stdout = false): Case => ({
  name,
  files: (l) => ({ 'old.bin': l['old.bin']!, 'pub.pem': l['pub.pem']!, 'key.pem': l['key.pem']!, 'bad.sdp': make(l) }),
  args,
  code,
  message,
  stdout,
});
/** A patch case with another payload (the header's payload length follows it). */
const payload = (name: string, base: string, edit: (payload: Uint8Array) => Uint8Array | number[], message: string | RegExp, change: HeaderChange = {}): Case =>
  withBytes(name, (l) => patchWith(l[base]!, changeOf(l[base]!, change), { payload: Uint8Array.from(edit(rawPatchOf(l[base]!).payload)) }), apply('bad.sdp'), 3, message);
/** A program case: the interleaved plain codec-none patch with another delta program, raw or sparse. */
const program = (name: string, bytes: number[], message: string | RegExp, sparse = false): Case =>
  payload(name, 'plain.sdp', () => bytes, message, (raw) => ({ flags: (raw.flags & ~FLAG.sparse) | (sparse ? FLAG.sparse : 0) }));
/** A tables case: a sectioned patch (relocated by default) whose tables are edited (the tables length follows). */
const tables = (name: string, edit: (t: RawTables) => void, message: string | RegExp, base = 'relocated.sdp', change: HeaderChange = {}): Case =>
  withBytes(name, (l) => {
    const { tables: t } = rawTablesOf(l[base]!);
    edit(t);
    return patchWith(l[base]!, changeOf(l[base]!, change), { tables: writeTables(t) });
  }, apply('bad.sdp'), 3, message);
/** A tables case that changes the control entries (the table re-encoded, its checkpoints following). */
const entries = (name: string, edit: (e: RawEntry[]) => RawEntry[] | void, message: string | RegExp, base = 'sectioned.sdp', extraBits: number[] = []): Case =>
  tables(name, (t) => {
    const list = entriesOf(t.control!);
    t.control = controlTableOf(edit(list) ?? list, t.control!, extraBits);
  }, message, base);
/** A tables case that changes the records of the RAM map or the constant map (checkpoints following). */
const records = (name: string, map: 'ram' | 'constants', edit: (r: RawRecord[]) => void, message: string | RegExp, extraBits: number[] = []): Case =>
  tables(name, (t) => {
    const list = recordsOf(t[map]!);
    edit(list);
    t[map] = valueMapOf(list, t[map]!, extraBits);
  }, message);
/** A table-first case: the relocated table-first patch with another program (count, entries, data). */
const tableFirst = (name: string, bytes: number[], message: string | RegExp): Case => payload(name, 'table-first.sdp', () => bytes, message);
const trailer = (l: Library, bytes: number[]): Uint8Array => Uint8Array.from([...l['lzma.sdp']!, ...bytes]);
const v = encodeUvarint;
const NEW = 16152; // bytes of v1.0.1 (and of v1.0.0)
const NEW2 = 18568; // bytes of v2.0.0

const HEADER_CASES: Case[] = [
  withBytes('empty patch file', () => new Uint8Array(0), ['info', 'bad.sdp'], 3, 'patch header is truncated: magic at offset 0 needs 2 byte(s), 0 left'),
  withBytes('bad magic', (l) => Uint8Array.from([0x50, 0x4b, ...l['plain.sdp']!.subarray(2)]), ['info', 'bad.sdp'], 3, 'bad.sdp is not a smartdelta patch (it does not start with "SD")'),
  withBytes('a format version 1 patch ("SDLT")', () => V1_PATCH, apply('bad.sdp'), 3, 'a format version 1 patch ("SDLT"); this tool reads version 2: create it again'),
  header('format version 3', { version: 3 }, 3, 'unsupported patch format version 3 (this tool reads version 2)'),
  header('codec 3', { codec: 3 }, 3, 'unknown codec id 3'),
  withBytes('header cut in the old check', (l) => l['plain.sdp']!.subarray(0, 14), ['info', 'bad.sdp'], 3, 'patch header is truncated: old check at offset 12 needs 8 byte(s), 2 left'),
  header('old size above 64 MiB', { oldSize: 64 * 1024 * 1024 + 1 }, 3, 'old image size 67108865 exceeds the limit of 67108864 bytes'),
  header('new size above 64 MiB', { newSize: 64 * 1024 * 1024 + 1 }, 3, 'new image size 67108865 exceeds the limit of 67108864 bytes'),
  header('a header varint of 2^32', { oldLoad: 2 ** 32 }, 3, 'patch header: old load address at offset 8 exceeds 32 bits'),
  header('non-minimal varint', { oldSize: [0x98, 0xfe, 0x00] }, 3, 'patch header: old size at offset 4 is not a minimal varint'),
  header('varint longer than 5 bytes', (raw) => ({ flags: raw.flags | FLAG.newAddress, newLoad: [0x80, 0x80, 0x80, 0x80, 0x80, 0x01] }), 3, /^patch header: new load address at offset \d+ is longer than 5 bytes$/),
  header('old load address: image past 4 GiB', { oldLoad: 0xffff_ff00 }, 3, `old image at 0xffffff00 (${NEW} bytes) does not fit a 32-bit address space`),
  header('new load address: image past 4 GiB', (raw) => ({ flags: raw.flags | FLAG.newAddress, newLoad: 0xffff_ff00 }), 3, `new image at 0xffffff00 (${NEW} bytes) does not fit a 32-bit address space`),
  header('wrong base image: old check (exit 1)', { oldCheck: new Uint8Array(8).fill(0x22) }, 1, new RegExp(`^wrong base image: the patch needs ${NEW} bytes whose SHA-256 starts (22){8}, got ${NEW} bytes with SHA-256 2fed9ab79866a39a[0-9a-f]{48}$`)),
  header('wrong base image: old size (exit 1)', { oldSize: NEW - 1 }, 1, new RegExp(`^wrong base image: the patch needs ${NEW - 1} bytes whose SHA-256 starts 2fed9ab79866a39a, got ${NEW} bytes with SHA-256 2fed9ab79866a39a[0-9a-f]{48}$`)),
  header('result hash differs from the header', { newSha: sha(0x11) }, 3, /^corrupt patch: the result's SHA-256 [0-9a-f]{64} differs from the expected (11){32}$/),
  header('LZMA properties out of range', { lzma: [225, 12] }, 3, 'LZMA properties byte 225 is out of range (0..224)', 'lzma.sdp'),
  header('LZMA lc + lp above 4', { lzma: [8, 12] }, 3, "LZMA lc + lp = 8 exceeds 4 (the decoder's probability table would be too large)", 'lzma.sdp'),
  header('LZMA window above 2^26', { lzma: [0, 27] }, 3, 'LZMA window 2^27 is out of range (2^8..2^26)', 'lzma.sdp'),
  header('LZMA window below 2^8', { lzma: [0, 7] }, 3, 'LZMA window 2^7 is out of range (2^8..2^26)', 'lzma.sdp'),
  header('codec 2: window above 2^12', (raw) => ({ smallLz: [0x05, raw.smallLz![1]] }), 3, 'LZS parameter byte 0x5 is invalid', 'small-lz.sdp'),
  header('codec 2: parameter bits 4-7 set', (raw) => ({ smallLz: [0x18, raw.smallLz![1]] }), 3, 'LZS parameter byte 0x18 is invalid', 'small-lz.sdp'),
  header('codec 2: program length implausible', { smallLz: [0x08, 64 + 22 * NEW + 1] }, 3, `a ${64 + 22 * NEW + 1}-byte program is implausible for a ${NEW}-byte image`, 'small-lz.sdp'),
  header('tables length above 2^24', { tablesLength: 2 ** 24 + 1 }, 3, 'tables of 16777217 bytes exceed the limit of 16777216', 'relocated.sdp'),
  header('payload length past the end of the file', (raw) => ({ payloadLength: (raw.payloadLength as number) + 1 }), 3, /^patch is truncated: the header declares 0 bytes of tables and a 22-byte payload, only 21 bytes follow the header$/),
  withBytes('payload cut short', (l) => l['relocated.sdp']!.subarray(0, l['relocated.sdp']!.length - 10), apply('bad.sdp'), 3, /^patch is truncated: the header declares \d+ bytes of tables and a \d+-byte payload, only \d+ bytes follow the header$/),
  withBytes('10 bytes after the payload', (l) => trailer(l, new Array(10).fill(1)), apply('bad.sdp'), 3, 'patch has 10 bytes after its payload; a signature block is exactly 73 bytes (truncated or extended file?)'),
  withBytes('unknown signature type', (l) => trailer(l, [2, ...new Array(72).fill(0)]), apply('bad.sdp'), 3, 'unknown signature type 2 (1 = Ed25519)'),
  header('version string above 64 bytes', { versions: [te('x'.repeat(65)), te('')] }, 3, 'version-from string of 65 bytes exceeds 64'),
  header('version string not UTF-8', { versions: [Uint8Array.of(0xc3, 0x28), te('')] }, 3, 'version-from string is not valid UTF-8'),
  header('security counter longer than 5 bytes', { counter: [0xff, 0xff, 0xff, 0xff, 0xff, 0x01] }, 3, 'patch header: security counter at offset 65 is longer than 5 bytes'),
  header('security counter of 2^32', { counter: 2 ** 32 }, 3, 'patch header: security counter at offset 65 exceeds 32 bits'),
];

const TABLES_CASES: Case[] = [
  withBytes('tables: relocated patch without a recognizer byte', (l) => patchWith(l['relocated.sdp']!, {}, { tables: new Uint8Array(0) }), apply('bad.sdp'), 3, 'corrupt patch: the tables section has no recognizer byte'),
  tables('tables: unknown recognizer bit 0x40', (t) => { t.recognize! |= 0x40; }, 'corrupt patch: unknown relocation recognizer bits 0x40 (recognizer byte 0x7f)'),
  tables('tables: a byte after the last map', (t) => { t.trailing = [0]; }, 'corrupt patch: the tables section has 1 unexpected trailing byte(s)'),
  tables('control table: 0 entries for a non-empty image', (t) => { t.control!.count = 0; }, `corrupt patch: 0 control entries for a ${NEW2}-byte image`),
  tables('control table: more entries than new bytes', (t) => { t.control!.count = NEW2 + 1; }, `corrupt patch: ${NEW2 + 1} control entries for a ${NEW2}-byte image`),
  tables('control table: more than 2^20 entries', (t) => { t.control!.count = 2 ** 20 + 1; }, 'corrupt patch: 1048577 control entries for a 2097152-byte image', 'relocated.sdp', { newSize: 2 ** 21 }),
  tables('control table: exp-Golomb order 25', (t) => { t.control!.k[1] = 25; }, 'corrupt patch: an exp-Golomb order above 24 in the control table'),
  tables('control table: group log2 1', (t) => { t.control!.groupLog2 = 1; }, 'corrupt patch: checkpoint group log2 1 is outside 2..16'),
  tables('control table: group log2 17', (t) => { t.control!.groupLog2 = 17; }, 'corrupt patch: checkpoint group log2 17 is outside 2..16'),
  tables('control table: checkpoint width 0', (t) => { t.control!.width = 0; }, 'corrupt patch: checkpoint width 0 is outside 1..4'),
  tables('control table: checkpoint width 5', (t) => { t.control!.width = 5; }, 'corrupt patch: checkpoint width 5 is outside 1..4'),
  tables('control table: bits length past the tables', (t) => { t.control!.bitsLength = t.control!.bits.length + 1000; }, /^control table is truncated: entry bits at offset \d+ needs 1205 byte\(s\), \d+ left$/),
  tables('control table: a wrong checkpoint', (t) => { t.control!.checkpoints[2]![1]! += 1; }, 'corrupt patch: checkpoint 3 says old position 2981, the table gives 2980'),
  entries('control table: a segment that does not start after the previous one', (e) => { e[6]!.seek = -e[5]!.copy; }, 'corrupt patch: segment at control entry 6 does not start after the previous segment', 'relocated.sdp'),
  entries('control table: 8 bits after the last entry', () => {}, 'corrupt patch: the control table bit stream has 14 bits after its last entry (a whole byte or more)', 'sectioned.sdp', [0, 0, 0, 0, 0, 0, 0, 0]),
  entries('control table: a padding bit set', () => {}, 'corrupt patch: the control table bit stream has non-zero padding bits after its last entry', 'sectioned.sdp', [1]),
  tables('control table: bit stream one byte short', (t) => { t.control!.bits = t.control!.bits.slice(0, -1); }, 'corrupt patch: the control table bit stream ends in the middle of an entry', 'sectioned.sdp'),
  tables('control table: an exp-Golomb code of 32 zero bits', (t) => { t.control!.bits.fill(0, 0, 4); }, 'corrupt patch: an eg(6) code in the control table has more than 25 leading zeros', 'sectioned.sdp'),
  entries('control table: an entry outside the old image', (e) => { e[0]!.seek = NEW - e[0]!.copy + 1; }, 'corrupt patch: control entry 0 copies old bytes [15573, 16153) outside the old image (16152 bytes)'),
  entries('control table: an empty entry', (e) => { e.splice(1, 0, { seek: 0, copy: 0, extra: 0 }); }, 'corrupt patch: control entry 1 is empty'),
  entries('control table: an entry past the new image size', (e) => { e[e.length - 1]!.extra += 1; }, `corrupt patch: control entry 58 runs past the new image size ${NEW2}`),
  entries('control table: entries short of the new size', (e) => { e[e.length - 1]!.copy -= 1; }, `corrupt patch: the control table describes ${NEW2 - 1} new bytes, the header says ${NEW2}`),
  tables('RAM map: 257 records', (t) => { t.ram!.count = 257; }, 'corrupt patch: 257 RAM map segments exceed the limit of 256'),
  tables('constant map: 1025 records', (t) => { t.constants!.count = 1025; }, 'corrupt patch: 1025 constant map segments exceed the limit of 1024'),
  tables('RAM map: span 0', (t) => { t.ram!.span = 0; }, 'corrupt patch: RAM map [0x20000000, +0) is not a range of 32-bit values'),
  tables('RAM map: end past 2^32', (t) => { t.ram!.base = 0xffff_0100; }, 'corrupt patch: RAM map [0xffff0100, +65501) is not a range of 32-bit values'),
  tables('RAM map: exp-Golomb order 25', (t) => { t.ram!.k[0] = 25; }, 'corrupt patch: an exp-Golomb order above 24 in the RAM map'),
  tables('RAM map: group log2 17', (t) => { t.ram!.groupLog2 = 17; }, 'corrupt patch: RAM map group log2 17 is outside 2..16'),
  tables('constant map: checkpoint width 0', (t) => { t.constants!.width = 0; }, 'corrupt patch: constant map checkpoint width 0 is outside 1..4'),
  records('RAM map: a record that does not start after the previous one', 'ram', (r) => { r[3]!.delta = 0; }, 'corrupt patch: RAM map: record 3 does not start after the previous one'),
  records('RAM map: first record not at the base', 'ram', (r) => { r[0]!.delta = 4; }, 'corrupt patch: RAM map: record 0 does not start at the base'),
  tables('RAM map: a record past the span', (t) => { t.ram!.span = recordsOf(t.ram!).reduce((n, r) => n + r.delta, 0); }, "corrupt patch: RAM map: record 6 starts past the map's end"),
  tables('constant map: a wrong checkpoint', (t) => { t.constants!.checkpoints[0]![1]! += 4; }, 'corrupt patch: constant map: checkpoint 1 does not match record 16'),
  records('RAM map: 8 bits after the last record', 'ram', () => {}, /^corrupt patch: RAM map: its bit stream has \d+ bits after its last entry \(a whole byte or more\)$/, [0, 0, 0, 0, 0, 0, 0, 0]),
  tables('RAM map: bits length past the tables', (t) => { t.ram!.bitsLength = 5000; }, /^RAM map is truncated: RAM map bits at offset \d+ needs 5000 byte\(s\), \d+ left$/),
  tables('RAM map: record bits one byte short', (t) => { t.ram!.bits = t.ram!.bits.slice(0, -1); }, 'corrupt patch: the RAM map bit stream ends in the middle of an entry'),
];

const PROGRAM_CASES: Case[] = [
  payload('table-first: 0 entries', 'table-first.sdp', (p) => [0, ...p.subarray(1)], 'corrupt patch: a table-first program declares 0 entries (1 to 32)'),
  payload('table-first: 33 entries', 'table-first.sdp', (p) => [33, ...p.subarray(1)], 'corrupt patch: a table-first program declares 33 entries (1 to 32)'),
  tableFirst('table-first: a segment flag on an entry without copy', [1, 0, 1, ...v(NEW), ...new Array(NEW).fill(0)], 'corrupt patch: control entry 0 is a segment without a copy (a segment maps the bytes it copies)'),
  tableFirst('table-first: a segment that does not start after the previous one', [2, 0, ...v(2 * 100 + 1), 0, ...v(2 * 100 - 1), ...v(2 * (NEW - 100) + 1), 0], 'corrupt patch: control entry 1 is a segment that does not start after the previous segment'),
  tableFirst('table-first: an entry outside the old image', [1, ...v(2 * 1), ...v(2 * NEW), 0], `corrupt patch: control entry 0 copies old bytes [1, ${NEW + 1}) outside the old image (${NEW} bytes)`),
  tableFirst('table-first: an empty entry', [2, 0, 0, 0, 0, ...v(2 * NEW), 0], 'corrupt patch: control entry 0 is empty'),
  tableFirst('table-first: an entry past the new image size', [1, 0, ...v(2 * NEW), 1], `corrupt patch: control entry 0 runs past the new image size ${NEW}`),
  tableFirst('table-first: entries short of the new size', [1, 0, ...v(2 * (NEW - 1)), 0], `corrupt patch: the control table describes ${NEW - 1} new bytes, the header says ${NEW}`),
  program('copy outside the old image', [0, ...v(20000), 0], `corrupt patch: control entry 0 copies old bytes [0, 20000) outside the old image (${NEW} bytes)`),
  program('entry past the new image size', [0, 0x10, ...v(17000)], `corrupt patch: control entry 0 runs past the new image size ${NEW}`),
  program('an empty entry', [0, 0, 0], 'corrupt patch: control entry 0 is empty'),
  program('program ends early', [0, 0x10, 0, 1, 2, 3], `corrupt patch: delta program ends early: 3 of ${NEW} new bytes produced`),
  program('varint longer than 5 bytes in the program', [0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 'corrupt patch: varint longer than 5 bytes in the delta program'),
  program('non-minimal varint in the program', [0x80, 0x00, 0x00], 'corrupt patch: non-minimal varint in the delta program'),
  program('a program value of 2^32', [0, 0x80, 0x80, 0x80, 0x80, 0x10, 0], 'corrupt patch: a varint of the delta program exceeds 32 bits (4294967296)'),
  program('sparse zero run past its copy', [0, 0x10, 0, 0x11], 'corrupt patch: sparse zero run of 17 bytes does not fit its copy block', true),
  program('sparse literal run of 0', [0, 0x10, 0, 0x01, 0x00], 'corrupt patch: sparse run of 0 bytes does not fit its copy block', true),
  program('sparse literal run past its copy', [0, 0x10, 0, 0x01, 0x10], 'corrupt patch: sparse run of 16 bytes does not fit its copy block', true),
  payload('data after the end of the program', 'plain.sdp', (p) => [...p, 7], 'corrupt patch: unexpected data after the end of the delta program (program offset 21)'),
  payload('sectioned: program cut short', 'sectioned.sdp', (p) => p.subarray(0, p.length - 1), /^corrupt patch: delta program ends early: \d+ of 18568 new bytes produced$/),
  payload('codec 2: stream truncated', 'small-lz.sdp', (p) => p.subarray(0, p.length - 1), /^corrupt patch: LZS stream: truncated after \d+ of 21 bytes$/),
  payload('codec 2: bytes after the stream', 'small-lz.sdp', (p) => [...p, 7, 7], 'corrupt patch: LZS stream: 2 byte(s) after the end of the stream'),
  payload('codec 2: a flipped byte', 'small-lz.sdp', (p) => { const q = p.slice(); q[12]! ^= 0x10; return q; }, 'corrupt patch: LZS stream: a 5-byte match passes the declared size 21'),
  header('codec 2: program length one more than the stream', (raw) => ({ smallLz: [raw.smallLz![0], (raw.smallLz![1] as number) + 1] }), 3, 'corrupt patch: LZS stream: truncated after 21 of 22 bytes', 'small-lz.sdp'),
  withBytes('LZMA payload of garbage', (l) => patchWith(l['lzma.sdp']!, {}, { payload: rawPatchOf(l['lzma.sdp']!).payload.map((b, i) => (i > 4 ? b ^ 0x5a : b)) }), apply('bad.sdp'), 3, 'corrupt patch: LZMA stream: Data is corrupt'),
  payload('LZMA stream truncated', 'lzma.sdp', (p) => p.subarray(0, p.length - 1), 'corrupt patch: LZMA stream: the payload ends before the LZMA stream does (truncated?)'),
  payload('bytes after the LZMA end marker', 'lzma.sdp', (p) => [...p, 7, 7], /^corrupt patch: 2 payload byte\(s\) after the end of the LZMA stream \(offset \d+\)$/),
];

const SIGNATURE_CASES: Case[] = [
  withBytes('apply --pub with an unsigned patch (exit 1)', (l) => l['lzma.sdp']!, apply('bad.sdp', ['--pub', 'pub.pem']), 1, 'refusing the patch: signature-block check: absent: the patch is not signed'),
  withBytes('apply --pub with a changed signed patch (exit 1)', (l) => { const p = l['signed.sdp']!.slice(); p[40]! ^= 1; return p; }, apply('bad.sdp', ['--pub', 'pub.pem']), 1, 'refusing the patch: signature check: the signature does not verify under the public key: the patch was changed after signing, or signed with another key'),
  {
    name: 'apply --pub checks the signature before reading the old image (missing here)',
    files: (l) => ({ 'bad.sdp': l['lzma.sdp']!, 'pub.pem': l['pub.pem']! }),
    args: ['apply', 'missing-old.bin', 'bad.sdp', '-o', 'out.bin', '--pub', 'pub.pem'],
    code: 1,
    message: 'refusing the patch: signature-block check: absent: the patch is not signed',
  },
  withBytes('verify a truncated signature block (exit 1)', (l) => l['signed.sdp']!.subarray(0, l['signed.sdp']!.length - 1), ['verify', 'bad.sdp', '--pub', 'pub.pem'], 1, 'verify failed: signature-block check: truncated: 72 bytes follow the payload, a signature block is exactly 73', true),
  withBytes('sign a patch with a truncated trailer', (l) => l['signed.sdp']!.subarray(0, l['signed.sdp']!.length - 1), ['sign', 'bad.sdp', '-k', 'key.pem', '-o', 'out.sdp'], 3, 'patch has 72 bytes after its payload; a signature block is exactly 73 bytes (truncated or extended file?)'),
];

const PATCH_CASES: Case[] = [...HEADER_CASES, ...TABLES_CASES, ...PROGRAM_CASES, ...SIGNATURE_CASES];

// ---- images ------------------------------------------------------------------------------------------------

const imageCase = (name: string, file: string, make: (l: Library) => Bytes, code: number, message: string | RegExp): Case => ({
  name,
  files: (l) => ({ [file]: make(l), 'lzma.sdp': l['lzma.sdp']! }),
  args: ['apply', file, 'lzma.sdp', '-o', 'out.bin'],
  code,
  message,
});
const hexFile = (...lines: string[]): string => `${lines.join('\n')}\n`;
const EOF = hexLine(1, 0, []);
const elf = (edit: (view: DataView, bytes: Uint8Array) => void) => (l: Library): Uint8Array => {
  const bytes = l['old.elf']!.slice();
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
};

const IMAGE_CASES: Case[] = [
  imageCase('HEX: bad checksum', 'old.hex', () => hexFile(hexLine(0, 0, [1, 2, 3], 0x00), EOF), 3, 'old.hex: line 1: checksum 0x00, expected 0xF7'),
  imageCase('HEX: no end-of-file record', 'old.hex', () => hexFile(hexLine(0, 0, [1, 2, 3])), 3, 'old.hex: missing end-of-file record (type 01): the file ends after line 1'),
  imageCase('HEX: unknown record type', 'old.hex', () => hexFile(hexLine(6, 0, [1]), EOF), 3, 'old.hex: line 1: unknown record type 0x06'),
  imageCase('HEX: overlapping data', 'old.hex', () => hexFile(hexLine(0, 0x10, [1, 2, 3, 4]), hexLine(0, 0x12, [5]), EOF), 3, 'old.hex: line 2: data at 0x00000012-0x00000012 overlaps data from line 1 (0x00000010-0x00000013)'),
  imageCase('HEX: span above 64 MiB', 'old.hex', () => hexFile(hexLine(4, 0, [0x08, 0x00]), hexLine(0, 0, [1]), hexLine(4, 0, [0x20, 0x00]), hexLine(0, 0, [2]), EOF), 3, 'old.hex: Intel HEX data would span 0x18000001 bytes, more than 64 MiB: from 0x08000000 (line 2) to 0x20000000 (line 4)'),
  imageCase('HEX: data after the end-of-file record', 'old.hex', () => hexFile(hexLine(0, 0, [1]), EOF, hexLine(0, 4, [2])), 3, 'old.hex: line 3: data after the end-of-file record on line 2'),
  imageCase('HEX: odd number of digits', 'old.hex', () => hexFile(`${hexLine(0, 0, [1])}0`, EOF), 3, 'old.hex: line 1: odd number of hex digits (13)'),
  imageCase('HEX: extended address record of the wrong length', 'old.hex', () => hexFile(hexLine(4, 0, [0x08]), EOF), 3, 'old.hex: line 1: extended linear address record (type 04) must hold 2 data bytes, not 1'),
  imageCase('ELF: 64-bit class', 'old.elf', elf((_, b) => { b[4] = 2; }), 3, 'old.elf: ELF class 2 (64-bit) is not supported: Cortex-M firmware is ELF32'),
  imageCase('ELF: big-endian', 'old.elf', elf((_, b) => { b[5] = 2; }), 3, 'old.elf: big-endian ELF (EI_DATA 2) is not supported: expected little-endian ARM'),
  imageCase('ELF: x86-64 machine', 'old.elf', elf((v) => v.setUint16(18, 62, true)), 3, 'old.elf: ELF machine 62 (x86-64) is not ARM (e_machine must be 40)'),
  imageCase('ELF: relocatable object', 'old.elf', elf((v) => v.setUint16(16, 1, true)), 3, 'old.elf: ELF type 1 is a relocatable object (ET_REL): link it first'),
  imageCase('ELF: section header table past the end', 'old.elf', elf((v) => v.setUint32(32, 0xffff_0000, true)), 3, /^old\.elf: ELF section header table \(14 entries of 40 bytes\) extends past the end of the file \(offset 0xFFFF0000, size 0x230, file \d+ bytes\)$/),
  imageCase('ELF: truncated header', 'old.elf', (l) => l['old.elf']!.subarray(0, 40), 3, 'old.elf: truncated ELF header: the file has 40 bytes, the ELF32 header needs 52'),
  imageCase('ELF: RAM load address makes the image span 384 MiB', 'old.elf', elf((v) => v.setUint32(52 + 32 + 12, 0x2000_0000, true)), 3, 'old.elf: ELF flash image would span 0x180000A0 bytes, more than 64 MiB: from 0x08000000 (section .isr_vector in program header 0) to 0x2000009F (section .data in program header 1); check the load addresses (AT>) in the linker script'),
  imageCase('ELF: section name offset outside .shstrtab', 'old.elf', elf((v) => v.setUint32(34016 + 40 * 2, 0x10000, true)), 3, 'old.elf: ELF section header 2: name offset 0x10000 is outside the section name table (size 0x7E)'),
  imageCase('empty image', 'old.bin', () => new Uint8Array(0), 3, 'old.bin: the image is empty (0 bytes)'),
];

// ---- keys --------------------------------------------------------------------------------------------------

const keyCase = (name: string, make: (l: Library) => Bytes, args: string[], code: number, message: string | RegExp, env: Record<string, string | undefined> = {}): Case => ({
  name,
  files: (l) => ({ 'k.pem': make(l), 'lzma.sdp': l['lzma.sdp']!, 'old.bin': l['old.bin']! }),
  args,
  code,
  message,
  env: { SMARTDELTA_KEY_PASSPHRASE: undefined, ...env },
});
const sign = ['sign', 'lzma.sdp', '-k', 'k.pem', '-o', 'out.sdp'];
const applyPub = ['apply', 'old.bin', 'lzma.sdp', '-o', 'out.bin', '--pub', 'k.pem'];
const pem = (label: string, body: string): string => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const base64Of = (l: Library, name: string): string => new TextDecoder().decode(l[name]!).split('\n').slice(1, -2).join('');

const KEY_CASES: Case[] = [
  keyCase('key: an RSA private key', () => pem('RSA PRIVATE KEY', 'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu'), sign, 3, /^k\.pem: this is an RSA private key \(PKCS#1\); smartdelta needs an Ed25519 key \(make one with "smartdelta keygen" or "openssl genpkey -algorithm ed25519"\)$/),
  keyCase('key: a public key given to sign', (l) => l['pub.pem']!, sign, 3, 'k.pem: this is a public key (PUBLIC KEY); signing needs the private key'),
  keyCase('key: DER cut short', (l) => pem('PRIVATE KEY', Buffer.from(Buffer.from(base64Of(l, 'key.pem'), 'base64').subarray(0, 40)).toString('base64')), sign, 3, 'k.pem: DER truncated: element at offset 0 declares 46 bytes, 38 present'),
  keyCase('key: characters outside base64', (l) => pem('PRIVATE KEY', `${base64Of(l, 'key.pem').slice(0, -4)}$$$$`), sign, 3, 'k.pem: PEM block "PRIVATE KEY" contains characters that are not base64'),
  keyCase('key: no END line', (l) => new TextDecoder().decode(l['key.pem']!).replace(/-----END.*\n/, ''), sign, 3, 'k.pem: PEM block "PRIVATE KEY" (line 1) has no matching END line'),
  keyCase('key: two PEM blocks', (l) => new TextDecoder().decode(l['key.pem']!) + new TextDecoder().decode(l['pub.pem']!), sign, 3, 'k.pem: 2 PEM blocks (PRIVATE KEY, PUBLIC KEY); expected exactly one key'),
  keyCase('key: encrypted without a passphrase', () => pem('ENCRYPTED PRIVATE KEY', 'MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhgq5xS7bVa7AICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEOc0zP6dtl8cNGYH2FeUP8IEQKwHkr0iDNtFRIB5D8Xl0a0wOVj7cQJL2QEO3bUe3P3ihYOtY0HgAXS2oS8h4Cl2xU06V6MhsfOpwwX/T/sxTq4='), sign, 3, 'k.pem: the private key is encrypted; set SMARTDELTA_KEY_PASSPHRASE to its passphrase'),
  keyCase('public key: small-order point', () => `${'01' + '00'.repeat(31)}\n`, applyPub, 3, 'k.pem: the Ed25519 public key is a small-order point, which strict verification refuses'),
  keyCase('public key: not a key', () => 'hello world\n', applyPub, 3, 'k.pem: not a public key (12 bytes); expected SubjectPublicKeyInfo PEM or DER, 32 raw bytes, or 64 hex digits'),
];

// ---- fragment files ----------------------------------------------------------------------------------------

const fragCase = (name: string, make: (l: Library) => Bytes, message: string | RegExp): Case => ({
  name,
  files: (l) => ({ 'f.frag': make(l) }),
  args: ['reassemble', 'f.frag', '-o', 'out.sdp'],
  code: 3,
  message,
});
const ndjsonLines = (l: Library): string[] => new TextDecoder().decode(l['frag.ndjson']!).trimEnd().split('\n');
const binaryWith = (l: Library, edit: (b: Uint8Array, v: DataView) => Uint8Array | void): Uint8Array => {
  const b = l['frag.bin']!.slice();
  return edit(b, new DataView(b.buffer)) ?? b;
};

const FRAGMENT_CASES: Case[] = [
  fragCase('fragments: binary format version 2', (l) => binaryWith(l, (b) => { b[4] = 2; }), 'f.frag: binary fragment format version 2 is not supported (expected 1)'),
  fragCase('fragments: binary record cut short', (l) => l['frag.bin']!.subarray(0, l['frag.bin']!.length - 5), /^f\.frag: record \d+ \(43 bytes\) truncated at offset \d+$/),
  fragCase('fragments: binary trailing bytes', (l) => Uint8Array.from([...l['frag.bin']!, 0, 0]), /^f\.frag: 2 unexpected byte\(s\) after the last record at offset \d+$/),
  fragCase('fragments: binary record count past the records', (l) => binaryWith(l, (_, v) => v.setUint32(6, 0xffff_ffff, true)), /^f\.frag: record \d+ header truncated at offset \d+$/),
  fragCase('fragments: NDJSON line that is not JSON', (l) => [...ndjsonLines(l).slice(0, 3), '{"fport":201,', ...ndjsonLines(l).slice(3)].join('\n'), 'f.frag line 4: not valid JSON'),
  fragCase('fragments: NDJSON object without hex', (l) => [...ndjsonLines(l).slice(0, 2), '{"fport":201}'].join('\n'), 'f.frag line 3: expected an object with a "hex" field'),
  fragCase('fragments: no setup', (l) => ndjsonLines(l).slice(1).join('\n'), 'f.frag: no FragSessionSetupReq (CID 0x02): the session parameters (NbFrag, FragSize, Padding) are unknown'),
  fragCase('fragments: a second setup', (l) => [...ndjsonLines(l), ndjsonLines(l)[0]!].join('\n'), /^f\.frag line \d+: a second FragSessionSetupReq; one session per file$/),
  fragCase('fragments: setup with NbFrag 0', (l) => [ndjsonLines(l)[0]!.replace(/"hex":"02(..)(....)/, '"hex":"02$10000'), ...ndjsonLines(l).slice(1)].join('\n'), 'f.frag line 1: FragSessionSetupReq NbFrag 0 is outside 1..16383'),
  fragCase('fragments: payload of the wrong size', (l) => [...ndjsonLines(l).slice(0, 2), ndjsonLines(l)[2]!.replace(/"hex":"([0-9a-f]+)"/, (_, h: string) => `"hex":"${h.slice(0, -2)}"`)].join('\n'), 'f.frag line 3: fragment 2 has 39 payload bytes, FragSize is 40'),
  fragCase('fragments: index field disagrees with the bytes', (l) => [...ndjsonLines(l).slice(0, 2), ndjsonLines(l)[2]!.replace('"index":2', '"index":9')].join('\n'), 'f.frag line 3: "index" 9 disagrees with the bytes (N = 2)'),
  fragCase('fragments: hex line of odd length', () => '0200150028000c00000000\n080100abc\n', 'f.frag line 2: not an even-length hex string'),
  fragCase('fragments: not a fragment file', () => 'PK\u0003\u0004 zip data', 'f.frag is not a fragment file: expected NDJSON, binary (SDLF) or hex lines'),
  fragCase('fragments: fport not a byte', (l) => [ndjsonLines(l)[0]!.replace('"fport":201', '"fport":1.5'), ...ndjsonLines(l).slice(1)].join('\n'), 'f.frag line 1: "fport" must be an integer from 0 to 255'),
];

// ---- command lines -----------------------------------------------------------------------------------------

const CLI_CASES: Case[] = [
  { name: 'usage: dictionary below 4 KiB', files: (l) => ({ 'old.bin': l['old.bin']!, 'new.bin': l['new.bin']! }), args: ['diff', 'old.bin', 'new.bin', '-o', 'out.sdp', '--dict-size', '3000'], code: 2, message: '--dict-size must be from 4096 to 67108864 bytes, got "3000"' },
  { name: 'usage: dictionary not a power of two', files: (l) => ({ 'old.bin': l['old.bin']!, 'new.bin': l['new.bin']! }), args: ['diff', 'old.bin', 'new.bin', '-o', 'out.sdp', '--dict-size', '5000'], code: 2, message: '--dict-size must be a power of two, got 5000' },
  { name: 'usage: version string over 64 bytes', files: (l) => ({ 'old.bin': l['old.bin']!, 'new.bin': l['new.bin']! }), args: ['diff', 'old.bin', 'new.bin', '-o', 'out.sdp', '--version-from', 'v'.repeat(65)], code: 2, message: '--version-from is 65 bytes of UTF-8; the limit is 64' },
  { name: 'usage: output equal to an input', files: (l) => ({ 'old.bin': l['old.bin']!, 'lzma.sdp': l['lzma.sdp']! }), args: ['apply', 'old.bin', 'lzma.sdp', '-o', 'lzma.sdp', '--force'], code: 2, message: 'output lzma.sdp is also an input; choose another output path' },
  { name: 'usage: security counter out of range', files: (l) => ({ 'old.bin': l['old.bin']!, 'new.bin': l['new.bin']! }), args: ['diff', 'old.bin', 'new.bin', '-o', 'out.sdp', '--security-counter', '4294967296'], code: 2, message: '--security-counter must be an integer from 0 to 4294967295 (decimal or 0x hex), got "4294967296"' },
  { name: 'missing input file (exit 4)', files: () => ({}), args: ['info', 'none.sdp'], code: 4, message: 'cannot read patch none.sdp: no such file or directory' },
];

const ALL: Case[] = [...PATCH_CASES, ...IMAGE_CASES, ...KEY_CASES, ...FRAGMENT_CASES, ...CLI_CASES];

/** Every output path the command line names. */
function outputsOf(args: readonly string[]): string[] {
  return args.flatMap((arg, i) => (['-o', '--output', '--pub-out', '--emit-message'].includes(arg) && args[i + 1] ? [args[i + 1]!] : []));
}

describe('malformed inputs through the CLI', () => {
  it('has distinct cases: at least 90 for patches, 140 in all', () => {
    expect(new Set(ALL.map((c) => c.name)).size).toBe(ALL.length);
    expect(PATCH_CASES.length).toBeGreaterThanOrEqual(90);
    expect(ALL.length).toBeGreaterThanOrEqual(140);
  });

  it.each(ALL.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = join(root, c.name.replace(/[^a-z0-9]+/gi, '-'));
    mkdirSync(dir);
    for (const [name, content] of Object.entries(c.files(lib))) writeFileSync(join(dir, name), content);
    if (existsSync(join(dir, 'key.pem'))) chmodSync(join(dir, 'key.pem'), 0o600);
    if (existsSync(join(dir, 'k.pem'))) chmodSync(join(dir, 'k.pem'), 0o600);
    const before = readdirSync(dir).sort();
    const cwd = process.cwd();
    process.chdir(dir);
    let run: Awaited<ReturnType<typeof runCli>>;
    try {
      run = await runCli(c.args, c.env ?? {});
    } finally {
      process.chdir(cwd);
    }
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    expect(lines.length, run.stderr).toBe(1);
    const message = lines[0]!.replace(/^error: /, '');
    if (process.env.DUMP_MALFORMED) console.log(`${c.name} => [${run.code}] ${message}`);
    expect(lines[0]!.startsWith('error: '), run.stderr).toBe(true);
    if (typeof c.message === 'string') expect(message).toBe(c.message);
    else expect(message).toMatch(c.message);
    expect(run.code, run.stderr).toBe(c.code);
    if (!c.stdout) expect(run.stdout).toBe('');
    for (const output of outputsOf(c.args)) expect(existsSync(join(dir, output)), `${output} exists`).toBe(before.includes(output));
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(tempFilesIn(dir)).toEqual([]);
  });
});
