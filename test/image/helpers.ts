/** Test helpers: ELF and Intel HEX builders, deterministic contents. */
import {
  buildElf,
  type BuiltElf,
  type ElfSpec,
  SHF_ALLOC,
  SHF_EXEC,
  SHF_WRITE,
  SHT_NOBITS,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_OBJECT,
} from './elf-builder.js';

export * from './elf-builder.js';

/** Deterministic bytes for section contents. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A typical Cortex-M ELF: vector table + code in flash, .data loaded after them, .bss in RAM. */
export function sampleElf(options: { symbols?: boolean } = {}): BuiltElf {
  const vectors = new Uint8Array(64);
  const v = new DataView(vectors.buffer);
  v.setUint32(0, 0x2000_8000, true);
  for (let i = 1; i < 16; i++) v.setUint32(i * 4, 0x0800_0101 + 8 * i, true);
  const spec: ElfSpec = {
    entry: 0x0800_0109,
    sections: [
      { name: '.isr_vector', flags: SHF_ALLOC, addr: 0x0800_0000, data: vectors },
      { name: '.text', flags: SHF_ALLOC | SHF_EXEC, addr: 0x0800_0100, data: pattern(0x300, 1) },
      { name: '.data', flags: SHF_ALLOC | SHF_WRITE, addr: 0x2000_0000, data: pattern(0x20, 2) },
      { name: '.bss', type: SHT_NOBITS, flags: SHF_ALLOC | SHF_WRITE, addr: 0x2000_0020, size: 0x100 },
      { name: '.comment', flags: 0, data: new TextEncoder().encode('test\0') },
    ],
    segments: [
      { sections: ['.isr_vector', '.text'] },
      { sections: ['.data', '.bss'], paddr: 0x0800_0400, flags: 6 },
    ],
    padByte: 0xab,
  };
  if (options.symbols !== false) {
    spec.symbols = [
      { name: 'main.c', value: 0, type: 4, bind: STB_LOCAL },
      { name: 'Reset_Handler', value: 0x0800_0109, size: 0x40, type: STT_FUNC, section: '.text' },
      { name: 'counter', value: 0x2000_0000, size: 4, type: STT_OBJECT, bind: STB_WEAK, section: '.data' },
      { name: '_estack', value: 0x2000_8000, type: 0 },
    ];
  }
  return buildElf(spec);
}

export interface HexChunk {
  address: number;
  bytes: Uint8Array;
}

export interface HexWriteOptions {
  recordSize?: number;
  eol?: string;
  lowerCase?: boolean;
  trailingSpace?: string;
  /** Use type 02 segment records (addresses below 1 MiB only). */
  segmented?: boolean;
  startLinear?: number;
}

/** Write Intel HEX: type 04 (or 02) whenever the upper address bits change, data records that do not cross 64 KiB. */
export function writeIntelHex(chunks: HexChunk[], options: HexWriteOptions = {}): Uint8Array {
  const size = options.recordSize ?? 16;
  const lines: string[] = [];
  let upper = -1;
  const record = (type: number, offset: number, data: ArrayLike<number>): void => {
    const body = [data.length, offset >> 8, offset & 0xff, type, ...Array.from(data)];
    const sum = body.reduce((a, b) => a + b, 0);
    body.push(-sum & 0xff);
    let text = ':' + body.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
    if (options.lowerCase) text = text.toLowerCase();
    lines.push(text + (options.trailingSpace ?? ''));
  };
  for (const chunk of chunks) {
    let i = 0;
    while (i < chunk.bytes.length) {
      const address = chunk.address + i;
      const high = Math.floor(address / 0x10000);
      if (high !== upper) {
        if (options.segmented) record(2, 0, [(high << 12) >> 8, 0]);
        else record(4, 0, [high >> 8, high & 0xff]);
        upper = high;
      }
      const offset = address & 0xffff;
      const n = Math.min(size, chunk.bytes.length - i, 0x10000 - offset);
      record(0, offset, chunk.bytes.subarray(i, i + n));
      i += n;
    }
  }
  if (options.startLinear !== undefined) {
    const s = options.startLinear;
    record(5, 0, [s >>> 24, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff]);
  }
  record(1, 0, []);
  const eol = options.eol ?? '\n';
  return new TextEncoder().encode(lines.join(eol) + eol);
}

/** Records as text lines, for tests that edit one line. */
export function hexText(lines: string[], eol = '\n'): Uint8Array {
  return new TextEncoder().encode(lines.join(eol) + eol);
}

/** Build one record line with a correct checksum. */
export function hexRecord(type: number, offset: number, data: number[]): string {
  const body = [data.length, offset >> 8, offset & 0xff, type, ...data];
  const sum = body.reduce((a, b) => a + b, 0);
  return ':' + [...body, -sum & 0xff].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}
