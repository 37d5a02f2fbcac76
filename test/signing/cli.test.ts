/** `diff --key`, `sign`, `verify` and `apply --pub`, run as a user runs them (from the sources through tsx). */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDetached } from '../../src/crypto/ed25519.js';
import { encodePrivateKeyPem, encodePublicKeyPem, generatePrivateKey, keyIdHex } from '../../src/crypto/keys.js';
import { parsePatch } from '../../src/container/patch-file.js';
import { signPatch, signingMessageFor } from '../../src/container/sign.js';
import { fixturePatch, newFirmwarePath, oldFirmwarePath, smartdelta as run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'smartdelta-signing-'));
const file = (name: string): string => join(dir, name);
const bytesOf = (name: string): Buffer => readFileSync(file(name));
const smartdelta = (...args: string[]) => run(dir, args);
const key = generatePrivateKey();
const otherKey = generatePrivateKey();
let unsigned: Uint8Array;
let signed: Uint8Array;

beforeAll(async () => {
  unsigned = await fixturePatch();
  signed = signPatch(unsigned, key);
  writeFileSync(file('key.pem'), encodePrivateKeyPem(key.seed), { mode: 0o600 });
  writeFileSync(file('pub.pem'), encodePublicKeyPem(key.publicKey));
  writeFileSync(file('other.pub.pem'), encodePublicKeyPem(otherKey.publicKey));
  writeFileSync(file('unsigned.sdp'), unsigned);
  writeFileSync(file('signed.sdp'), signed);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('signing with a key', () => {
  it('diff --key writes a signed patch that verify accepts with every check', () => {
    const created = smartdelta('diff', oldFirmwarePath, newFirmwarePath, '--base', '0x08000000', '-o', 'diff.sdp', '--key', 'key.pem', '--security-counter', '9', '--json');
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    expect(JSON.parse(created.stdout).patch).toMatchObject({ signed: true, keyId: keyIdHex(key.publicKey) });
    const verified = smartdelta('verify', 'diff.sdp', '--pub', 'pub.pem', '--old', oldFirmwarePath, '--new', newFirmwarePath, '--min-counter', '9');
    expect(verified.stderr).toBe('');
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(/^ok {4}security-counter {2}security counter 9 is at least the minimum 9$/m);
    expect(verified.stdout).toMatch(/diff\.sdp: every check passed\n$/);
  });

  it('sign needs -o, or --force to replace the patch in place', () => {
    const refused = smartdelta('sign', 'unsigned.sdp', '-k', 'key.pem');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/give -o <signed patch>, or --force to replace unsigned\.sdp in place/);
    expect(bytesOf('unsigned.sdp').equals(Buffer.from(unsigned))).toBe(true);

    const out = smartdelta('sign', 'unsigned.sdp', '-k', 'key.pem', '-o', 'out.sdp');
    expect(out.status).toBe(0);
    expect(bytesOf('out.sdp').equals(Buffer.from(signed))).toBe(true);
    expect(smartdelta('sign', 'unsigned.sdp', '-k', 'key.pem', '-o', 'out.sdp').status).toBe(4);
    expect(smartdelta('sign', 'unsigned.sdp', '-k', 'key.pem', '-o', 'unsigned.sdp', '--force').status).toBe(2);

    copyFileSync(file('unsigned.sdp'), file('inplace.sdp'));
    const inPlace = smartdelta('sign', 'inplace.sdp', '-k', 'key.pem', '--force', '--json');
    expect(inPlace.status).toBe(0);
    expect(JSON.parse(inPlace.stdout)).toMatchObject({ output: 'inplace.sdp', size: signed.length, keyId: keyIdHex(key.publicKey), replacedKeyId: null });
    expect(bytesOf('inplace.sdp').equals(Buffer.from(signed))).toBe(true);
  });
});

describe('verify', () => {
  it('--json names every check; a failure still prints the document and exits 1', () => {
    const good = smartdelta('verify', 'signed.sdp', '--pub', 'pub.pem', '--json');
    expect(good.status).toBe(0);
    const report = JSON.parse(good.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(['format', 'signature-block', 'key-id', 'signature']);

    const bad = smartdelta('verify', 'signed.sdp', '--pub', 'other.pub.pem', '--json');
    expect(bad.status).toBe(1);
    const failed = JSON.parse(bad.stdout) as typeof report;
    expect(failed.ok).toBe(false);
    expect(failed.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['key-id', 'signature']);
    expect(bad.stderr).toMatch(/^error: verify failed: key-id check: /);
  });

  it('a wrong key: exit 1, "key id ... does not match"', () => {
    const wrong = smartdelta('verify', 'signed.sdp', '--pub', 'other.pub.pem');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/key-id check: key id [0-9a-f]{16} in the patch does not match the public key's key id [0-9a-f]{16}/);
    expect(wrong.stdout).toMatch(/^FAIL {2}key-id/m);
  });

  it('a truncated signature block: exit 1, naming the signature-block check', () => {
    writeFileSync(file('truncated.sdp'), signed.subarray(0, signed.length - 20));
    const truncated = smartdelta('verify', 'truncated.sdp', '--pub', 'pub.pem');
    expect(truncated.status).toBe(1);
    expect(truncated.stderr).toMatch(/signature-block check: truncated: 53 bytes follow the payload, a signature block is exactly 73/);
  });

  it('a security counter below --min-counter: exit 1, naming the security-counter check', () => {
    const below = smartdelta('verify', 'signed.sdp', '--pub', 'pub.pem', '--min-counter', '6');
    expect(below.status).toBe(1);
    expect(below.stderr).toMatch(/security-counter check: security counter 5 is below the minimum 6/);
  });

  it('a base image mismatch: exit 1, naming the base-image check', () => {
    const wrongBase = smartdelta('verify', 'signed.sdp', '--pub', 'pub.pem', '--old', newFirmwarePath);
    expect(wrongBase.status).toBe(1);
    expect(wrongBase.stderr).toMatch(/base-image check: the old image .* is not the patch's base/);
  });

  it('single-byte flips in the header, payload, trailer type, key id and signature each exit 1', () => {
    const { headerLength } = parsePatch(unsigned);
    // magic, flags, a hash byte, a payload byte, the trailer's type, key id and last signature byte
    const positions = [0, 5, 40, headerLength + 3, unsigned.length, unsigned.length + 3, signed.length - 1];
    for (const position of positions) {
      const tampered = signed.slice();
      tampered[position]! ^= 0xff;
      writeFileSync(file('flipped.sdp'), tampered);
      const result = smartdelta('verify', 'flipped.sdp', '--pub', 'pub.pem');
      expect(result.status, `byte ${position}`).toBe(1);
      expect(result.stderr, `byte ${position}`).toMatch(/^error: verify failed: (format|signature-block|key-id|signature) check: /);
    }
  });

  it('an invalid public key file is invalid input (exit 3), not a failed check', () => {
    writeFileSync(file('junk.pem'), 'not a key\n');
    expect(smartdelta('verify', 'signed.sdp', '--pub', 'junk.pem').status).toBe(3);
  });
});

describe('apply --pub', () => {
  it('refuses a tampered patch before reading the old image or writing anything', () => {
    const tampered = signed.slice();
    tampered[50]! ^= 0x01;
    writeFileSync(file('tampered.sdp'), tampered);
    // The old image does not exist: reaching it would be an I/O error (exit 4), not the signature failure.
    const refused = smartdelta('apply', 'missing-old.bin', 'tampered.sdp', '-o', 'new.bin', '--pub', 'pub.pem');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^error: refusing the patch: signature check: the signature does not verify/);
    expect(existsSync(file('new.bin'))).toBe(false);
  });

  it('refuses an unsigned patch when --pub is given, and applies a good one', () => {
    const unsignedRun = smartdelta('apply', oldFirmwarePath, 'unsigned.sdp', '-o', 'new.bin', '--pub', 'pub.pem');
    expect(unsignedRun.status).toBe(1);
    expect(unsignedRun.stderr).toMatch(/signature-block check: absent: the patch is not signed/);
    expect(existsSync(file('new.bin'))).toBe(false);

    const applied = smartdelta('apply', oldFirmwarePath, 'signed.sdp', '-o', 'new.bin', '--pub', 'pub.pem');
    expect(applied.status).toBe(0);
    expect(applied.stdout).toMatch(/SHA-256 verified, signature verified/);
    expect(bytesOf('new.bin').equals(readFileSync(newFirmwarePath))).toBe(true);
  });
});

describe('signing outside the tool', () => {
  it('--emit-message writes the 59 signed bytes to a file, or as hex to stdout with "-"', () => {
    const toFile = smartdelta('sign', 'unsigned.sdp', '--pub', 'pub.pem', '--emit-message', 'message.bin');
    expect(toFile.status).toBe(0);
    const expected = Buffer.from(signingMessageFor(unsigned, key.publicKey));
    expect(bytesOf('message.bin').equals(expected)).toBe(true);
    const toStdout = smartdelta('sign', 'signed.sdp', '--pub', 'pub.pem', '--emit-message', '-');
    expect(toStdout.status).toBe(0);
    expect(toStdout.stdout).toBe(`${expected.toString('hex')}\n`);
  });

  it('--signature attaches a valid signature (file or hex) and refuses one that does not verify', () => {
    const signature = signDetached(signingMessageFor(unsigned, key.publicKey), key.seed);
    const hex = Buffer.from(signature).toString('hex');
    const attached = smartdelta('sign', 'unsigned.sdp', '--pub', 'pub.pem', '--signature', hex, '-o', 'attached.sdp');
    expect(attached.status).toBe(0);
    expect(bytesOf('attached.sdp').equals(Buffer.from(signed))).toBe(true);

    const wrong = signDetached(signingMessageFor(unsigned, key.publicKey), otherKey.seed);
    writeFileSync(file('wrong.sig'), wrong);
    const refused = smartdelta('sign', 'unsigned.sdp', '--pub', 'pub.pem', '--signature', 'wrong.sig', '-o', 'refused.sdp');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/the signature does not verify .*nothing attached/);
    expect(existsSync(file('refused.sdp'))).toBe(false);
  });

  it('usage errors: --pub without a mode, -k with --pub, --emit-message with -o', () => {
    expect(smartdelta('sign', 'unsigned.sdp', '--pub', 'pub.pem', '-o', 'x.sdp').status).toBe(2);
    expect(smartdelta('sign', 'unsigned.sdp', '-k', 'key.pem', '--pub', 'pub.pem', '-o', 'x.sdp').status).toBe(2);
    expect(smartdelta('sign', 'unsigned.sdp', '--pub', 'pub.pem', '--emit-message', 'm.bin', '-o', 'x.sdp').status).toBe(2);
  });
});
