/**
 * CRC-32 as HTTP delivery platforms use it (the zlib/IEEE 802.3 one: reflected polynomial 0xEDB88320, initial
 * value and final XOR 0xFFFFFFFF; check value of "123456789" is 0xCBF43926). Written here rather than taken
 * from zlib.crc32, which appeared in Node 22.2 and a later 20.x release (20.20 has it, early 20.x do not),
 * while the package supports every Node 20. The tests compare the two.
 */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 of `data`; pass the previous result as `crc` to continue over a following piece. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The CRC as platforms print it: 8 lowercase hex digits. */
export function crc32Hex(data: Uint8Array): string {
  return crc32(data).toString(16).padStart(8, '0');
}
