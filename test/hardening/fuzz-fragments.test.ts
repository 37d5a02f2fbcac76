/**
 * Fuzzing the fragment file readers (issue 7): NDJSON, binary (SDLF) and hex-line files of TS004 v1 and v2
 * sessions, FEC and carousel. Mutations hit the bytes, the binary header's integers, and the JSON values
 * (numbers at their limits, hex strings cut or changed). A mutant is refused with an InvalidInputError
 * (exit 3) in one line, or it reads; then reassembling it as `smartdelta reassemble` does either fails a
 * check or gives exactly the original block whenever the file carries a SHA-256 (or the v2 MIC is checked).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fragmentFile, parseFragmentFile, reassemble, serializeSession, type ParsedFragmentFile, type ReassemblyParams } from '../../src/lorawan/index.js';
import { toHex } from '../../src/lorawan/hex.js';
import { expectRejection, FuzzTally, fuzzRuns, timedSync } from './harness.js';
import { applyMutations, leFields, mutationsArb, sameBytes, type IntField } from './mutate.js';

const tally = new FuzzTally('fuzz-fragments');
afterAll(() => tally.flush());

const GEN_APP_KEY = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
const BLOCK = Uint8Array.from({ length: 700 }, (_, i) => (i * 131 + (i >> 3)) & 0xff);

interface FragmentSeed {
  name: string;
  bytes: Uint8Array;
  fields: IntField[];
}

function sessionSeeds(): FragmentSeed[] {
  const v1 = fragmentFile(BLOCK, { fragSize: 48, redundancy: 6 });
  const v2 = fragmentFile(BLOCK, { fragSize: 50, version: 2, redundancy: 5, genAppKey: GEN_APP_KEY, sessionCnt: 3 });
  const carousel = fragmentFile(BLOCK.subarray(0, 200), { fragSize: 40, mode: 'carousel', rounds: 2 });
  const seeds: FragmentSeed[] = [];
  for (const [name, session] of [['v1', v1], ['v2', v2], ['carousel', carousel]] as const) {
    seeds.push({ name: `${name} ndjson`, bytes: serializeSession(session, 'ndjson'), fields: [] });
    const binary = serializeSession(session, 'binary');
    seeds.push({ name: `${name} binary`, bytes: binary, fields: binaryFields(binary) });
  }
  const lines = [v1.setup, ...v1.fragments.map((f) => f.command)].map((c) => toHex(c));
  seeds.push({ name: 'v1 hex lines', bytes: new TextEncoder().encode(`# session\n${lines.join('\n')}\n`), fields: [] });
  return seeds;
}

/** The flags byte, the record count, and each record's FPort and length. */
function binaryFields(bytes: Uint8Array): IntField[] {
  const specs: Array<{ offset: number; width: 1 | 2 | 4 }> = [{ offset: 4, width: 1 }, { offset: 5, width: 1 }, { offset: 6, width: 4 }];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 42; at + 3 <= bytes.length; at += 3 + view.getUint16(at + 1, true)) {
    specs.push({ offset: at, width: 1 }, { offset: at + 1, width: 2 });
    // The setup's NbFrag, FragSize and Padding, and each fragment's IndexAndN.
    if (bytes[at + 3] === 0x02) specs.push({ offset: at + 5, width: 2 }, { offset: at + 7, width: 1 }, { offset: at + 9, width: 1 });
    else specs.push({ offset: at + 4, width: 2 });
  }
  return leFields(bytes, specs);
}

const SEEDS = sessionSeeds();

/** JSON-level mutation of one NDJSON line: a number set to a limit, or a hex string changed. */
type JsonMutation = { line: number; key: string; value: unknown };

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  line: fc.nat(),
  key: fc.constantFrom('fport', 'index', 'nbFrag', 'hex', 'sha256', 'kind', 'ts004', 'coded'),
  value: fc.oneof(
    fc.constantFrom(0, 1, -1, 1.5, 200, 201, 255, 256, 16383, 16384, 65535, 2 ** 32, 1e308, Number.MAX_SAFE_INTEGER, null, true, 'x', '', '0', [], {}),
    fc.constantFrom('02', '08', '0800', '080000', '0200ffff00ff', '02000100010000000000', '0801c0'),
  ),
});

function applyJsonMutation(text: string, m: JsonMutation, hexEdit: number): string {
  const lines = text.split('\n');
  const at = m.line % lines.length;
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(lines[at]!) as Record<string, unknown>;
  } catch {
    return text;
  }
  if (m.key === 'hex' && typeof obj.hex === 'string' && typeof m.value === 'number' && Number.isInteger(m.value)) {
    // Change one hex digit, or cut the string: the bytes move, the other fields stay.
    const hex = obj.hex;
    const i = Math.abs(hexEdit) % Math.max(1, hex.length);
    obj.hex = m.value % 2 === 0 ? hex.slice(0, i) + ((parseInt(hex[i] ?? '0', 16) + 1) % 16).toString(16) + hex.slice(i + 1) : hex.slice(0, i);
  } else {
    obj[m.key] = m.value;
  }
  lines[at] = JSON.stringify(obj);
  return lines.join('\n');
}

/** What `smartdelta reassemble` does with a parsed file, checked against the original block. */
function checkFragmentFile(input: Uint8Array): void {
  let parsed: ParsedFragmentFile | undefined;
  try {
    parsed = timedSync('parseFragmentFile', () => parseFragmentFile(input, 'fuzz.frag'));
  } catch (err) {
    expectRejection(err, [3]);
    return;
  }
  const { setup } = parsed;
  const params: ReassemblyParams = { nbFrag: setup.nbFrag, fragSize: setup.fragSize, padding: setup.padding, version: parsed.version };
  if (parsed.sha256) params.sha256 = parsed.sha256;
  if (parsed.version === 2) {
    params.micCheck = { rootKey: GEN_APP_KEY, sessionCnt: setup.sessionCnt!, fragIndex: setup.fragIndex, descriptor: setup.descriptor, expected: setup.mic! };
  }
  let result: ReturnType<typeof reassemble>;
  try {
    result = timedSync('reassemble', () => reassemble(parsed.fragments, params));
  } catch (err) {
    expectRejection(err, [3]);
    return;
  }
  if (!result.ok) {
    expect(result.message).not.toMatch(/[\r\n]/);
    return;
  }
  const protectedByHash = parsed.sha256 !== undefined || parsed.version === 2;
  if (protectedByHash && !sameBytes(result.data, BLOCK.subarray(0, result.data.length)) ) throw new Error('a mutated fragment file reassembled to a WRONG block');
  if (protectedByHash && result.data.length !== 700 && result.data.length !== 200) throw new Error(`a mutated fragment file reassembled to ${result.data.length} bytes`);
}

describe('fragment files under mutation', () => {
  it('the seeds reassemble to the block', () => {
    for (const seed of SEEDS) {
      const parsed = parseFragmentFile(seed.bytes);
      const { setup } = parsed;
      const result = reassemble(parsed.fragments, { nbFrag: setup.nbFrag, fragSize: setup.fragSize, padding: setup.padding, version: parsed.version });
      expect(result.ok, seed.name).toBe(true);
      checkFragmentFile(seed.bytes);
    }
  });

  it('byte-level mutations and boundary integers in binary files', () => {
    fc.assert(
      fc.property(fc.nat(), mutationsArb(64), (pick, mutations) => {
        const seed = SEEDS[pick % SEEDS.length]!;
        tally.add('fragments');
        checkFragmentFile(applyMutations(seed.bytes, mutations, seed.fields));
      }),
      { numRuns: fuzzRuns(250) },
    );
  });

  it('JSON value mutations of NDJSON files', () => {
    const ndjson = SEEDS.filter((s) => s.name.endsWith('ndjson'));
    fc.assert(
      fc.property(fc.nat(), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), fc.integer(), (pick, mutations, hexEdit) => {
        const text = mutations.reduce((t, m) => applyJsonMutation(t, m, hexEdit), new TextDecoder().decode(ndjson[pick % ndjson.length]!.bytes));
        tally.add('fragments');
        checkFragmentFile(new TextEncoder().encode(text));
      }),
      { numRuns: fuzzRuns(200) },
    );
  });
});
