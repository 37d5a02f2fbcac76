// Crafted inputs of the hardening bench (issue 16; bench/crafted.js): the worst cases a red-team pass found
// for the host's parsers, generated at bench time (never committed). Each generator returns a Buffer.

/**
 * An ARM ELF32 executable with `sections` allocated one-byte PROGBITS sections and `segments` PT_LOAD
 * program headers that hold none of them (so matching a section to its segment looks at every segment),
 * plus the null section and a .shstrtab.
 */
export function craftElf(sections, segments) {
  const EHDR = 52, PHDR = 32, SHDR = 40;
  const shnum = sections + 2; // null, the sections, .shstrtab
  const names = Buffer.from('\0.s\0.shstrtab\0', 'latin1');
  const phoff = EHDR;
  const dataOff = phoff + segments * PHDR;
  const namesOff = dataOff + sections;
  const shoff = (namesOff + names.length + 3) & ~3;
  const extended = shnum >= 0xff00;
  const out = Buffer.alloc(shoff + shnum * SHDR);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  out.writeUInt16LE(2, 16); // ET_EXEC
  out.writeUInt16LE(40, 18); // EM_ARM
  out.writeUInt32LE(1, 20);
  out.writeUInt32LE(0x08000001, 24);
  out.writeUInt32LE(phoff, 28);
  out.writeUInt32LE(shoff, 32);
  out.writeUInt16LE(EHDR, 40);
  out.writeUInt16LE(PHDR, 42);
  const manySegments = segments >= 0xffff; // PN_XNUM: the count goes to section 0's sh_info
  out.writeUInt16LE(manySegments ? 0xffff : segments, 44);
  out.writeUInt16LE(SHDR, 46);
  out.writeUInt16LE(extended ? 0 : shnum, 48);
  out.writeUInt16LE(extended ? 0xffff : shnum - 1, 50);
  for (let i = 0; i < segments; i++) {
    const at = phoff + i * PHDR;
    out.writeUInt32LE(1, at); // PT_LOAD, empty, far from the sections
    out.writeUInt32LE(0, at + 4);
    out.writeUInt32LE(0x2000_0000 + i * 16, at + 8);
    out.writeUInt32LE(0x2000_0000 + i * 16, at + 12);
    out.writeUInt32LE(0, at + 16);
    out.writeUInt32LE(16, at + 20);
    out.writeUInt32LE(6, at + 24);
  }
  names.copy(out, namesOff);
  if (extended) {
    out.writeUInt32LE(shnum, shoff + 20); // sh_size of section 0: the section count
    out.writeUInt32LE(shnum - 1, shoff + 24); // sh_link: the .shstrtab index
  }
  if (manySegments) out.writeUInt32LE(segments, shoff + 28);
  for (let i = 1; i <= sections; i++) {
    const at = shoff + i * SHDR;
    out.writeUInt32LE(1, at); // ".s"
    out.writeUInt32LE(1, at + 4); // PROGBITS
    out.writeUInt32LE(2, at + 8); // ALLOC
    out.writeUInt32LE(0x0800_0000 + i - 1, at + 12);
    out.writeUInt32LE(dataOff + i - 1, at + 16);
    out.writeUInt32LE(1, at + 20);
    out[dataOff + i - 1] = i & 0xff;
  }
  const str = shoff + (shnum - 1) * SHDR;
  out.writeUInt32LE(4, str);
  out.writeUInt32LE(3, str + 4); // STRTAB
  out.writeUInt32LE(namesOff, str + 16);
  out.writeUInt32LE(names.length, str + 20);
  return out;
}

/** An Intel HEX file of about `bytes` bytes of one-byte data records, every other address (no record joins the next). */
export function craftHex(bytes) {
  const records = [];
  const line = (type, offset, data) => {
    const body = [data.length, (offset >> 8) & 0xff, offset & 0xff, type, ...data];
    const sum = -body.reduce((s, b) => s + b, 0) & 0xff;
    return `:${[...body, sum].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')}\n`;
  };
  // 64 KiB segments of 32,768 one-byte records each, as one repeated block per segment.
  let size = 0;
  for (let segment = 0; size < bytes; segment++) {
    const head = line(4, 0, [(segment >> 8) & 0xff, segment & 0xff]);
    const parts = [head];
    for (let offset = 0; offset < 0x10000; offset += 2) parts.push(line(0, offset, [offset & 0xff]));
    const block = Buffer.from(parts.join(''), 'latin1');
    records.push(block);
    size += block.length;
    if (segment === 0x3ff) break; // 64 MiB of addresses: the image span cap
  }
  records.push(Buffer.from(line(1, 0, []), 'latin1'));
  return Buffer.concat(records);
}
