/**
 * Signed patches and OpenSSL (docs/SIGNING.md, "Signing with an external signer"). Runs only when an `openssl`
 * with Ed25519 support is on PATH: OpenSSL keys sign through the CLI, OpenSSL verifies our signatures over the
 * emitted message, and an OpenSSL signature over that message attaches and verifies.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePrivateKeyPem, encodePublicKeyPem, generatePrivateKey, parsePrivateKey } from '../../src/crypto/keys.js';
import { signPatch } from '../../src/container/sign.js';
import { fixturePatch, smartdelta as run } from './helpers.js';

function opensslHasEd25519(): boolean {
  const probe = spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519'], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.includes('PRIVATE KEY');
}

const available = opensslHasEd25519();
const dir = available ? mkdtempSync(join(tmpdir(), 'smartdelta-signing-openssl-')) : '';
const file = (name: string): string => join(dir, name);
const openssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const smartdelta = (...args: string[]) => run(dir, args);
const opensslVerify = (pub: string, message: string, signature: string) =>
  spawnSync('openssl', ['pkeyutl', '-verify', '-rawin', '-pubin', '-inkey', pub, '-in', message, '-sigfile', signature], { cwd: dir, encoding: 'utf8' });

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('signed patches with OpenSSL', () => {
  beforeAll(async () => {
    writeFileSync(file('unsigned.sdp'), await fixturePatch());
    openssl('genpkey', '-algorithm', 'ed25519', '-out', 'openssl.pem');
    openssl('pkey', '-in', 'openssl.pem', '-pubout', '-out', 'openssl.pub.pem');
  });

  it('a key made by "openssl genpkey -algorithm ed25519" signs a patch through the CLI, and verify accepts it', () => {
    const signed = smartdelta('sign', 'unsigned.sdp', '-k', 'openssl.pem', '-o', 'by-openssl-key.sdp');
    expect(signed.stderr).toMatch(/^(warning: private key .* is accessible by group or others.*\n)?$/);
    expect(signed.status).toBe(0);
    const verified = smartdelta('verify', 'by-openssl-key.sdp', '--pub', 'openssl.pub.pem');
    expect(verified.status).toBe(0);
  });

  it('"openssl pkeyutl -verify -rawin" accepts our signature over the emitted message, and refuses it over a changed one', () => {
    const ours = generatePrivateKey();
    writeFileSync(file('ours.pem'), encodePrivateKeyPem(ours.seed), { mode: 0o600 });
    writeFileSync(file('ours.pub.pem'), encodePublicKeyPem(ours.publicKey));
    expect(smartdelta('sign', 'unsigned.sdp', '-k', 'ours.pem', '-o', 'ours.sdp').status).toBe(0);
    expect(smartdelta('sign', 'ours.sdp', '--pub', 'ours.pub.pem', '--emit-message', 'ours.msg').status).toBe(0);
    const patch = readFileSync(file('ours.sdp'));
    writeFileSync(file('ours.sig'), patch.subarray(patch.length - 64));

    const accepted = opensslVerify('ours.pub.pem', 'ours.msg', 'ours.sig');
    expect(accepted.status).toBe(0);
    expect(accepted.stdout).toMatch(/Signature Verified Successfully/);

    const message = readFileSync(file('ours.msg'));
    expect(message.length).toBe(59);
    message[40]! ^= 0x01; // a byte of SHA-256(header || payload)
    writeFileSync(file('changed.msg'), message);
    expect(opensslVerify('ours.pub.pem', 'changed.msg', 'ours.sig').status).not.toBe(0);
  });

  it('an external signature by "openssl pkeyutl -sign -rawin" over --emit-message attaches with --signature and verifies', () => {
    expect(smartdelta('sign', 'unsigned.sdp', '--pub', 'openssl.pub.pem', '--emit-message', 'external.msg').status).toBe(0);
    openssl('pkeyutl', '-sign', '-rawin', '-inkey', 'openssl.pem', '-in', 'external.msg', '-out', 'external.sig');
    expect(readFileSync(file('external.sig')).length).toBe(64);

    const attached = smartdelta('sign', 'unsigned.sdp', '--pub', 'openssl.pub.pem', '--signature', 'external.sig', '-o', 'external.sdp');
    expect(attached.stderr).toBe('');
    expect(attached.status).toBe(0);
    expect(smartdelta('verify', 'external.sdp', '--pub', 'openssl.pub.pem').status).toBe(0);
    // Ed25519 is deterministic: the patch equals the one our library signs with the same key.
    const ours = signPatch(readFileSync(file('unsigned.sdp')), parsePrivateKey(readFileSync(file('openssl.pem'))));
    expect(readFileSync(file('external.sdp')).equals(Buffer.from(ours))).toBe(true);
  });

  it('an OpenSSL signature over another message is refused and nothing is written', () => {
    writeFileSync(file('other.msg'), 'not the signed message of this patch');
    openssl('pkeyutl', '-sign', '-rawin', '-inkey', 'openssl.pem', '-in', 'other.msg', '-out', 'other.sig');
    const refused = smartdelta('sign', 'unsigned.sdp', '--pub', 'openssl.pub.pem', '--signature', 'other.sig', '-o', 'refused.sdp');
    expect(refused.status).toBe(1);
    expect(() => readFileSync(file('refused.sdp'))).toThrow();
  });
});
