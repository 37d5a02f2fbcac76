/**
 * Regressions of issue 16, point 2 (crafted inputs whose cost grew faster than their size), through the CLI
 * entry: each is refused with one line and its exit code, or processed with the right result. The time and
 * memory of the largest crafted files are measured by bench/crafted.js (bench/CRAFTED-RESULTS.md), not here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { craftElf, craftHex } from '../../bench/lib/crafted-inputs.js';
import { parseIntelHex } from '../../src/image/intel-hex.js';
import { fragmentFile, parseFragmentFile, reassemble, serializeSession } from '../../src/lorawan/index.js';
import { MAX_FRAGMENT_RECORDS } from '../../src/lorawan/fragment-file.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { errorOutputProblem, runCli } from './cli-run.js';
import { referenceHex } from './hex-reference.js';
import { hexLine } from './malformed-inputs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'smartdelta-crafted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array | string): string {
  const at = path.join(dir, name);
  writeFileSync(at, bytes);
  return at;
}

/** A tiny patch whose base none of the crafted images is: `apply` loads the image, then refuses the base (exit 1). */
async function tinyPatch(): Promise<string> {
  const a = { data: new Uint8Array(64).fill(1), loadAddress: 0 };
  const b = { data: new Uint8Array(64).fill(2), loadAddress: 0 };
  return file('tiny.sdp', (await createPatch(a, b, { arch: 'none' })).bytes);
}

async function expectRefused(args: string[], code: number, message: string | RegExp): Promise<void> {
  const run = await runCli(args);
  expect(errorOutputProblem(run), run.stderr).toBeUndefined();
  expect(run.code, run.stderr).toBe(code);
  expect(run.stderr).toMatch(message);
}

describe('ELF: section headers x program headers', () => {
  it('loads 20,000 sections with 256 loadable program headers (each section to its own address)', async () => {
    const elf = file('many.elf', craftElf(20_000, 256));
    await expectRefused(['apply', elf, await tinyPatch(), '-o', path.join(dir, 'out.bin')], 1, /got 20000 bytes with SHA-256/);
  });

  it('refuses 257 loadable program headers (matching cost sections x program headers: 80,000 x 65,535 took 132 s)', async () => {
    const elf = file('segments.elf', craftElf(10, 257));
    await expectRefused(['apply', elf, await tinyPatch(), '-o', path.join(dir, 'out.bin')], 3, 'ELF file has 257 loadable program headers (PT_LOAD, PT_TLS), more than 256: not a firmware image');
  });

  it('refuses more than 262,144 section headers (extended numbering)', async () => {
    const elf = file('sections.elf', craftElf(262_144, 1));
    await expectRefused(['apply', elf, await tinyPatch(), '-o', path.join(dir, 'out.bin')], 3, 'ELF file declares 262146 section headers, more than 262144: not a firmware image');
  });
});

describe('Intel HEX: memory follows the image, not the record count', () => {
  it('tiny records every other byte, ascending and descending, read as the reference reads them', () => {
    const text = craftHex(1);
    const ascending = parseIntelHex(text);
    const reference = referenceHex(text);
    expect(reference.ok).toBe(true);
    if (!reference.ok) return;
    expect(ascending.loadAddress).toBe(reference.loadAddress);
    expect(Buffer.compare(ascending.data, reference.data)).toBe(0);
    // Descending addresses, across extended linear address records: the image grows downwards.
    const lines: string[] = [];
    for (let segment = 3; segment >= 0; segment--) {
      lines.push(hexLine(4, 0, [0x08, segment]));
      for (let offset = 0xfffe; offset >= 0; offset -= 0x1001) lines.push(hexLine(0, offset, [segment, offset & 0xff]));
    }
    lines.push(hexLine(1, 0, []));
    const descending = new TextEncoder().encode(lines.join('\n'));
    const expected = referenceHex(descending, 0xff);
    const parsed = parseIntelHex(descending, { gapFill: 0xff });
    expect(expected.ok).toBe(true);
    if (!expected.ok) return;
    expect(parsed.loadAddress).toBe(expected.loadAddress);
    expect(Buffer.compare(parsed.data, expected.data)).toBe(0);
  });

  it('an overlap is still named by both lines after the image moved', () => {
    const text = [hexLine(4, 0, [0x08, 0x01]), hexLine(0, 0x10, [1, 2]), hexLine(4, 0, [0x08, 0x00]), hexLine(0, 0, [3]), hexLine(4, 0, [0x08, 0x01]), hexLine(0, 0x11, [4]), hexLine(1, 0, [])].join('\n');
    expect(() => parseIntelHex(new TextEncoder().encode(text))).toThrow('line 6: data at 0x08010011-0x08010011 overlaps data from line 2 (0x08010010-0x08010011)');
  });
});

describe('fragment files', () => {
  const session = fragmentFile(new Uint8Array(400).map((_, i) => i * 7), { fragSize: 20, redundancy: 10 });
  const lines = new TextDecoder().decode(serializeSession(session, 'ndjson')).trimEnd().split('\n');

  it(`refuses more than ${MAX_FRAGMENT_RECORDS} records (a 324 MB file reached the 4 GB heap limit)`, async () => {
    const many = [lines[0]!, ...Array.from({ length: MAX_FRAGMENT_RECORDS }, (_, i) => lines[1 + (i % (lines.length - 1))]!)].join('\n');
    await expectRefused(['reassemble', file('many.ndjson', many), '-o', path.join(dir, 'block.bin')], 3, `many.ndjson: more than ${MAX_FRAGMENT_RECORDS} records; a TS004 session has a setup and at most 16383 fragments`);
  });

  it('refuses a line longer than 64 KiB before decoding it', async () => {
    await expectRefused(['reassemble', file('long.txt', `${'0'.repeat(70_000)}\n`), '-o', path.join(dir, 'block.bin')], 3, 'long.txt line 1: longer than 65536 bytes, not a fragment file line');
  });

  it('repeated coded fragments count as duplicates, or contradict when their bytes differ, as before', () => {
    const parsed = parseFragmentFile(serializeSession(session, 'ndjson'));
    const coded = parsed.fragments.filter((f) => f.index > parsed.setup.nbFrag);
    const params = { nbFrag: parsed.setup.nbFrag, fragSize: parsed.setup.fragSize, padding: parsed.setup.padding, version: parsed.version };
    const codedOnly = [...coded, ...coded, ...coded];
    const twice = reassemble([...parsed.fragments.slice(0, 15), ...codedOnly], params);
    expect(twice.ok).toBe(true);
    expect(twice.stats.duplicates).toBe(2 * coded.length);
    const changed = { ...coded[0]!, payload: coded[0]!.payload.map((b) => b ^ 1) };
    const contradicted = reassemble([...parsed.fragments.slice(0, 15), coded[0]!, changed, ...coded.slice(1)], params);
    expect(contradicted.ok).toBe(false);
    expect(contradicted.stats.inconsistent).toBe(1);
  });

  it('recovers at most 4,096 lost fragments unless --device-max-lost says more (8,000 coded ones took over 10 s)', () => {
    const big = fragmentFile(new Uint8Array(4200 * 2).map((_, i) => i), { fragSize: 2, redundancy: 4300 });
    const coded = big.fragments.filter((f) => f.coded);
    const result = reassemble(coded, { nbFrag: big.params.nbFrag, fragSize: 2, padding: big.params.padding, version: 1 });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toBe('more than 4096 uncoded fragments were lost: the host recovers at most 4096 (--device-max-lost up to 16383 for more)');
  });
});

describe('key files', () => {
  it('reads at most 64 KiB of a public key: --pub /dev/zero is refused, not read for 512 MiB', async () => {
    const old = file('old.bin', new Uint8Array(64).fill(1));
    await expectRefused(['apply', old, await tinyPatch(), '--pub', '/dev/zero', '-o', path.join(dir, 'out.bin')], 3, 'error: public key /dev/zero is larger than 64 KiB, more than any public key needs (is it the right file?)');
    expect(readFileSync(old).length).toBe(64);
  });

  it('a hex public key with a 0x prefix is read as the key, in a file and on the command line (it failed as "DER truncated")', async () => {
    const key = path.join(dir, 'k.pem');
    expect((await runCli(['keygen', '-o', key])).code).toBe(0);
    const hex = (await runCli(['getpub', '-k', key, '-e', 'hex'])).stdout.trim();
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    const signed = path.join(dir, 'signed.sdp');
    expect((await runCli(['sign', await tinyPatch(), '-k', key, '-o', signed])).code).toBe(0);
    const prefixed = file('k.hex', `0x${hex}\n`);
    for (const pub of [prefixed, `0x${hex}`, `0X${hex.toUpperCase()}`]) {
      const run = await runCli(['verify', signed, '--pub', pub]);
      expect(run.code, `${pub}: ${run.stderr}`).toBe(0);
    }
  });
});
