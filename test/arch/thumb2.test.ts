import { describe, expect, it } from 'vitest';
import {
  BRANCH20_MAX,
  BRANCH20_MIN,
  BRANCH24_MAX,
  BRANCH24_MIN,
  classifyBranch32,
  classifyThumb,
  encodeBranch32,
  encodePcRelative,
  encodePcRelativeTarget,
  isNarrowKind,
  isThumb32Prefix,
  ldrLiteralAddress,
  NO_ENCODING,
  packHalfwords,
  pcRelativeOffset,
  pcRelativeTarget,
  readThumb32,
  readU16LE,
  ThumbKind,
  writeThumb32,
  writeU16LE,
} from '../../src/arch/cortex-m/thumb2.js';

interface Known {
  asm: string;
  address: number;
  hw: [number] | [number, number];
  kind: ThumbKind;
  target: number;
}

/*
 * Obtained with `arm-none-eabi-as -mthumb -mcpu=cortex-m4` (binutils, gcc-arm-none-eabi 12.2.1) on a
 * `.syntax unified` / `.thumb` file starting at address 0, then `arm-none-eabi-objdump -d`, which
 * prints hw1 then hw2. `.` is the address of the instruction; targets are objdump's.
 */
const ASSEMBLED: Known[] = [
  { asm: 'bl .+0x1000', address: 0x00, hw: [0xf000, 0xfffe], kind: ThumbKind.BL, target: 0x1000 },
  { asm: 'bl .-4', address: 0x04, hw: [0xf7ff, 0xfffc], kind: ThumbKind.BL, target: 0x0 },
  { asm: 'bl .+0x1000002 (imm32 = +16 MiB - 2)', address: 0x08, hw: [0xf3ff, 0xd7ff], kind: ThumbKind.BL, target: 0x100000a },
  { asm: 'bl .-0xFFFFFC (imm32 = -16 MiB)', address: 0x0c, hw: [0xf400, 0xd000], kind: ThumbKind.BL, target: 0xff000010 },
  { asm: 'b.w .+0x123456', address: 0x10, hw: [0xf123, 0xba29], kind: ThumbKind.BW, target: 0x123466 },
  { asm: 'b.w .-0x7654', address: 0x14, hw: [0xf7f8, 0xbcd4], kind: ThumbKind.BW, target: 0xffff89c0 },
  { asm: 'beq.w .+0x1000', address: 0x18, hw: [0xf000, 0x87fe], kind: ThumbKind.BCondW, target: 0x1018 },
  { asm: 'bne.w .-0x2000', address: 0x1c, hw: [0xf47d, 0xaffe], kind: ThumbKind.BCondW, target: 0xffffe01c },
  { asm: 'bgt.w .+0x100002 (imm32 = +1 MiB - 2)', address: 0x20, hw: [0xf33f, 0xafff], kind: ThumbKind.BCondW, target: 0x100022 },
  { asm: 'ble.w .-0xFFFFC (imm32 = -1 MiB)', address: 0x24, hw: [0xf740, 0x8000], kind: ThumbKind.BCondW, target: 0xfff00028 },
  { asm: 'ldr r0, [pc, #1020]', address: 0x28, hw: [0x48ff], kind: ThumbKind.LdrLit16, target: 0x428 },
  { asm: 'ldr.w r1, [pc, #-8]', address: 0x2a, hw: [0xf85f, 0x1008], kind: ThumbKind.LdrLit32, target: 0x24 },
  { asm: 'ldr.w r1, [pc, #4092]', address: 0x2e, hw: [0xf8df, 0x1ffc], kind: ThumbKind.LdrLit32, target: 0x102c },
  { asm: 'ldr.w pc, [pc, #-4092]', address: 0x32, hw: [0xf85f, 0xfffc], kind: ThumbKind.LdrLit32, target: 0xfffff038 },
  { asm: 'ldrb.w r2, [pc, #-17]', address: 0x36, hw: [0xf81f, 0x2011], kind: ThumbKind.LdrbLit, target: 0x27 },
  { asm: 'ldrh.w r3, [pc, #34]', address: 0x3a, hw: [0xf8bf, 0x3022], kind: ThumbKind.LdrhLit, target: 0x5e },
  { asm: 'ldrsb.w r4, [pc, #-51]', address: 0x3e, hw: [0xf91f, 0x4033], kind: ThumbKind.LdrsbLit, target: 0xd },
  { asm: 'ldrsh.w r5, [pc, #68]', address: 0x42, hw: [0xf9bf, 0x5044], kind: ThumbKind.LdrshLit, target: 0x88 },
  { asm: 'ldrd r6, r7, [pc, #-1020]', address: 0x46, hw: [0xe95f, 0x67ff], kind: ThumbKind.LdrdLit, target: 0xfffffc4c },
  { asm: 'ldrd r8, r9, [pc, #256]', address: 0x4a, hw: [0xe9df, 0x8940], kind: ThumbKind.LdrdLit, target: 0x14c },
  { asm: 'adr r1, .+8 (assembled as addw r1, pc, #6)', address: 0x4e, hw: [0xf20f, 0x0106], kind: ThumbKind.AdrW, target: 0x56 },
  { asm: 'beq .-256 (relaxed to beq.w)', address: 0x52, hw: [0xf43f, 0xaf7e], kind: ThumbKind.BCondW, target: 0xffffff52 },
  { asm: 'bne .+254', address: 0x56, hw: [0xd17d], kind: ThumbKind.BCond16, target: 0x154 },
  { asm: 'b .-2048 (relaxed to b.w)', address: 0x58, hw: [0xf7ff, 0xbbfe], kind: ThumbKind.BW, target: 0xfffff858 },
  { asm: 'b .+2046', address: 0x5c, hw: [0xe3fd], kind: ThumbKind.B16, target: 0x85a },
  { asm: 'cbz r3, .+126', address: 0x5e, hw: [0xb3eb], kind: ThumbKind.Cbz, target: 0xdc },
  { asm: 'cbnz r7, .+4', address: 0x60, hw: [0xb907], kind: ThumbKind.Cbz, target: 0x64 },
  // A second file, 16-bit forms forced with .n (and the wide ADR forms):
  { asm: 'adr r1, .+8', address: 0x00, hw: [0xa101], kind: ThumbKind.Adr16, target: 0x8 },
  { asm: 'ldr r2, .+0x3fe (ldr r2, [pc, #1020])', address: 0x02, hw: [0x4aff], kind: ThumbKind.LdrLit16, target: 0x400 },
  { asm: 'beq.n .-252 (imm32 = -256)', address: 0x04, hw: [0xd080], kind: ThumbKind.BCond16, target: 0xffffff08 },
  { asm: 'bne.n .+256', address: 0x06, hw: [0xd17e], kind: ThumbKind.BCond16, target: 0x106 },
  { asm: 'b.n .-2044 (imm32 = -2048)', address: 0x08, hw: [0xe400], kind: ThumbKind.B16, target: 0xfffff80c },
  { asm: 'b.n .+2048', address: 0x0a, hw: [0xe3fe], kind: ThumbKind.B16, target: 0x80a },
  { asm: 'cbz r3, .+130 (imm32 = 126)', address: 0x0c, hw: [0xb3fb], kind: ThumbKind.Cbz, target: 0x8e },
  { asm: 'bhi.n .+4', address: 0x10, hw: [0xd800], kind: ThumbKind.BCond16, target: 0x14 },
  { asm: 'adr r7, .+1024 (addw r7, pc, #1022)', address: 0x12, hw: [0xf20f, 0x37fe], kind: ThumbKind.AdrW, target: 0x412 },
  { asm: 'subw r0, pc, #4095', address: 0x16, hw: [0xf6af, 0x70ff], kind: ThumbKind.AdrW, target: 0xfffff019 },
  { asm: 'subw r2, pc, #0x123', address: 0x04, hw: [0xf2af, 0x1223], kind: ThumbKind.AdrW, target: 0xfffffee5 },
  { asm: 'addw r4, pc, #0xfff', address: 0x0a, hw: [0xf60f, 0x74ff], kind: ThumbKind.AdrW, target: 0x100b },
  // A third file, offsets whose J1 and J2 (I1 and I2) differ, so that swapping them is caught:
  { asm: 'beq.w .+0x40004', address: 0x00, hw: [0xf000, 0xa000], kind: ThumbKind.BCondW, target: 0x40004 },
  { asm: 'bne.w .+0x80004', address: 0x04, hw: [0xf040, 0x8800], kind: ThumbKind.BCondW, target: 0x80008 },
  { asm: 'bmi.w .-0xBFFFC', address: 0x08, hw: [0xf500, 0xa000], kind: ThumbKind.BCondW, target: 0xfff4000c },
  { asm: 'bl .+0x400004', address: 0x0c, hw: [0xf000, 0xf000], kind: ThumbKind.BL, target: 0x400010 },
  { asm: 'bl .-0x7FFFFC', address: 0x10, hw: [0xf400, 0xf000], kind: ThumbKind.BL, target: 0xff800014 },
  { asm: 'b.w .+0x800004', address: 0x14, hw: [0xf000, 0x9800], kind: ThumbKind.BW, target: 0x800018 },
  { asm: 'b.w .-0x3FFFFC', address: 0x18, hw: [0xf400, 0xb800], kind: ThumbKind.BW, target: 0xffc0001c },
  // From real code: MicroPython v1.10 for PYBv1.1 (pybv11 corpus), `objdump -d firmware.elf`.
  { asm: 'bl 8042c48 <nlr_jump_fail>', address: 0x802004c, hw: [0xf022, 0xfdfc], kind: ThumbKind.BL, target: 0x8042c48 },
  { asm: 'bl 8020044 <nlr_jump>', address: 0x80361e0, hw: [0xf7e9, 0xff30], kind: ThumbKind.BL, target: 0x8020044 },
  { asm: 'b.w 8020000 <nlr_push_tail>', address: 0x8020040, hw: [0xf7ff, 0xbfde], kind: ThumbKind.BW, target: 0x8020000 },
  { asm: 'bne.w 802072a', address: 0x80205a4, hw: [0xf040, 0x80c1], kind: ThumbKind.BCondW, target: 0x802072a },
  { asm: 'ldr r2, [pc, #52]', address: 0x8020044, hw: [0x4a0d], kind: ThumbKind.LdrLit16, target: 0x802007c },
];

function pair(known: Known): [number, number] {
  return [known.hw[0], known.hw[1] ?? 0];
}

function packed(known: Known): number {
  return known.hw.length === 1 ? known.hw[0] : packHalfwords(known.hw[0], known.hw[1]!);
}

describe('assembled instructions', () => {
  it.each(ASSEMBLED)('$asm', (known) => {
    const [hw1, hw2] = pair(known);
    expect(isThumb32Prefix(hw1)).toBe(known.hw.length === 2);
    const kind = classifyThumb(hw1, hw2);
    expect(kind).toBe(known.kind);
    expect(isNarrowKind(kind)).toBe(known.hw.length === 1);
    expect(pcRelativeTarget(kind, known.address, hw1, hw2)).toBe(known.target);
    expect(encodePcRelativeTarget(kind, known.address, hw1, hw2, known.target)).toBe(packed(known));
  });

  it('gives the imm32 of BL / B.W as the manual defines it', () => {
    expect(pcRelativeOffset(ThumbKind.BL, 0xf000, 0xfffe)).toBe(0xffc);
    expect(pcRelativeOffset(ThumbKind.BL, 0xf3ff, 0xd7ff)).toBe(BRANCH24_MAX);
    expect(pcRelativeOffset(ThumbKind.BL, 0xf400, 0xd000)).toBe(BRANCH24_MIN);
    expect(pcRelativeOffset(ThumbKind.BCondW, 0xf33f, 0xafff)).toBe(BRANCH20_MAX);
    expect(pcRelativeOffset(ThumbKind.BCondW, 0xf740, 0x8000)).toBe(BRANCH20_MIN);
  });

  it('finds LDR (literal) addresses, and nothing for other instructions', () => {
    expect(ldrLiteralAddress(0x28, 0x48ff)).toBe(0x428);
    expect(ldrLiteralAddress(0x2a, 0xf85f, 0x1008)).toBe(0x24);
    expect(ldrLiteralAddress(0x2e, 0xf8df, 0x1ffc)).toBe(0x102c);
    expect(ldrLiteralAddress(0x2e, 0xf8df)).toBeUndefined();
    expect(ldrLiteralAddress(0x0, 0xf000, 0xfffe)).toBeUndefined();
    expect(ldrLiteralAddress(0x36, 0xf81f, 0x2011)).toBeUndefined();
    expect(ldrLiteralAddress(0x0, 0xa101)).toBeUndefined();
  });
});

describe('ranges', () => {
  const bl = [0xf000, 0xf800] as const;
  const bw = [0xf000, 0xb800] as const;
  const beq = [0xf000, 0x8000] as const;

  it('encodes BL and B.W up to +16 MiB - 2 and down to -16 MiB, not beyond', () => {
    for (const [hw1, hw2] of [bl, bw]) {
      expect(encodeBranch32(hw1, hw2, BRANCH24_MAX)).not.toBe(NO_ENCODING);
      expect(encodeBranch32(hw1, hw2, BRANCH24_MIN)).not.toBe(NO_ENCODING);
      expect(encodeBranch32(hw1, hw2, BRANCH24_MAX + 2)).toBe(NO_ENCODING);
      expect(encodeBranch32(hw1, hw2, BRANCH24_MIN - 2)).toBe(NO_ENCODING);
      expect(encodeBranch32(hw1, hw2, 0x7fff_fffe)).toBe(NO_ENCODING);
      expect(encodeBranch32(hw1, hw2, 3)).toBe(NO_ENCODING);
    }
    expect(encodeBranch32(bl[0], bl[1], BRANCH24_MAX)).toBe(0xf3ffd7ff);
    expect(encodeBranch32(bl[0], bl[1], BRANCH24_MIN)).toBe(0xf400d000);
  });

  it('encodes B<c>.W within +-1 MiB only, keeping cond', () => {
    expect(encodeBranch32(beq[0], beq[1], BRANCH20_MAX)).toBe(0xf03fafff);
    expect(encodeBranch32(0xf740, 0x8000, BRANCH20_MIN)).toBe(0xf7408000);
    expect(encodeBranch32(beq[0], beq[1], BRANCH20_MAX + 2)).toBe(NO_ENCODING);
    expect(encodeBranch32(beq[0], beq[1], BRANCH20_MIN - 2)).toBe(NO_ENCODING);
    expect((encodeBranch32(0xf47d, 0xaffe, 0x1000) >>> 16) & 0x03c0).toBe(0x1 << 6); // still NE
  });

  it('encodes the 16-bit branches within their ranges', () => {
    const cases: [ThumbKind, number, number, number][] = [
      [ThumbKind.BCond16, 0xd000, -256, 254],
      [ThumbKind.B16, 0xe000, -2048, 2046],
      [ThumbKind.Cbz, 0xb100, 0, 126],
    ];
    for (const [kind, hw, min, max] of cases) {
      expect(encodePcRelative(kind, hw, 0, min)).not.toBe(NO_ENCODING);
      expect(encodePcRelative(kind, hw, 0, max)).not.toBe(NO_ENCODING);
      expect(encodePcRelative(kind, hw, 0, min - 2)).toBe(NO_ENCODING);
      expect(encodePcRelative(kind, hw, 0, max + 2)).toBe(NO_ENCODING);
      expect(encodePcRelative(kind, hw, 0, 1)).toBe(NO_ENCODING);
    }
  });

  it('encodes the literal forms within their ranges and alignment', () => {
    const cases: [ThumbKind, number, number, number, number, number][] = [
      // kind, hw1, hw2, min, max, required alignment
      [ThumbKind.LdrLit16, 0x4800, 0, 0, 1020, 4],
      [ThumbKind.Adr16, 0xa000, 0, 0, 1020, 4],
      [ThumbKind.LdrLit32, 0xf8df, 0x1000, -4095, 4095, 1],
      [ThumbKind.LdrbLit, 0xf89f, 0x1000, -4095, 4095, 1],
      [ThumbKind.LdrdLit, 0xe9df, 0x0100, -1020, 1020, 4],
      [ThumbKind.AdrW, 0xf20f, 0x0100, -4095, 4095, 1],
    ];
    for (const [kind, hw1, hw2, min, max, align] of cases) {
      expect(encodePcRelative(kind, hw1, hw2, min)).not.toBe(NO_ENCODING);
      expect(encodePcRelative(kind, hw1, hw2, max)).not.toBe(NO_ENCODING);
      expect(encodePcRelative(kind, hw1, hw2, min - align)).toBe(NO_ENCODING);
      expect(encodePcRelative(kind, hw1, hw2, max + align)).toBe(NO_ENCODING);
      if (align > 1) expect(encodePcRelative(kind, hw1, hw2, 2)).toBe(NO_ENCODING);
    }
  });

  it('refuses targets an instruction cannot reach from its address', () => {
    expect(encodePcRelativeTarget(ThumbKind.BL, 0x0800_0000, 0xf000, 0xf800, 0x0a00_0000)).toBe(NO_ENCODING);
    expect(encodePcRelativeTarget(ThumbKind.LdrLit16, 0x100, 0x4800, 0, 0x0fe)).toBe(NO_ENCODING);
    expect(encodePcRelativeTarget(ThumbKind.LdrLit16, 0x100, 0x4800, 0, 0x106)).toBe(NO_ENCODING);
    expect(encodePcRelativeTarget(ThumbKind.LdrLit16, 0x102, 0x4800, 0, 0x104)).toBe(0x4800);
  });

  it('wraps around the 32-bit address space as the hardware does', () => {
    const near = encodePcRelativeTarget(ThumbKind.BL, 0xffff_fff0, 0xf000, 0xf800, 0x10);
    expect(near).not.toBe(NO_ENCODING);
    expect(pcRelativeTarget(ThumbKind.BL, 0xffff_fff0, near >>> 16, near & 0xffff)).toBe(0x10);
  });
});

describe('instructions that are not PC-relative forms', () => {
  // Assembled as above: msr, mrs, nop.w, dsb, isb (B T3 space with cond = 111x), mov.w, pld/pli
  // literal (Rt = 1111), addw r0, r1, ldr.w r0, [r1, #4], ldrd r0, r1, [r2, #8], tbb [pc, r1].
  const wide: [string, number, number][] = [
    ['msr', 0xf380, 0x8800], ['mrs', 0xf3ef, 0x8010], ['nop.w', 0xf3af, 0x8000], ['dsb', 0xf3bf, 0x8f4f],
    ['isb', 0xf3bf, 0x8f6f], ['mov.w', 0xf04f, 0x0000], ['pld', 0xf89f, 0xf010], ['pli', 0xf91f, 0xf010],
    ['addw', 0xf201, 0x0005], ['ldr.w imm', 0xf8d1, 0x0004], ['ldrd imm', 0xe9d2, 0x0102], ['tbb', 0xe8df, 0xf001],
    ['blx T2 (not ARMv7-M)', 0xf000, 0xe800],
  ];
  it.each(wide)('%s', (_name, hw1, hw2) => {
    expect(isThumb32Prefix(hw1)).toBe(true);
    expect(classifyThumb(hw1, hw2)).toBe(ThumbKind.None);
  });

  // svc 1, udf 2, it eq, mov r0, r1, cpsid i, push {r4, lr}
  it.each([0xdf01, 0xde02, 0xbf08, 0x4608, 0xb672, 0xb510])('%s', (hw) => {
    expect(isThumb32Prefix(hw)).toBe(false);
    expect(classifyThumb(hw, 0)).toBe(ThumbKind.None);
  });

  it('classifies 32-bit branches by hw2 bits 14 and 12', () => {
    expect(classifyBranch32(0xf000, 0xd000)).toBe(ThumbKind.BL);
    expect(classifyBranch32(0xf000, 0x9000)).toBe(ThumbKind.BW);
    expect(classifyBranch32(0xf000, 0x8000)).toBe(ThumbKind.BCondW);
    expect(classifyBranch32(0xf000, 0xc000)).toBe(ThumbKind.None);
    expect(classifyBranch32(0xe800, 0xd000)).toBe(ThumbKind.None);
  });
});

describe('halfword helpers', () => {
  it('reads and writes little-endian halfwords, hw1 first', () => {
    const bytes = Uint8Array.of(0x00, 0xf0, 0xfe, 0xff, 0xff, 0x48); // bl .+0x1000; ldr r0, [pc, #1020]
    expect(readU16LE(bytes, 0)).toBe(0xf000);
    expect(readThumb32(bytes, 0)).toBe(0xf000fffe);
    expect(readU16LE(bytes, 4)).toBe(0x48ff);
    const out = new Uint8Array(6);
    writeThumb32(out, 0, 0xf000fffe);
    writeU16LE(out, 4, 0x48ff);
    expect(out).toEqual(bytes);
  });

  it('recognises the three 32-bit prefixes', () => {
    expect([0xe7ff, 0xe800, 0xefff, 0xf000, 0xf7ff, 0xf800, 0xffff].map(isThumb32Prefix)).toEqual([
      false, true, true, true, true, true, true,
    ]);
  });
});
