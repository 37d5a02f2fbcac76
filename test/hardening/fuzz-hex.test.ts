/**
 * Fuzzing the Intel HEX reader (issue 7) against an independent naive reader (hex-reference.ts): byte-level
 * mutations, and record-level ones that keep the checksum right so they reach the address logic (extended
 * segment and linear addresses at their limits, wrapping records, overlaps, start records, end of file).
 * Whatever the reader accepts must be exactly the reference's image; whatever it refuses, the reference
 * refuses too, with an InvalidInputError (exit 3) in one line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../src/image/index.js';
import { parseIntelHex } from '../../src/image/intel-hex.js';
import { expectRejection, FuzzTally, fuzzRuns, REPO, timedSync } from './harness.js';
import { hexRecordLine, referenceHex } from './hex-reference.js';
import { applyMutations, mutationsArb, sameBytes } from './mutate.js';

const tally = new FuzzTally('fuzz-hex');
afterAll(() => tally.flush());

const fixtureHex = (version: string): string => readFileSync(path.join(REPO, 'fixtures/build', version, 'firmware.hex'), 'latin1');

/** Segment addressing with a record that wraps inside its segment, start records, several linear regions. */
const synthetic = [
  hexRecordLine(2, 0, [0x10, 0x00]),
  hexRecordLine(0, 0xfff0, Array.from({ length: 32 }, (_, i) => i)),
  hexRecordLine(3, 0, [0x00, 0x00, 0x12, 0x34]),
  hexRecordLine(4, 0, [0x00, 0x02]),
  hexRecordLine(0, 0x0100, [1, 2, 3, 4, 5, 6, 7, 8]),
  hexRecordLine(0, 0x0000, [9, 9, 9, 9]),
  hexRecordLine(0, 0xfffc, [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
  hexRecordLine(1, 0, []),
].join('\r\n');

const SEEDS = [fixtureHex('v1.0.0'), fixtureHex('v2.0.0').split('\n').slice(0, 60).join('\n') + '\n:00000001FF\n', synthetic];

type RecordMutation =
  | { kind: 'field'; line: number; field: 'count' | 'offset' | 'type' | 'data' | 'word'; value: number }
  | { kind: 'insert'; line: number; type: number; offset: number; data: number[] }
  | { kind: 'delete'; line: number }
  | { kind: 'duplicate'; line: number; to: number }
  | { kind: 'space'; line: number; text: string };

const BOUNDARY = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x0800, 0x1000, 0x2000, 0x7fff, 0x8000, 0xfff0, 0xfffe, 0xffff];

const recordMutation: fc.Arbitrary<RecordMutation> = fc.oneof(
  fc.record({
    kind: fc.constant('field' as const),
    line: fc.nat(),
    field: fc.constantFrom('count' as const, 'offset' as const, 'type' as const, 'data' as const, 'word' as const),
    value: fc.oneof(fc.constantFrom(...BOUNDARY), fc.nat({ max: 0xffff })),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    line: fc.nat(),
    type: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5), fc.nat({ max: 255 })),
    offset: fc.oneof(fc.constantFrom(...BOUNDARY), fc.nat({ max: 0xffff })),
    data: fc.oneof(
      fc.array(fc.constantFrom(0x00, 0x08, 0x10, 0x20, 0xff, 0xfe), { minLength: 2, maxLength: 4 }),
      fc.array(fc.nat({ max: 255 }), { maxLength: 40 }),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('space' as const), line: fc.nat(), text: fc.constantFrom('\r', ' ', '\t', ' :', '', '\n', ':', 'x') }),
);

function decodeLine(line: string): { count: number; offset: number; type: number; data: number[] } | undefined {
  const m = /^:((?:[0-9A-Fa-f]{2})+)\s*$/.exec(line);
  if (!m) return undefined;
  const bytes = [...Buffer.from(m[1]!, 'hex')];
  if (bytes.length < 5) return undefined;
  return { count: bytes[0]!, offset: (bytes[1]! << 8) | bytes[2]!, type: bytes[3]!, data: bytes.slice(4, -1) };
}

function applyRecordMutation(text: string, m: RecordMutation): string {
  const lines = text.split('\n');
  const at = m.line % lines.length;
  switch (m.kind) {
    case 'field': {
      const r = decodeLine(lines[at]!);
      if (!r) return text;
      if (m.field === 'count') lines[at] = hexRecordLine(r.type, r.offset, r.data, m.value & 0xff);
      else if (m.field === 'offset') lines[at] = hexRecordLine(r.type, m.value, r.data);
      else if (m.field === 'type') lines[at] = hexRecordLine(m.value & 0xff, r.offset, r.data);
      else if (m.field === 'word' && r.data.length >= 2) lines[at] = hexRecordLine(r.type, r.offset, [m.value >> 8, m.value & 0xff, ...r.data.slice(2)]);
      else if (r.data.length > 0) lines[at] = hexRecordLine(r.type, r.offset, r.data.map((b, i) => (i === m.value % r.data.length ? (b + 1) & 0xff : b)));
      break;
    }
    case 'insert':
      lines.splice(at, 0, hexRecordLine(m.type, m.offset, m.data));
      break;
    case 'delete':
      lines.splice(at, 1);
      break;
    case 'duplicate':
      lines.splice(m.to % lines.length, 0, lines[at]!);
      break;
    case 'space':
      lines[at] = m.text === ' :' ? ` ${lines[at]}` : lines[at] + m.text;
      break;
  }
  return lines.join('\n');
}

/** Runs the reader and the reference on one input and compares them. */
function checkHex(input: Uint8Array): void {
  const expected = referenceHex(input);
  let parsed: ReturnType<typeof parseIntelHex> | undefined;
  try {
    parsed = timedSync('parseIntelHex', () => parseIntelHex(input));
  } catch (err) {
    expectRejection(err, [3]);
  }
  if (parsed) {
    if (!expected.ok) throw new Error(`the reader accepted a file the reference refuses (${expected.reason})`);
    expect(parsed.loadAddress).toBe(expected.loadAddress);
    if (!sameBytes(parsed.data, expected.data)) throw new Error('the reader returned different image bytes than the reference');
  } else if (expected.ok) {
    throw new Error('the reader refused a file the reference accepts');
  }
  // The loader's detection must never turn a damaged HEX file into a crash either.
  try {
    timedSync('loadImage', () => loadImage(input, { name: 'fuzz.hex' }));
  } catch (err) {
    expectRejection(err, [3]);
  }
}

describe('Intel HEX reader under mutation', () => {
  it('the seeds parse and agree with the reference', () => {
    for (const seed of SEEDS) {
      expect(referenceHex(Buffer.from(seed, 'latin1')).ok).toBe(true);
      checkHex(Buffer.from(seed, 'latin1'));
    }
  });

  it('record-level mutations (checksums kept right) agree with the reference', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(recordMutation, { minLength: 1, maxLength: 4 }), (pick, mutations) => {
        const text = mutations.reduce(applyRecordMutation, SEEDS[pick % SEEDS.length]!);
        tally.add('hex');
        checkHex(Buffer.from(text, 'latin1'));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('byte-level mutations agree with the reference', () => {
    fc.assert(
      fc.property(fc.nat(), mutationsArb(), (pick, mutations) => {
        const seed = Buffer.from(SEEDS[pick % SEEDS.length]!, 'latin1');
        tally.add('hex');
        checkHex(applyMutations(new Uint8Array(seed), mutations));
      }),
      { numRuns: fuzzRuns(200) },
    );
  });
});
