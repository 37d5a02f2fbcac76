/**
 * Fuzzing the patch container and the applier (issue 7): every mutation of a valid patch (plain and Cortex-M,
 * both layouts, raw and sparse differences, codec none and LZMA, versions, counter, signed) is either
 * refused with exit code 3 (1 for a base image the mutated header no longer matches) and a one-line message,
 * or applies to exactly the right image. A signed patch with any changed byte never verifies.
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
import { patchWith, rawHeaderOf } from './malformed-inputs.js';

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

  it('payload edits with a header that follows them: bytes appended, the tail cut or replaced', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom('append', 'cut', 'replace'), fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 40 }), async (pick, edit, bytes) => {
        const seed = seeds[pick % seeds.length]!;
        const { payload } = rawHeaderOf(seed.bytes);
        const cut = Math.min(bytes.length, payload.length);
        const edited =
          edit === 'append' ? Uint8Array.from([...payload, ...bytes])
          : edit === 'cut' ? payload.subarray(0, payload.length - cut)
          : Uint8Array.from([...payload.subarray(0, payload.length - cut), ...bytes.slice(0, cut)]);
        // The payload length always follows; the program length too when the payload is the program.
        const codecNone = parsePatch(seed.bytes).header.codec === 0;
        const mutant = patchWith(seed.bytes, { payloadLength: edited.length, ...(codecNone && pick % 2 === 0 ? { programLength: edited.length } : {}) }, edited);
        tally.add('patch');
        if (sameBytes(mutant, seed.bytes)) return;
        const { signedBy: _signer, ...unsigned } = seed; // the rebuilt patch has no trailer
        await checkMutant(unsigned, mutant);
      }),
      { numRuns: fuzzRuns(150) },
    );
  });

  it('boundary integers in every header, parameter and program field', async () => {
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
