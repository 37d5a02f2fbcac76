/**
 * An independent, deliberately naive Intel HEX reader (Intel "Hexadecimal Object File Format Specification",
 * Rev. A, and the rules of docs/IMAGES.md) used as the oracle of the HEX fuzzer: one map entry per byte, no
 * shortcuts. Returns the image, or a reason for refusing the file.
 */
const SPAN_LIMIT = 64 * 1024 * 1024;

export type ReferenceHex = { ok: true; loadAddress: number; data: Uint8Array } | { ok: false; reason: string };

export function referenceHex(text: Uint8Array, gapFill = 0x00): ReferenceHex {
  const lines = Buffer.from(text).toString('latin1').split('\n');
  const bytes = new Map<number, number>();
  let segmentMode = false;
  let base = 0;
  let start: number | undefined;
  let eof = false;
  for (const raw of lines) {
    const line = raw.replace(/[ \t\r]+$/, '');
    if (line === '') continue;
    if (eof) return { ok: false, reason: 'data after EOF' };
    if (!/^:([0-9A-Fa-f]{2})+$/.test(line)) return { ok: false, reason: 'not a record' };
    const record = Buffer.from(line.slice(1), 'hex');
    if (record.length < 5 || record.length > 260) return { ok: false, reason: 'record length' };
    if (record[0] !== record.length - 5) return { ok: false, reason: 'byte count' };
    if (record.reduce((sum, b) => sum + b, 0) % 256 !== 0) return { ok: false, reason: 'checksum' };
    const offset = record.readUInt16BE(1);
    const type = record[3]!;
    const data = record.subarray(4, record.length - 1);
    const word = data.length >= 2 ? data.readUInt16BE(0) : 0;
    const need = (n: number): boolean => data.length === n;
    if (type === 0) {
      for (let i = 0; i < data.length; i++) {
        const address = segmentMode ? base + ((offset + i) % 0x10000) : (base + offset + i) % 2 ** 32;
        if (bytes.has(address)) return { ok: false, reason: 'overlap' };
        bytes.set(address, data[i]!);
      }
    } else if (type === 1) {
      if (!need(0)) return { ok: false, reason: 'eof length' };
      eof = true;
    } else if (type === 2 || type === 4) {
      if (!need(2)) return { ok: false, reason: 'address record length' };
      segmentMode = type === 2;
      base = type === 2 ? word * 16 : word * 0x10000;
    } else if (type === 3 || type === 5) {
      if (!need(4)) return { ok: false, reason: 'start record length' };
      const address = type === 3 ? word * 16 + data.readUInt16BE(2) : data.readUInt32BE(0);
      if (start !== undefined && start !== address) return { ok: false, reason: 'start conflict' };
      start = address;
    } else {
      return { ok: false, reason: 'record type' };
    }
  }
  if (!eof) return { ok: false, reason: 'no EOF' };
  if (bytes.size === 0) return { ok: false, reason: 'no data' };
  let low = Infinity;
  let high = -Infinity;
  for (const address of bytes.keys()) {
    low = Math.min(low, address);
    high = Math.max(high, address);
  }
  if (high + 1 - low > SPAN_LIMIT) return { ok: false, reason: 'span' };
  const image = new Uint8Array(high + 1 - low).fill(gapFill);
  for (const [address, value] of bytes) image[address - low] = value;
  return { ok: true, loadAddress: low, data: image };
}

/** One record line with a correct checksum. */
export function hexRecordLine(type: number, offset: number, data: readonly number[], count = data.length): string {
  const body = [count & 0xff, (offset >> 8) & 0xff, offset & 0xff, type & 0xff, ...data.map((b) => b & 0xff)];
  const checksum = -body.reduce((sum, b) => sum + b, 0) & 0xff;
  return `:${[...body, checksum].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')}`;
}
