/**
 * Fuzzing the patch container and the applier (issue 7, format version 2): every mutation of a valid patch
 * (interleaved plain, sectioned plain, sectioned relocated with checkpoints and RAM and constant maps,
 * table-first relocated; raw and sparse differences; codec none, LZMA and codec 2; versions, counter, signed)
 * is either refused with exit code 3 (1 for a base image the mutated header no longer matches) and a one-line
 * message, or applies to exactly the right image. A signed patch with any changed byte never verifies.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePatch } from '../../src/container/patch-file.js';
import { signPatch } from '../../src/container/sign.js';
import type { Ed25519PrivateKey } from '../../src/crypto/keys.js';
import { CheckFailedError } from '../../src/errors.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { requireValidSignature, verifyPatch } from '../../src/pipeline/verify.js';
import { expectRejection, FuzzTally, fuzzRuns, timedAsync, timedSync } from './harness.js';
import { applyMutations, mutationsArb, sameBytes } from './mutate.js';
import { buildPatchSeeds, type PatchSeed } from './patch-seeds.js';
import { controlTableOf, entriesOf, patchWith, rawPatchOf, rawTablesOf, recordsOf, valueMapOf, writeTables } from './malformed-inputs.js';

let seeds: PatchSeed[] = [];
let key: Ed25519PrivateKey;
const tally = new FuzzTally('fuzz-patch');

beforeAll(async () => {
  ({ seeds, key } = await buildPatchSeeds());
});
afterAll(() => tally.flush());

/** Applies a patch; returns the image or undefined after an acceptable rejection. */
async function applyOrReject(old: Uint8Array, patch: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    return await applyPatch(old, patch);
  } catch (err) {
    // A mutated size or hash makes the base image wrong: that is a failed check (exit 1), said in one line.
    if (err instanceof CheckFailedError && /^wrong base image/.test(err.message)) return undefined;
    expectRejection(err, [3]);
    return undefined;
  }
}

function syncOrReject<T>(run: () => T, codes: readonly number[] = [3]): T | undefined {
  try {
    return run();
  } catch (err) {
    expectRejection(err, codes);
    return undefined;
  }
}

async function checkMutant(seed: PatchSeed, mutant: Uint8Array): Promise<void> {
  timedSync('parsePatch', () => syncOrReject(() => parsePatch(mutant)));
  timedSync('patchInfo', () => syncOrReject(() => patchInfo(mutant)));
  const result = await timedAsync('applyPatch', () => applyOrReject(seed.old, mutant));
  if (result !== undefined && !sameBytes(result, seed.new)) throw new Error(`${seed.name}: a mutated patch applied to a WRONG image`);
  if (seed.signedBy) {
    const publicKey = seed.signedBy.publicKey;
    const report = await timedAsync('verifyPatch', () => verifyPatch(mutant, { publicKey, old: seed.old, new: seed.new, minCounter: 0 }));
    if (report.ok) throw new Error(`${seed.name}: a changed signed patch passed verify`);
    expect(() => requireValidSignature(mutant, publicKey)).toThrow(CheckFailedError);
  }
  const resigned = timedSync('signPatch', () => syncOrReject(() => signPatch(mutant, key)));
  if (resigned !== undefined) {
    const report = await verifyPatch(resigned, { publicKey: key.publicKey });
    if (!report.ok) throw new Error(`${seed.name}: a patch signed after mutation does not verify: ${JSON.stringify(report.checks)}`);
  }
}

describe('patch container and applier under mutation', () => {
  it('the seeds cover every layout with every codec, both value maps, checkpoints, signed and unsigned', () => {
    const kinds = new Set<string>();
    for (const seed of seeds) {
      const { header } = parsePatch(seed.bytes);
      kinds.add(`${header.layout}/${header.transform}/${header.codec}`);
      kinds.add(`signed ${seed.signedBy !== undefined}`);
      const { tables } = rawTablesOf(seed.bytes);
      if (tables.control?.checkpoints.length) kinds.add('control checkpoints');
      if ((tables.ram?.count as number) > 0) kinds.add('RAM map');
      if (tables.constants?.checkpoints.length) kinds.add('constant map checkpoints');
    }
    // Layout 0 interleaved, 1 sectioned, 2 table-first; transform 0 plain, 1 Cortex-M; codec 0 none, 1 LZMA, 2 small LZ.
    for (const layout of ['0/0', '1/0', '1/1', '2/1']) for (const codec of [0, 1, 2]) expect(kinds).toContain(`${layout}/${codec}`);
    for (const kind of ['signed true', 'signed false', 'control checkpoints', 'RAM map', 'constant map checkpoints']) expect(kinds).toContain(kind);
  });

  it('every seed applies and verifies unmutated', async () => {
    for (const seed of seeds) {
      expect(sameBytes(await applyPatch(seed.old, seed.bytes), seed.new), seed.name).toBe(true);
      if (seed.signedBy) expect((await verifyPatch(seed.bytes, { publicKey: seed.signedBy.publicKey, old: seed.old, new: seed.new })).ok).toBe(true);
    }
  });

  it('mutations are refused in one line or give exactly the right image; signed mutants never verify', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutationsArb(256), async (pick, mutations) => {
        const seed = seeds[pick % seeds.length]!;
        const mutant = applyMutations(seed.bytes, mutations, seed.fields);
        tally.add('patch');
        if (sameBytes(mutant, seed.bytes)) return;
        await checkMutant(seed, mutant);
      }),
      { numRuns: fuzzRuns(400) },
    );
  });

  it('payload and tables edits with a header that follows them: bytes appended, the tail cut or replaced', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom('payload', 'tables'), fc.constantFrom('append', 'cut', 'replace'), fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 40 }), async (pick, part, edit, bytes) => {
        const seed = seeds[pick % seeds.length]!;
        const { tables, payload } = rawPatchOf(seed.bytes);
        const original = part === 'tables' ? tables : payload;
        const cut = Math.min(bytes.length, original.length);
        const edited =
          edit === 'append' ? Uint8Array.from([...original, ...bytes])
          : edit === 'cut' ? original.subarray(0, original.length - cut)
          : Uint8Array.from([...original.subarray(0, original.length - cut), ...bytes.slice(0, cut)]);
        // The length in the header always follows (for tables, only where the header has a tables length).
        const mutant = patchWith(seed.bytes, {}, { [part]: edited });
        tally.add('patch');
        if (sameBytes(mutant, seed.bytes)) return;
        const { signedBy: _signer, ...unsigned } = seed; // the rebuilt patch has no trailer
        await checkMutant(unsigned, mutant);
      }),
      { numRuns: fuzzRuns(150) },
    );
  });

  it('one control entry or value map record changed, the table re-encoded with checkpoints that follow it', async () => {
    const withTables = seeds.filter((s) => { const { tables } = rawTablesOf(s.bytes); return tables.control || tables.ram || tables.constants; });
    expect(withTables.length).toBeGreaterThan(8);
    const value = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(-(2 ** 20), 2 ** 20, 0x7fff_ffff, -0x7fff_ffff, 65536));
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom('control', 'ram', 'constants'), fc.nat(), fc.nat({ max: 3 }), value, async (pick, part, index, which, delta) => {
        const seed = withTables[pick % withTables.length]!;
        const { tables } = rawTablesOf(seed.bytes);
        const control = tables.control;
        const map = part === 'ram' ? tables.ram : tables.constants;
        let mutant: Uint8Array;
        try {
          if (part === 'control' && control) {
            const entries = entriesOf(control);
            const e = entries[index % entries.length]!;
            if (which === 0) e.seek += delta;
            else if (which === 1) e.copy = Math.max(0, e.copy + delta);
            else if (which === 2) e.extra = Math.max(0, e.extra + delta);
            else e.segment = !e.segment;
            tables.control = controlTableOf(entries, control);
          } else if (part !== 'control' && map && (map.count as number) > 0) {
            const records = recordsOf(map);
            const r = records[index % records.length]!;
            if (which % 2 === 0) r.delta = Math.max(0, r.delta + delta);
            else r.shift += delta;
            tables[part] = valueMapOf(records, map);
          } else return;
          mutant = patchWith(seed.bytes, {}, { tables: writeTables(tables) });
        } catch (err) {
          if (err instanceof RangeError) return; // a value exp-Golomb cannot code
          throw err;
        }
        tally.add('patch');
        if (sameBytes(mutant, seed.bytes)) return;
        const { signedBy: _signer, ...unsigned } = seed;
        await checkMutant(unsigned, mutant);
      }),
      { numRuns: fuzzRuns(150) },
    );
  });

  it('boundary integers in every header, tables and program field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0x3fff, 0x4000, 0x3ffffff, 0x4000000, 0x4000001, 0x7fffffff, 0xffffffff, 2 ** 32, 2 ** 35 - 1), fc.constantFrom(0, 0, 1), async (pick, fieldPick, value, overlong) => {
        const seed = seeds[pick % seeds.length]!;
        const mutant = applyMutations(seed.bytes, [{ kind: 'field', field: fieldPick % seed.fields.length, value, overlong }], seed.fields);
        tally.add('patch');
        if (sameBytes(mutant, seed.bytes)) return;
        await checkMutant(seed, mutant);
      }),
      { numRuns: fuzzRuns(200) },
    );
  });
});
