// The committed firmware fixtures (fixtures/build): present, plausible Cortex-M images, pinned by
// SHA256SUMS, consistent across .bin/.hex/.elf, with the release-to-release changes the delta tests rely on,
// and reproducible from source when the cross compiler is installed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

const FIXTURES_DIR = path.resolve(import.meta.dirname, '../fixtures');
const BUILD_DIR = path.join(FIXTURES_DIR, 'build');
const VERSIONS = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.2.0', 'v2.0.0'] as const;
const FORMATS = ['elf', 'bin', 'hex'] as const;

const FLASH_BASE = 0x0800_0000;
const FLASH_SIZE = 128 * 1024;
const RAM_BASE = 0x2000_0000;
const RAM_SIZE = 64 * 1024;

function fixture(version: string, format: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(BUILD_DIR, version, `firmware.${format}`)));
}

function word(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Intel HEX records 00 (data), 01 (EOF), 04 (extended linear address) into one image at its lowest address. */
function parseIntelHex(text: string): { base: number; data: Uint8Array } {
  const chunks: { address: number; bytes: Buffer }[] = [];
  let upper = 0;
  for (const line of text.split(/\r?\n/).filter((l) => l.length > 0)) {
    const record = Buffer.from(line.slice(1), 'hex');
    const sum = record.reduce((acc, b) => (acc + b) & 0xff, 0);
    if (line[0] !== ':' || sum !== 0) throw new Error(`bad Intel HEX line: ${line}`);
    const [length, type] = [record[0]!, record[3]!];
    const payload = record.subarray(4, 4 + length);
    if (type === 0x00) chunks.push({ address: upper + record.readUInt16BE(1), bytes: payload });
    else if (type === 0x04) upper = payload.readUInt16BE(0) << 16;
    else if (type === 0x01) break;
  }
  const base = Math.min(...chunks.map((c) => c.address));
  const end = Math.max(...chunks.map((c) => c.address + c.bytes.length));
  const data = new Uint8Array(end - base);
  for (const c of chunks) data.set(c.bytes, c.address - base);
  return { base, data };
}

/** ELF32 little-endian: entry point and the value of each named symbol in .symtab. */
function readElf(bytes: Uint8Array): { machine: number; entry: number; symbols: Map<string, number> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sectionOffset = view.getUint32(32, true);
  const sectionCount = view.getUint16(48, true);
  const section = (i: number) => {
    const at = sectionOffset + i * 40;
    return { type: view.getUint32(at + 4, true), offset: view.getUint32(at + 16, true),
      size: view.getUint32(at + 20, true), link: view.getUint32(at + 24, true) };
  };
  const symbols = new Map<string, number>();
  for (let i = 0; i < sectionCount; i++) {
    const symtab = section(i);
    if (symtab.type !== 2) continue; // SHT_SYMTAB
    const strtab = section(symtab.link);
    for (let at = symtab.offset; at < symtab.offset + symtab.size; at += 16) {
      const nameStart = strtab.offset + view.getUint32(at, true);
      const name = Buffer.from(bytes.subarray(nameStart, bytes.indexOf(0, nameStart))).toString('latin1');
      if (name.length > 0) symbols.set(name, view.getUint32(at + 4, true));
    }
  }
  return { machine: view.getUint16(18, true), entry: view.getUint32(24, true), symbols };
}

function symbol(version: string, name: string): number {
  const value = readElf(fixture(version, 'elf')).symbols.get(name);
  if (value === undefined) throw new Error(`${version}: no symbol ${name}`);
  return value;
}

function countDifferentBytes(a: Uint8Array, b: Uint8Array): number {
  let count = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) count++;
  return count;
}

describe('firmware fixtures', () => {
  describe.each(VERSIONS)('%s', (version) => {
    test('has .elf, .bin and .hex', () => {
      for (const format of FORMATS) {
        expect(existsSync(path.join(BUILD_DIR, version, `firmware.${format}`)), format).toBe(true);
      }
    });

    test('.bin starts with a plausible Cortex-M vector table', () => {
      const bin = fixture(version, 'bin');
      expect(bin.length).toBeGreaterThan(12 * 1024);
      expect(bin.length).toBeLessThan(40 * 1024);
      const initialSp = word(bin, 0);
      expect(initialSp).toBeGreaterThan(RAM_BASE);
      expect(initialSp).toBeLessThanOrEqual(RAM_BASE + RAM_SIZE);
      expect(initialSp % 8).toBe(0);
      for (let vector = 1; vector < 16; vector++) {
        const handler = word(bin, vector * 4);
        if (handler === 0) continue; // reserved slots
        expect(handler & 1, `vector ${vector} is a Thumb address`).toBe(1);
        expect(handler - 1).toBeGreaterThanOrEqual(FLASH_BASE);
        expect(handler - 1).toBeLessThan(FLASH_BASE + bin.length);
      }
    });

    test('.elf is an ARM executable whose entry is the reset vector', () => {
      const bin = fixture(version, 'bin');
      const elf = readElf(fixture(version, 'elf'));
      expect(elf.machine).toBe(40); // EM_ARM
      expect(elf.entry).toBe(word(bin, 4));
      expect(elf.symbols.get('Reset_Handler')).toBe(word(bin, 4));
      expect(elf.symbols.get('g_vector_table')).toBe(FLASH_BASE);
      expect(elf.symbols.get('_estack')).toBe(word(bin, 0));
      // The .bin runs from flash base to the end of the .data image stored after the code.
      const dataImageEnd = elf.symbols.get('_sidata')! + elf.symbols.get('_edata')! - elf.symbols.get('_sdata')!;
      expect(FLASH_BASE + bin.length).toBe(dataImageEnd);
    });

    test('.hex holds the same bytes as .bin at 0x08000000', () => {
      const hex = parseIntelHex(Buffer.from(fixture(version, 'hex')).toString('latin1'));
      expect(hex.base).toBe(FLASH_BASE);
      expect(sha256(hex.data)).toBe(sha256(fixture(version, 'bin')));
    });
  });

  test('SHA256SUMS lists every built file and matches it', () => {
    const lines = readFileSync(path.join(BUILD_DIR, 'SHA256SUMS'), 'latin1').trim().split('\n');
    const sums = new Map(lines.map((line) => {
      const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      if (!match) throw new Error(`bad SHA256SUMS line: ${line}`);
      return [match[2]!, match[1]!] as const;
    }));
    for (const version of VERSIONS) {
      for (const format of FORMATS) expect(sums.has(`${version}/firmware.${format}`)).toBe(true);
    }
    for (const [file, digest] of sums) {
      expect(sha256(new Uint8Array(readFileSync(path.join(BUILD_DIR, file)))), file).toBe(digest);
    }
  });

  describe('release changes', () => {
    test('v1.0.1 changes a calibration constant and the version string only', () => {
      const [a, b] = [fixture('v1.0.0', 'bin'), fixture('v1.0.1', 'bin')];
      expect(b.length).toBe(a.length);
      const changed = countDifferentBytes(a, b);
      expect(changed).toBeGreaterThan(0);
      expect(changed).toBeLessThanOrEqual(8);
    });

    test('v1.1.0 links a new module first, so later code moves', () => {
      expect(symbol('v1.1.0', 'alarm_classify')).toBeLessThan(symbol('v1.1.0', 'board_init'));
      expect(symbol('v1.1.0', 'board_init')).toBeGreaterThan(symbol('v1.0.1', 'board_init'));
      expect(symbol('v1.1.0', 'main')).toBeGreaterThan(symbol('v1.0.1', 'main'));
      expect(symbol('v1.1.0', 'g_config')).toBe(symbol('v1.0.1', 'g_config'));
    });

    test('v1.2.0 adds globals ahead of the existing ones, so RAM addresses move', () => {
      expect(symbol('v1.2.0', 'alarm_debounce_samples')).toBe(RAM_BASE);
      expect(symbol('v1.2.0', 'g_heartbeat_period_ms')).toBeGreaterThan(symbol('v1.1.0', 'g_heartbeat_period_ms'));
      expect(symbol('v1.2.0', 'g_config')).toBeGreaterThan(symbol('v1.1.0', 'g_config'));
    });

    test('v2.0.0 adds the telemetry module and grows the image', () => {
      expect(readElf(fixture('v1.2.0', 'elf')).symbols.has('telemetry_encode')).toBe(false);
      expect(symbol('v2.0.0', 'telemetry_airtime_ms')).toBeGreaterThan(FLASH_BASE);
      expect(fixture('v2.0.0', 'bin').length).toBeGreaterThan(fixture('v1.2.0', 'bin').length + 1024);
    });

    test('every image fits the flash region', () => {
      for (const version of VERSIONS) expect(fixture(version, 'bin').length).toBeLessThan(FLASH_SIZE);
    });
  });
});

const hasCrossCompiler = spawnSync('arm-none-eabi-gcc', ['--version']).status === 0;

describe.skipIf(!hasCrossCompiler)('firmware fixtures rebuild', () => {
  test('build.sh reproduces the committed bytes', ({ skip }) => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'smartdelta-fixtures-'));
    try {
      const build = spawnSync('bash', [path.join(FIXTURES_DIR, 'build.sh'), outDir], { encoding: 'utf8' });
      expect(build.status, build.stderr).toBe(0);
      const toolchain = readFileSync(path.join(outDir, 'TOOLCHAIN'), 'utf8');
      if (toolchain !== readFileSync(path.join(BUILD_DIR, 'TOOLCHAIN'), 'utf8')) {
        skip(`local toolchain differs from the one that built the fixtures:\n${toolchain}`);
      }
      for (const version of VERSIONS) {
        for (const format of FORMATS) {
          const file = `${version}/firmware.${format}`;
          const rebuilt = new Uint8Array(readFileSync(path.join(outDir, file)));
          expect(sha256(rebuilt), file).toBe(sha256(fixture(version, format)));
        }
      }
      expect(readFileSync(path.join(outDir, 'SHA256SUMS'), 'utf8'))
        .toBe(readFileSync(path.join(BUILD_DIR, 'SHA256SUMS'), 'utf8'));
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
