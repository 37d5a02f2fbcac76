/** A tiny ELF32 little-endian ARM executable builder for the image tests. */

export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHF_WRITE = 1;
export const SHF_ALLOC = 2;
export const SHF_EXEC = 4;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export interface SectionSpec {
  name: string;
  type?: number;
  flags?: number;
  addr?: number;
  /** File contents (PROGBITS); omit with `size` for NOBITS. */
  data?: Uint8Array;
  size?: number;
  link?: number;
  entsize?: number;
}

export interface SegmentSpec {
  type?: number;
  /** Names of the sections in this segment, in address order. */
  sections: string[];
  /** Physical (load) address; defaults to the first section's address. */
  paddr?: number;
  flags?: number;
}

export interface SymbolSpec {
  name: string;
  value: number;
  size?: number;
  type?: number;
  bind?: number;
  section?: string;
}

export interface ElfSpec {
  entry?: number;
  sections: SectionSpec[];
  segments?: SegmentSpec[];
  symbols?: SymbolSpec[];
  /** Byte written between sections of one segment (a linker's alignment padding). */
  padByte?: number;
  /** Leave out the section header table (e_shnum = 0). */
  noSectionHeaders?: boolean;
}

export interface BuiltElf {
  bytes: Uint8Array;
  view: DataView;
  /** File offset of section header `index`. */
  shdr(index: number): number;
  /** File offset of program header `index`. */
  phdr(index: number): number;
  sectionIndex(name: string): number;
}

interface Placed {
  spec: SectionSpec;
  type: number;
  offset: number;
  size: number;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Lay out an ELF32 little-endian ARM executable the way a linker would (sections of a segment at matching offsets). */
export function buildElf(spec: ElfSpec): BuiltElf {
  const segments = spec.segments ?? [];
  const withSymbols = spec.symbols !== undefined;
  const all: SectionSpec[] = [...spec.sections];
  const names = ['', ...all.map((s) => s.name)];
  if (withSymbols) names.push('.symtab', '.strtab');
  names.push('.shstrtab');
  const indexOf = (name: string): number => {
    const i = names.indexOf(name);
    if (i < 1) throw new Error(`no section ${name}`);
    return i;
  };

  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  const placed = new Map<string, Placed>();
  let cursor = align(52 + 32 * segments.length, 16);
  const place = (s: SectionSpec, offset: number): void => {
    const type = s.type ?? (s.data ? SHT_PROGBITS : SHT_NOBITS);
    const size = s.data?.length ?? s.size ?? 0;
    placed.set(s.name, { spec: s, type, offset, size });
    if (s.data) chunks.push({ offset, bytes: s.data });
  };

  for (const seg of segments) {
    const members = seg.sections.map((n) => all.find((s) => s.name === n)!);
    const first = members[0]!;
    const start = align(cursor, 16);
    let end = start;
    for (const s of members) {
      const offset = start + ((s.addr ?? 0) - (first.addr ?? 0));
      place(s, s.data ? offset : end);
      if (s.data) {
        if (spec.padByte !== undefined && offset > end) {
          chunks.push({ offset: end, bytes: new Uint8Array(offset - end).fill(spec.padByte) });
        }
        end = offset + s.data.length;
      }
    }
    cursor = end;
  }
  for (const s of all) {
    if (placed.has(s.name)) continue;
    cursor = align(cursor, 4);
    place(s, cursor);
    if (s.data) cursor += s.data.length;
  }

  const strtab = new StringTableBuilder();
  const symtab = withSymbols ? buildSymtab(spec.symbols!, strtab, indexOf) : undefined;
  if (symtab) {
    cursor = align(cursor, 4);
    place({ name: '.symtab', type: SHT_SYMTAB, data: symtab, link: indexOf('.strtab'), entsize: 16 }, cursor);
    cursor += symtab.length;
    const strBytes = strtab.bytes();
    place({ name: '.strtab', type: SHT_STRTAB, data: strBytes }, cursor);
    cursor += strBytes.length;
  }
  const shstr = new StringTableBuilder();
  const nameOffsets = names.map((n) => shstr.add(n));
  const shstrBytes = shstr.bytes();
  place({ name: '.shstrtab', type: SHT_STRTAB, data: shstrBytes }, cursor);
  cursor += shstrBytes.length;

  const shoff = align(cursor, 4);
  const total = spec.noSectionHeaders ? cursor : shoff + 40 * names.length;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  for (const c of chunks) bytes.set(c.bytes, c.offset);

  const shnum = spec.noSectionHeaders ? 0 : names.length;
  writeHeader(view, spec, segments.length, shnum ? shoff : 0, shnum, names.length - 1);
  segments.forEach((seg, i) => writeSegment(view, 52 + 32 * i, seg, placed));
  if (!spec.noSectionHeaders) {
    names.forEach((name, i) => {
      if (i === 0) return;
      const p = placed.get(name)!;
      const at = shoff + 40 * i;
      view.setUint32(at, nameOffsets[i]!, true);
      view.setUint32(at + 4, p.type, true);
      view.setUint32(at + 8, p.spec.flags ?? (p.type === SHT_PROGBITS || p.type === SHT_NOBITS ? SHF_ALLOC : 0), true);
      view.setUint32(at + 12, p.spec.addr ?? 0, true);
      view.setUint32(at + 16, p.offset, true);
      view.setUint32(at + 20, p.size, true);
      view.setUint32(at + 24, p.spec.link ?? 0, true);
      view.setUint32(at + 28, name === '.symtab' ? 1 : 0, true);
      view.setUint32(at + 32, 4, true);
      view.setUint32(at + 36, p.spec.entsize ?? 0, true);
    });
  }
  return {
    bytes,
    view,
    shdr: (index) => shoff + 40 * index,
    phdr: (index) => 52 + 32 * index,
    sectionIndex: indexOf,
  };
}

function writeHeader(view: DataView, spec: ElfSpec, phnum: number, shoff: number, shnum: number, shstrndx: number): void {
  [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1].forEach((b, i) => view.setUint8(i, b));
  view.setUint16(16, 2, true); // ET_EXEC
  view.setUint16(18, 40, true); // EM_ARM
  view.setUint32(20, 1, true);
  view.setUint32(24, spec.entry ?? 0, true);
  view.setUint32(28, phnum ? 52 : 0, true);
  view.setUint32(32, shoff, true);
  view.setUint32(36, 0x05000400, true); // EABI5, hard-float
  view.setUint16(40, 52, true);
  view.setUint16(42, 32, true);
  view.setUint16(44, phnum, true);
  view.setUint16(46, 40, true);
  view.setUint16(48, shnum, true);
  view.setUint16(50, shnum ? shstrndx : 0, true);
}

function writeSegment(view: DataView, at: number, seg: SegmentSpec, placed: Map<string, Placed>): void {
  const members = seg.sections.map((n) => placed.get(n)!);
  const first = members[0]!;
  const vaddr = first.spec.addr ?? 0;
  const fileBacked = members.filter((m) => m.type !== SHT_NOBITS);
  const filesz = fileBacked.length ? Math.max(...fileBacked.map((m) => m.offset + m.size)) - first.offset : 0;
  const memsz = Math.max(...members.map((m) => (m.spec.addr ?? 0) + m.size)) - vaddr;
  view.setUint32(at, seg.type ?? 1, true);
  view.setUint32(at + 4, first.offset, true);
  view.setUint32(at + 8, vaddr, true);
  view.setUint32(at + 12, seg.paddr ?? vaddr, true);
  view.setUint32(at + 16, filesz, true);
  view.setUint32(at + 20, memsz, true);
  view.setUint32(at + 24, seg.flags ?? 5, true);
  view.setUint32(at + 28, 4, true);
}

function buildSymtab(symbols: SymbolSpec[], strtab: StringTableBuilder, indexOf: (n: string) => number): Uint8Array {
  const bytes = new Uint8Array(16 * (symbols.length + 1));
  const view = new DataView(bytes.buffer);
  symbols.forEach((s, i) => {
    const at = 16 * (i + 1);
    view.setUint32(at, strtab.add(s.name), true);
    view.setUint32(at + 4, s.value, true);
    view.setUint32(at + 8, s.size ?? 0, true);
    view.setUint8(at + 12, ((s.bind ?? STB_GLOBAL) << 4) | (s.type ?? STT_FUNC));
    view.setUint16(at + 14, s.section ? indexOf(s.section) : 0xfff1, true);
  });
  return bytes;
}

class StringTableBuilder {
  private readonly parts: number[] = [0];
  add(name: string): number {
    if (name === '') return 0;
    const offset = this.parts.length;
    for (const ch of Buffer.from(name, 'utf8')) this.parts.push(ch);
    this.parts.push(0);
    return offset;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
