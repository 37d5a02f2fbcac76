/** Every TS004 conformance vector in ../shared/ts004-vectors (README.md there lists them). */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  FecEncoder,
  FragmentDecoder,
  dataBlockB0,
  dataBlockMic,
  decodeDataFragment,
  decodeFragSessionSetupReq,
  deriveDataBlockIntKey,
  encodeFragments,
  fromHex,
  parityRowBits,
  parityRowColumns,
  prbs23,
  reassemble,
  toHex,
  type Ts004Version,
} from '../../src/lorawan/index.js';
import { receivedRank } from './gf2.js';

const dir = resolve(import.meta.dirname, '../../../shared/ts004-vectors');
const json = <T>(name: string): T => JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
const hex = (s: string): Uint8Array => fromHex(s)!;

interface FecVector {
  input_data_hex: string;
  cases: { name: string; fragment_size: number; redundancy: number; fragments_hex: string[] }[];
}

/** Reads a file of one command per line (hex); returns the setup bytes and the DataFragments. */
function readCommands(path: string): { setup: Uint8Array; fragments: { index: number; payload: Uint8Array }[] } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const commands = lines.map((l) => hex(l.trim()));
  return { setup: commands[0]!, fragments: commands.slice(1).map((c) => decodeDataFragment(c)) };
}

describe.skipIf(!existsSync(dir))('TS004 vectors', () => {
  // vitest runs a skipped describe's body too, to list its tests: read nothing when the files are absent.
  if (!existsSync(dir)) return;
  describe('FEC fragment lists', () => {
    const files: [string, Ts004Version][] = [
      ['fec_v1_brocaar_lorawan.json', 1],
      ['fec_v1_chirpstack_lrwn.json', 1],
      ['fec_v2_chirpstack_lrwn.json', 2],
    ];
    for (const [file, version] of files) {
      const vector = json<FecVector>(file);
      for (const c of vector.cases) {
        it(`${file}: ${c.name} encodes every fragment`, () => {
          const fragments = encodeFragments(hex(vector.input_data_hex), c.fragment_size, c.redundancy, version).map(toHex);
          expect(fragments).toEqual(c.fragments_hex);
        });
        it(`${file}: ${c.name} decodes from the coded fragments with up to R uncoded ones lost`, () => {
          const data = hex(vector.input_data_hex);
          const all = c.fragments_hex.map((h, i) => ({ index: i + 1, payload: hex(h) }));
          // Drop the first k uncoded fragments for every k the code can take; success or an honest failure.
          for (let lost = 0; lost <= c.redundancy; lost++) {
            const result = reassemble(all.slice(lost), { nbFrag: 10, fragSize: c.fragment_size, padding: 0, version });
            if (result.ok) expect(toHex(result.data)).toBe(vector.input_data_hex);
            else expect(result.reason).toBe('not-enough-fragments');
            if (lost <= 2) expect(result.ok).toBe(true);
          }
          expect(data.length).toBe(100);
        });
      }
    }

    it('v1 rows decoded with the v2 rule are caught, never returned as data', () => {
      const vector = json<FecVector>('fec_v1_brocaar_lorawan.json');
      const c = vector.cases[0]!;
      const all = c.fragments_hex.map((h, i) => ({ index: i + 1, payload: hex(h) }));
      for (let lost = 1; lost <= 6; lost++) {
        const result = reassemble(all.slice(lost), { nbFrag: 10, fragSize: 10, padding: 0, version: 2 });
        if (result.ok) expect(toHex(result.data)).toBe(vector.input_data_hex);
        else expect(['inconsistent-fragments', 'not-enough-fragments']).toContain(result.reason);
      }
    });
  });

  describe('Radiator Labs PRBS23 and parity rows', () => {
    const misc = json<{
      prbs23_sequence: { start: number; next4_hex: string[] };
      parity_row_M16_N3: { v1_columns_1idx: number[]; v2_force_full_r_columns_1idx: number[] };
      lfdbt_parity_M26: { words_hex: string[] };
    }>('radiator_labs_misc.json');

    it('PRBS23 from 1001', () => {
      let x = misc.prbs23_sequence.start;
      const next = misc.prbs23_sequence.next4_hex.map(() => (x = prbs23(x)).toString(16).padStart(8, '0'));
      expect(next).toEqual(misc.prbs23_sequence.next4_hex);
    });

    it('M = 16 (power of two), n = 3: v1 and v2 columns', () => {
      const sorted = (v: Ts004Version): number[] => [...parityRowColumns(3, 16, v)].map((c) => c + 1).sort((a, b) => a - b);
      expect(sorted(1)).toEqual(misc.parity_row_M16_N3.v1_columns_1idx);
      expect(sorted(2)).toEqual(misc.parity_row_M16_N3.v2_force_full_r_columns_1idx);
    });

    it('NEGATIVE: the off-by-one seeded rows for M = 26 are not ours; they are our rows shifted by one', () => {
      const words = misc.lfdbt_parity_M26.words_hex.map((h) => Number.parseInt(h, 16));
      const ours = (n: number): number => parityRowBits(n, 26, 1)[0]!;
      const matches = words.filter((w, k) => w === ours(k + 1)).length;
      expect(matches).toBe(0);
      // The vector's k-th row is our row n = k (seed 1 + 1001·(n − 1) would be needed to match it).
      words.forEach((w, k) => expect(w).toBe(ours(k)));
    });

    it('NEGATIVE: a stream coded with the off-by-one rows never decodes to wrong bytes', () => {
      const words = misc.lfdbt_parity_M26.words_hex.map((h) => Number.parseInt(h, 16));
      const data = Uint8Array.from({ length: 26 * 4 }, (_, i) => (i * 37 + 11) & 0xff);
      const coded = words.map((w, k) => {
        const payload = new Uint8Array(4);
        for (let j = 0; j < 26; j++) if ((w >>> j) & 1) for (let b = 0; b < 4; b++) payload[b]! ^= data[j * 4 + b]!;
        return { index: 27 + k, payload };
      });
      const expected = createHash('sha256').update(data).digest();
      for (let lost = 1; lost <= 8; lost++) {
        const uncoded = Array.from({ length: 26 - lost }, (_, i) => ({ index: lost + i + 1, payload: data.subarray((lost + i) * 4, (lost + i + 1) * 4) }));
        const result = reassemble([...uncoded, ...coded], { nbFrag: 26, fragSize: 4, padding: 0, version: 1, sha256: expected });
        expect(result.ok).toBe(false);
      }
    });
  });

  describe('interoperability session (LoRaMac-node TRxx, M = 21, S = 48)', () => {
    const path = join(dir, 'interop_trxx_m21_s48');
    const meta = json<{ setup_req_hex: string; expected_file_size: number; expected_file_sha256: string; expected_file_crc32_zlib: string }>(
      'interop_trxx_m21_s48/meta.json',
    );
    const { setup, fragments } = readCommands(join(path, 'commands.hex'));
    const decoded = decodeFragSessionSetupReq(setup);
    const params = { nbFrag: decoded.setup.nbFrag, fragSize: decoded.setup.fragSize, padding: decoded.setup.padding, version: decoded.version };

    it('the setup decodes to NbFrag 21, FragSize 48, Padding 13 (v1)', () => {
      expect(toHex(setup)).toBe(meta.setup_req_hex);
      expect(params).toEqual({ nbFrag: 21, fragSize: 48, padding: 13, version: 1 });
    });

    it('reassembles to the expected sha256 and CRC32', () => {
      const result = reassemble(fragments, params);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.data.length).toBe(meta.expected_file_size);
      expect(createHash('sha256').update(result.data).digest('hex')).toBe(meta.expected_file_sha256);
      expect(crc32(result.data).toString(16).padStart(8, '0')).toBe(meta.expected_file_crc32_zlib.slice(0, 8));
      expect(result.needed).toBe(21);
    });

    it('our encoder reproduces the 5 coded fragments from the file', () => {
      const result = reassemble(fragments, params);
      if (!result.ok) throw new Error(result.message);
      const encoder = new FecEncoder(result.data, 48, 1);
      for (const f of fragments) expect(toHex(encoder.fragment(f.index))).toBe(toHex(f.payload));
    });

    it('every loss pattern of up to 3 uncoded fragments, fed in reverse: decodes exactly when the rank allows', () => {
      let decodedCount = 0;
      for (let a = 1; a <= 21; a++) {
        for (let b = a; b <= 21; b++) {
          for (const c of [b, 21]) {
            const kept = fragments.filter((f) => f.index !== a && f.index !== b && f.index !== c).reverse();
            const result = reassemble(kept, params);
            expect(result.ok).toBe(receivedRank(kept.map((f) => f.index), 21, 1) === 21);
            if (result.ok) {
              decodedCount++;
              expect(createHash('sha256').update(result.data).digest('hex')).toBe(meta.expected_file_sha256);
            } else {
              expect(result.reason).toBe('not-enough-fragments');
            }
          }
        }
      }
      // Every single loss is recoverable; v1 rows at M = 21 are sparse, so many triple losses are not.
      expect(decodedCount).toBeGreaterThan(100);
    });
  });

  describe('mbed packets (lorawan-fragmentation-in-flash, M = 40, S = 204)', () => {
    const meta = json<{ NbFrag: number; FragSize: number; Padding: number; expected_file_size: number; expected_crc64_jones_hex: string }>(
      'mbed_packets_h_m40_s204/meta.json',
    );
    const packets = readFileSync(join(dir, 'mbed_packets_h_m40_s204/packets.hex'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => decodeDataFragment(hex(l.trim())))
      .map((f) => ({ index: f.index, payload: f.payload }));
    const params = { nbFrag: meta.NbFrag, fragSize: meta.FragSize, padding: meta.Padding, version: 1 as const };

    it('reassembles to the expected CRC-64/Jones, with losses exactly when the rank allows', () => {
      const patterns = [[], [1, 2, 3, 4, 5], [2, 6, 10, 14, 18, 22, 26, 30, 34, 38], [1, 4, 9, 16, 25, 30, 33, 36, 39, 40]];
      const outcomes = patterns.map((lost) => {
        const kept = packets.filter((p) => !lost.includes(p.index));
        const result = reassemble(kept, params);
        expect(result.ok).toBe(receivedRank(kept.map((p) => p.index), 40, 1) === 40);
        if (!result.ok) return false;
        expect(result.data.length).toBe(meta.expected_file_size);
        expect(crc64Jones(result.data)).toBe(meta.expected_crc64_jones_hex);
        return true;
      });
      // The last pattern is a real v1 weakness at M = 40: column 25 sits in 19 of the 20 coded rows.
      expect(outcomes).toEqual([true, true, true, false]);
    });

    it('our encoder reproduces its 20 coded fragments', () => {
      const result = reassemble(packets, params);
      if (!result.ok) throw new Error(result.message);
      const encoder = new FecEncoder(result.data, meta.FragSize, 1);
      for (const p of packets) expect(toHex(encoder.fragment(p.index))).toBe(toHex(p.payload));
    });
  });

  describe('v2 data-block MIC (derived vectors)', () => {
    const vectors = json<{
      cases: {
        name: string;
        root_key_hex: string;
        data_block_int_key_hex: string;
        session_cnt: number;
        frag_index: number;
        descriptor_hex: string;
        data_len: number;
        data_hex: string | null;
        b0_hex: string;
        mic_hex: string;
      }[];
    }>('derived_v2_mic.json');

    const interopData = (): Uint8Array => {
      const { fragments } = readCommands(join(dir, 'interop_trxx_m21_s48/commands.hex'));
      const decoder = new FragmentDecoder({ nbFrag: 21, fragSize: 48, version: 1 });
      for (const f of fragments) decoder.push(f.index, f.payload);
      return new Uint8Array(decoder.blockRows().buffer).slice(0, 995);
    };

    for (const c of vectors.cases) {
      it(c.name, () => {
        const data = c.data_hex !== null ? hex(c.data_hex) : interopData();
        expect(data.length).toBe(c.data_len);
        const input = { sessionCnt: c.session_cnt, fragIndex: c.frag_index, descriptor: hex(c.descriptor_hex) };
        expect(toHex(deriveDataBlockIntKey(hex(c.root_key_hex)))).toBe(c.data_block_int_key_hex);
        expect(toHex(dataBlockB0({ ...input, dataLength: data.length }))).toBe(c.b0_hex);
        expect(toHex(dataBlockMic(hex(c.root_key_hex), { ...input, data }))).toBe(c.mic_hex);
      });
    }
  });
});

/** CRC-64/Jones as the mbed vector states it: reflected poly 0xad93d23594c935a9, init 0, no final xor. */
function crc64Jones(data: Uint8Array): string {
  const poly = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 bit-reversed, for the reflected algorithm
  let crc = 0n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc.toString(16).padStart(16, '0');
}
