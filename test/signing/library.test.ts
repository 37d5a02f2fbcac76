/** Signing and verifying patches through the library (src/container/sign.ts, src/pipeline/verify.ts). */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckFailedError, InvalidInputError } from '../../src/errors.js';
import { signDetached, verifyDetached } from '../../src/crypto/ed25519.js';
import { generatePrivateKey, keyId } from '../../src/crypto/keys.js';
import { parsePatch, SIGNATURE_TRAILER_LENGTH } from '../../src/container/patch-file.js';
import { attachSignature, signPatch, signingMessageFor } from '../../src/container/sign.js';
import { requireValidSignature, verifyFailureMessage, verifyPatch, verifySignature, type VerifyReport } from '../../src/pipeline/verify.js';
import { fixturePatch, loadFirmware } from './helpers.js';

const key = generatePrivateKey();
const otherKey = generatePrivateKey();
const { oldImage, newImage } = loadFirmware();
let unsigned: Uint8Array;
let signed: Uint8Array;

beforeAll(async () => {
  unsigned = await fixturePatch();
  signed = signPatch(unsigned, key);
});

const byName = (report: VerifyReport, name: string) => report.checks.find((c) => c.name === name);
const failedNames = (report: VerifyReport) => report.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name);

describe('signPatch', () => {
  it('appends a 73-byte trailer and changes no other byte', () => {
    expect(signed.length).toBe(unsigned.length + SIGNATURE_TRAILER_LENGTH);
    expect(Buffer.from(signed.subarray(0, unsigned.length)).equals(Buffer.from(unsigned))).toBe(true);
    const { signature } = parsePatch(signed);
    expect(signature?.type).toBe(1);
    expect(Buffer.from(signature!.keyId).equals(Buffer.from(keyId(key.publicKey)))).toBe(true);
  });

  it('signs the documented 59-byte message: domain || key id || SHA-256(header || tables || payload)', () => {
    const message = signingMessageFor(unsigned, key.publicKey);
    expect(message.length).toBe(59);
    expect(Buffer.from(message.subarray(0, 19)).toString('latin1')).toBe('smartdelta/patch/v2');
    expect(Buffer.from(message.subarray(19, 27)).equals(Buffer.from(keyId(key.publicKey)))).toBe(true);
    expect(Buffer.from(message.subarray(27)).equals(createHash('sha256').update(unsigned).digest())).toBe(true);
    // The same message whether the patch is signed yet or not.
    expect(Buffer.from(signingMessageFor(signed, key.publicKey)).equals(Buffer.from(message))).toBe(true);
    expect(verifyDetached(signed.subarray(signed.length - 64), message, key.publicKey)).toBe(true);
  });

  it('covers the tables section: a relocated patch with one tables byte changed no longer verifies', async () => {
    const { createPatch } = await import('../../src/pipeline/create-patch.js');
    const relocated = signPatch(
      (await createPatch({ data: oldImage, loadAddress: 0x08000000 }, { data: newImage, loadAddress: 0x08000000 }, { arch: 'cortex-m' })).bytes,
      key,
    );
    const parsed = parsePatch(relocated);
    expect(parsed.tables.length).toBeGreaterThan(0);
    const tablesAt = parsed.headerLength;
    const message = signingMessageFor(relocated, key.publicKey);
    // The digest is over header, tables and payload: the whole body, the trailer excluded.
    expect(Buffer.from(message.subarray(27)).equals(createHash('sha256').update(parsed.body).digest())).toBe(true);
    expect(parsed.body.length).toBe(tablesAt + parsed.tables.length + parsed.payload.length);
    expect(verifySignature(relocated, key.publicKey).ok).toBe(true);
    for (let at = tablesAt; at < tablesAt + parsed.tables.length; at++) {
      const changed = relocated.slice();
      changed[at]! ^= 0x01;
      const report = verifySignature(changed, key.publicKey);
      expect(failedNames(report), `tables byte ${at}`).toEqual(['signature']);
    }
  });

  it('replaces an existing signature, and is deterministic', () => {
    const resigned = signPatch(signed, otherKey);
    expect(resigned.length).toBe(signed.length);
    expect(verifySignature(resigned, otherKey.publicKey).ok).toBe(true);
    expect(verifySignature(resigned, key.publicKey).ok).toBe(false);
    expect(Buffer.from(signPatch(resigned, key)).equals(Buffer.from(signed))).toBe(true);
  });

  it('refuses a patch that does not parse (invalid input)', () => {
    expect(() => signPatch(signed.subarray(0, signed.length - 10), key)).toThrow(InvalidInputError);
    expect(() => signPatch(new Uint8Array(8), key)).toThrow(InvalidInputError);
  });
});

describe('attachSignature (external signer)', () => {
  it('attaches a signature made elsewhere over the emitted message, giving the same patch as signPatch', () => {
    const external = signDetached(signingMessageFor(unsigned, key.publicKey), key.seed);
    const attached = attachSignature(unsigned, key.publicKey, external);
    expect(Buffer.from(attached).equals(Buffer.from(signed))).toBe(true);
  });

  it('verifies before attaching: a wrong key, another message, or a changed signature is refused', () => {
    const message = signingMessageFor(unsigned, key.publicKey);
    const byOtherKey = signDetached(message, otherKey.seed);
    expect(() => attachSignature(unsigned, key.publicKey, byOtherKey)).toThrow(CheckFailedError);
    const overOther = signDetached(new Uint8Array(59), key.seed);
    expect(() => attachSignature(unsigned, key.publicKey, overOther)).toThrow(/does not verify/);
    const changed = signDetached(message, key.seed);
    changed[63]! ^= 0x01;
    expect(() => attachSignature(unsigned, key.publicKey, changed)).toThrow(CheckFailedError);
    expect(() => attachSignature(unsigned, key.publicKey, new Uint8Array(63))).toThrow(/64 bytes, got 63/);
  });
});

describe('verifyPatch', () => {
  it('passes every check for the signed patch with its images and counter', async () => {
    const report = await verifyPatch(signed, { publicKey: key.publicKey, old: oldImage, new: newImage, minCounter: 5 });
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['format', true],
      ['signature-block', true],
      ['key-id', true],
      ['signature', true],
      ['base-image', true],
      ['result', true],
      ['security-counter', true],
    ]);
    expect(report.ok).toBe(true);
  });

  it('the format check names format version 2 and the header, tables and payload sizes', async () => {
    const { createPatch } = await import('../../src/pipeline/create-patch.js');
    const relocated = (await createPatch({ data: oldImage, loadAddress: 0x08000000 }, { data: newImage, loadAddress: 0x08000000 }, { arch: 'cortex-m' })).bytes;
    for (const patch of [signed, signPatch(relocated, key)]) {
      const report = await verifyPatch(patch, { publicKey: key.publicKey });
      const { headerLength, tables, payload } = parsePatch(patch);
      const detail = byName(report, 'format')!.detail;
      expect(detail).not.toMatch(/\bv1\b/);
      expect(detail).toMatch(/\bv2\b|version 2/);
      expect(detail).toMatch(new RegExp(`\\b${headerLength}-byte header\\b`));
      if (tables.length > 0) expect(detail).toMatch(new RegExp(`\\b${tables.length}-byte tables\\b`));
      expect(detail).toMatch(new RegExp(`\\b${payload.length}-byte payload\\b`));
    }
  });

  it('runs only the checks that were asked for', async () => {
    const report = await verifyPatch(signed, { publicKey: key.publicKey });
    expect(report.checks.map((c) => c.name)).toEqual(['format', 'signature-block', 'key-id', 'signature']);
    expect(report.ok).toBe(true);
  });

  it('a wrong key fails key-id and signature, and the message names the key-id check', async () => {
    const report = await verifyPatch(signed, { publicKey: otherKey.publicKey });
    expect(failedNames(report)).toEqual(['key-id', 'signature']);
    expect(verifyFailureMessage(report)).toMatch(/^verify failed: key-id check: key id [0-9a-f]{16} in the patch does not match .*; also failed: signature$/);
  });

  it('an unsigned patch fails signature-block', async () => {
    const report = await verifyPatch(unsigned, { publicKey: key.publicKey });
    expect(failedNames(report)).toEqual(['signature-block']);
    expect(byName(report, 'signature-block')!.detail).toMatch(/not signed/);
    expect(byName(report, 'signature')!.skipped).toBe(true);
  });

  it('a truncated or extended signature block fails signature-block', async () => {
    for (const cut of [1, 40, 64, 72]) {
      const report = await verifyPatch(signed.subarray(0, signed.length - cut), { publicKey: key.publicKey });
      expect(failedNames(report)).toEqual(['signature-block']);
      expect(byName(report, 'signature-block')!.detail).toMatch(/^truncated: /);
    }
    const extended = new Uint8Array([...signed, 0]);
    expect(byName(await verifyPatch(extended, { publicKey: key.publicKey }), 'signature-block')!.detail).toMatch(/^extended: /);
  });

  it('checks the security counter against the minimum; a patch without counter fails it', async () => {
    expect((await verifyPatch(signed, { publicKey: key.publicKey, minCounter: 5 })).ok).toBe(true);
    const below = await verifyPatch(signed, { publicKey: key.publicKey, minCounter: 6 });
    expect(failedNames(below)).toEqual(['security-counter']);
    expect(verifyFailureMessage(below)).toMatch(/security-counter check: security counter 5 is below the minimum 6/);

    const { oldImage: o, newImage: n } = loadFirmware();
    const { createPatch } = await import('../../src/pipeline/create-patch.js');
    const noCounter = signPatch((await createPatch({ data: o, loadAddress: 0x08000000 }, { data: n, loadAddress: 0x08000000 })).bytes, key);
    const missing = await verifyPatch(noCounter, { publicKey: key.publicKey, minCounter: 0 });
    expect(failedNames(missing)).toEqual(['security-counter']);
    expect(byName(missing, 'security-counter')!.detail).toMatch(/no security counter/);
  });

  it('checks the base image and the result; a wrong base skips applying', async () => {
    const wrongOld = oldImage.slice();
    wrongOld[100]! ^= 1;
    const base = await verifyPatch(signed, { publicKey: key.publicKey, old: wrongOld, new: newImage });
    expect(failedNames(base)).toEqual(['base-image']);
    expect(byName(base, 'result')!.skipped).toBe(true);

    const wrongNew = newImage.slice();
    wrongNew[200]! ^= 1;
    const applied = await verifyPatch(signed, { publicKey: key.publicKey, old: oldImage, new: wrongNew });
    expect(failedNames(applied)).toEqual(['result']);
    expect(byName(applied, 'result')!.detail).toMatch(/not the new image/);

    const headerOnly = await verifyPatch(signed, { publicKey: key.publicKey, new: wrongNew });
    expect(failedNames(headerOnly)).toEqual(['result']);
    expect((await verifyPatch(signed, { publicKey: key.publicKey, new: newImage })).ok).toBe(true);
    expect((await verifyPatch(signed, { publicKey: key.publicKey, old: oldImage })).ok).toBe(true);
  });

  it('does not apply a patch whose signature fails', async () => {
    const report = await verifyPatch(signed, { publicKey: otherKey.publicKey, old: oldImage, new: newImage });
    expect(byName(report, 'base-image')!.ok).toBe(true);
    expect(byName(report, 'result')!.skipped).toBe(true);
  });

  it('reports a patch that does not parse as a failed format check, not an exception', async () => {
    for (const bytes of [new Uint8Array(0), new Uint8Array(300), oldImage]) {
      const report = await verifyPatch(bytes, { publicKey: key.publicKey, old: oldImage, new: newImage, minCounter: 1 });
      expect(failedNames(report)).toEqual(['format']);
      expect(report.checks.filter((c) => c.skipped).map((c) => c.name)).toEqual(['signature-block', 'key-id', 'signature', 'base-image', 'result', 'security-counter']);
    }
  });
});

describe('requireValidSignature (apply --pub)', () => {
  it('passes a good signature and throws CheckFailedError naming the failed check otherwise', () => {
    expect(() => requireValidSignature(signed, key.publicKey)).not.toThrow();
    expect(() => requireValidSignature(unsigned, key.publicKey)).toThrow(/refusing the patch: signature-block check: absent/);
    expect(() => requireValidSignature(signed, otherKey.publicKey)).toThrow(CheckFailedError);
  });
});
