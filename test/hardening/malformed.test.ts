/**
 * The malformed-input suite (issue 7): distinct damaged inputs for every parser (patch header, trailer and
 * payload, delta program, relocation parameters, Intel HEX, ELF, raw images, keys, fragment files) and bad
 * command lines, each run through the real CLI entry (main(argv) in this process). Each case pins the exit
 * code and the exact one-line message, and checks that no output file and no temporary file exists afterwards.
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
import { hexLine, patchWith, rawHeaderOf } from './malformed-inputs.js';
import { encodeUvarint } from './mutate.js';
import { fixtureBin, uncompressed } from './patch-seeds.js';

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

beforeAll(async () => {
  const old = fixtureBin('v1.0.0');
  const neu = fixtureBin('v1.0.1');
  const image = (data: Uint8Array): { data: Uint8Array; loadAddress: number } => ({ data, loadAddress: 0x0800_0000 });
  const key = generatePrivateKey();
  const lzma = (await createPatch(image(old), image(neu), { arch: 'none', versionFrom: '1.0.0', versionTo: '1.0.1', securityCounter: 2 })).bytes;
  const cortex = (await createPatch(image(old), image(neu), { arch: 'cortex-m' })).bytes;
  const session = fragmentFile(lzma, { fragSize: 40, redundancy: 4 });
  Object.assign(lib, {
    'old.bin': old,
    'new.bin': neu,
    'lzma.sdp': lzma,
    'plain.sdp': await uncompressed(lzma),
    'cortex.sdp': await uncompressed(cortex),
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
/** A patch case: the plain codec-none patch with one header change, applied to the right base image. */
const header = (name: string, change: Parameters<typeof patchWith>[1], code: number, message: string | RegExp, base = 'plain.sdp'): Case => ({
  name,
  files: (l) => ({ 'old.bin': l['old.bin']!, 'bad.sdp': patchWith(l[base]!, change) }),
  args: apply('bad.sdp'),
  code,
  message,
});
/** A program case: the plain codec-none patch with a replaced delta program (the header's lengths follow it). */
const program = (name: string, bytes: number[], message: string | RegExp, change: Parameters<typeof patchWith>[1] = {}): Case => ({
  name,
  // Interleaved raw unless the case says otherwise; one entry declared (informative for interleaved).
  files: (l) => ({ 'old.bin': l['old.bin']!, 'bad.sdp': patchWith(l['plain.sdp']!, { programFlags: 0, entries: 1, programLength: bytes.length, payloadLength: bytes.length, ...change }, Uint8Array.from(bytes)) }),
  args: apply('bad.sdp'),
  code: 3,
  message,
});
const withBytes = (name: string, make: (l: Library) => Uint8Array, args: string[], code: number, message: string | RegExp, stdout = false): Case => ({
  name,
  files: (l) => ({ 'old.bin': l['old.bin']!, 'pub.pem': l['pub.pem']!, 'key.pem': l['key.pem']!, 'bad.sdp': make(l) }),
  args,
  code,
  message,
  stdout,
});
const trailer = (l: Library, bytes: number[]): Uint8Array => Uint8Array.from([...l['lzma.sdp']!, ...bytes]);
const cortexParams = (name: string, params: number[], message: string | RegExp): Case => header(name, { params: Uint8Array.from(params) }, 3, message, 'cortex.sdp');

const PATCH_CASES: Case[] = [
  withBytes('empty patch file', () => new Uint8Array(0), ['info', 'bad.sdp'], 3, 'patch header is truncated: magic at offset 0 needs 4 byte(s), 0 left'),
  withBytes('bad magic', (l) => Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...l['plain.sdp']!.subarray(4)]), ['info', 'bad.sdp'], 3, 'bad.sdp is not a smartdelta patch (it does not start with "SDLT")'),
  header('format version 2', { version: 2 }, 3, 'unsupported patch format version 2 (this tool reads version 1)'),
  header('unknown header flag', { flags: 0x04 }, 3, 'unknown header flags 0x4'),
  header('old size above 64 MiB', { oldSize: 64 * 1024 * 1024 + 1 }, 3, 'old image size 67108865 exceeds the limit of 67108864 bytes'),
  header('new size of 4 GiB', { newSize: 2 ** 32 }, 3, 'new image size 4294967296 exceeds the limit of 67108864 bytes'),
  header('non-minimal varint', { oldSize: [0x98, 0xfe, 0x00] }, 3, 'patch header: old size at offset 6 is not a minimal varint'),
  header('varint longer than 5 bytes', { newLoad: [0x80, 0x80, 0x80, 0x80, 0x80, 0x01] }, 3, /^patch header: new load address at offset \d+ is longer than 5 bytes$/),
  header('load address past 4 GiB', { oldLoad: 0xffff_ff00 }, 3, 'old image at 0xffffff00 (16152 bytes) does not fit a 32-bit address space'),
  header('unknown transform', { transform: 2 }, 3, 'unknown transform id 2'),
  header('transform parameters above 4 KiB', { paramLength: 4097 }, 3, 'transform parameters of 4097 bytes exceed the limit of 4096'),
  header('unknown program flags', { programFlags: 0x04 }, 3, 'unknown program flags 0x4'),
  header('entry count above new size + 1', { entries: 16153 + 1000 }, 3, /^declared program \(17153 entries, \d+ bytes\) is implausible for a 16152-byte image$/),
  header('program length implausible', { programLength: 2 ** 31 }, 3, /^declared program \(\d+ entries, 2147483648 bytes\) is implausible for a 16152-byte image$/),
  header('unknown codec', { codec: 7 }, 3, 'unknown codec id 7'),
  header('LZMA properties out of range', { codec: 1, lzma: [225, 14] }, 3, 'LZMA properties byte 225 is out of range (0..224)'),
  header('LZMA lc + lp above 4', { codec: 1, lzma: [8, 14] }, 3, 'LZMA lc + lp = 8 exceeds 4 (the decoder\'s probability table would be too large)'),
  header('LZMA dictionary above 64 MiB', { codec: 1, lzma: [93, 27] }, 3, 'LZMA dictionary 2^27 is out of range (2^12..2^26)'),
  header('version string above 64 bytes', { flags: 1, versions: [te('x'.repeat(65)), te('')] }, 3, 'version-from string of 65 bytes exceeds 64'),
  header('version string not UTF-8', { flags: 1, versions: [Uint8Array.of(0xc3, 0x28), te('')] }, 3, 'version-from string is not valid UTF-8'),
  withBytes('payload cut short', (l) => l['lzma.sdp']!.subarray(0, l['lzma.sdp']!.length - 10), apply('bad.sdp'), 3, /^patch is truncated: header declares a \d+-byte payload, only \d+ bytes follow the header$/),
  withBytes('10 bytes after the payload', (l) => trailer(l, new Array(10).fill(1)), apply('bad.sdp'), 3, 'patch has 10 bytes after its payload; a signature block is exactly 73 bytes (truncated or extended file?)'),
  withBytes('unknown signature type', (l) => trailer(l, [2, ...new Array(72).fill(0)]), apply('bad.sdp'), 3, 'unknown signature type 2 (1 = Ed25519)'),
  withBytes('LZMA payload of garbage', (l) => patchWith(l['lzma.sdp']!, {}, rawHeaderOf(l['lzma.sdp']!).payload.map((b, i) => (i > 4 ? b ^ 0x5a : b))), apply('bad.sdp'), 3, 'corrupt patch: LZMA stream: Data is corrupt'),
  withBytes('bytes after the LZMA end marker', (l) => { const { payload } = rawHeaderOf(l['lzma.sdp']!); return patchWith(l['lzma.sdp']!, { payloadLength: payload.length + 2 }, Uint8Array.from([...payload, 7, 7])); }, apply('bad.sdp'), 3, /^corrupt patch: 2 payload byte\(s\) after the end of the LZMA stream \(offset \d+\)$/),
  header('result hash differs from the header', { newSha: sha(0x11) }, 3, /^corrupt patch: the result's SHA-256 [0-9a-f]{64} differs from the expected (11){32}$/),
  header('codec-none payload differs from the program length', { programLength: 200 }, 3, /^corrupt patch: a payload of \d+ bytes without a codec must be the declared 200-byte program$/),
  header('wrong base image (a check, exit 1)', { oldSha: sha(0x22) }, 1, /^wrong base image: the patch needs 16152 bytes with SHA-256 (22){32}, got 16152 bytes with SHA-256 [0-9a-f]{64}$/),
  program('copy outside the old image', [0x00, ...encodeUvarint(20000), 0x00], 'corrupt patch: control entry 0 copies old bytes [0, 20000) outside the old image (16152 bytes)'),
  program('entry past the new image size', [0x00, 0x10, ...encodeUvarint(17000)], 'corrupt patch: control entry 0 runs past the new image size 16152'),
  program('program ends early', [0x00, 0x10, 0x00, 1, 2, 3], 'corrupt patch: delta program ends early: 3 of 16152 new bytes produced'),
  program('varint longer than 5 bytes in the program', [0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 'corrupt patch: varint longer than 5 bytes in the delta program'),
  program('non-minimal varint in the program', [0x80, 0x00, 0x00], 'corrupt patch: non-minimal varint in the delta program'),
  program('control table over the new size', [0x00, ...encodeUvarint(16000), 0x00, ...encodeUvarint(31999), ...encodeUvarint(16000), 0x00], "corrupt patch: control entry 1 takes the control table to 32000 new bytes, past the header's 16152", { programFlags: 1, entries: 2 }),
  program('control table under the new size', [0x00, 0x10, 0x00], 'corrupt patch: control table describes 16 new bytes, the header says 16152', { programFlags: 1, entries: 1 }),
  program('sparse zero run past its copy', [0x00, 0x10, 0x00, 0x11], 'corrupt patch: sparse zero run of 17 bytes does not fit its copy block', { programFlags: 2 }),
  program('sparse literal run of 0', [0x00, 0x10, 0x00, 0x01, 0x00], 'corrupt patch: sparse run of 0 bytes does not fit its copy block', { programFlags: 2 }),
  program('data after the end of the program', [0x00, ...encodeUvarint(16152), 0x00, ...encodeUvarint(16152), 0x07], /^corrupt patch: unexpected data after the end of the delta program \(program offset \d+\)$/, { programFlags: 3, entries: 1 }),
  cortexParams('relocation: unknown recognizer bits', [0x40, 0x20, 0x01, 0x00], 'unknown relocation recognizer flags 0x40'),
  cortexParams('relocation: trailing parameter bytes', [0x1f, 0x20, 0x01, 0x00, 0x99], 'relocation parameters have 1 unexpected trailing byte(s)'),
  cortexParams('relocation: RAM map of 257 segments', [0x1f, 0x20, 0x01, ...encodeUvarint(257)], '257 RAM map segments exceed the limit of 256'),
  cortexParams('relocation: RAM map end past 4 GiB', [0x1f, 0x20, 0x01, 0x01, 0x00, 0x00, ...encodeUvarint(2 ** 32 + 1)], 'RAM map end is out of the 32-bit range'),
  cortexParams('relocation: flash segment count mismatch', [0x0f, 0x20, 0x63, 0x00], /^corrupt patch: the control table yields \d+ flash map segments, the header declares 99$/),
  cortexParams('relocation: parameters cut short', [0x1f, 0x20], 'relocation parameters is truncated: flash segment count at offset 2 needs 1 byte(s), 0 left'),
  header('relocation with the interleaved layout', { programFlags: 2 }, 3, 'corrupt patch: the Cortex-M relocation needs the control-first program layout', 'cortex.sdp'),
  withBytes('apply --pub with an unsigned patch (exit 1)', (l) => l['lzma.sdp']!, apply('bad.sdp', ['--pub', 'pub.pem']), 1, 'refusing the patch: signature-block check: absent: the patch is not signed'),
  withBytes('apply --pub with a changed signed patch (exit 1)', (l) => { const p = l['signed.sdp']!.slice(); p[60]! ^= 1; return p; }, apply('bad.sdp', ['--pub', 'pub.pem']), 1, 'refusing the patch: signature check: the signature does not verify under the public key: the patch was changed after signing, or signed with another key'),
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
  it('has at least 50 distinct cases', () => {
    expect(new Set(ALL.map((c) => c.name)).size).toBe(ALL.length);
    expect(ALL.length).toBeGreaterThanOrEqual(50);
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
