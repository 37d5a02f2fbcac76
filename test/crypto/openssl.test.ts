/**
 * Interoperability with OpenSSL (docs/SIGNING.md, "Interoperability with OpenSSL"). Runs only when an
 * `openssl` with Ed25519 support is on PATH.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDetached, verifyDetached } from '../../src/crypto/ed25519.js';
import { encodePrivateKeyPem, encodePublicKeyPem, generatePrivateKey, parsePrivateKey, parsePublicKey } from '../../src/crypto/keys.js';

function opensslHasEd25519(): boolean {
  const probe = spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519'], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.includes('PRIVATE KEY');
}

const available = opensslHasEd25519();
const dir = available ? mkdtempSync(join(tmpdir(), 'smartdelta-openssl-')) : '';
const file = (name: string): string => join(dir, name);
const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(file(name)));

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('OpenSSL interoperability', () => {
  const message = new TextEncoder().encode('smartdelta signed bytes\x00\x01\x02');

  beforeAll(() => {
    openssl('genpkey', '-algorithm', 'ed25519', '-out', file('openssl.pem'));
    writeFileSync(file('message.bin'), message);
  });

  it('reads a key from "openssl genpkey -algorithm ed25519" as it is, and its public key from "openssl pkey -pubout"', () => {
    openssl('pkey', '-in', file('openssl.pem'), '-pubout', '-out', file('openssl.pub.pem'));
    const key = parsePrivateKey(read('openssl.pem'), { source: 'openssl.pem' });
    const publicKey = parsePublicKey(read('openssl.pub.pem'));
    expect(Buffer.from(key.publicKey).toString('hex')).toBe(Buffer.from(publicKey).toString('hex'));
    // The signature made with OpenSSL's key verifies under OpenSSL's public key.
    expect(verifyDetached(signDetached(message, key.seed), message, publicKey)).toBe(true);
  });

  it('reads OpenSSL DER keys', () => {
    openssl('pkey', '-in', file('openssl.pem'), '-outform', 'DER', '-out', file('openssl.der'));
    openssl('pkey', '-in', file('openssl.pem'), '-pubout', '-outform', 'DER', '-out', file('openssl.pub.der'));
    const key = parsePrivateKey(read('openssl.der'));
    expect(Buffer.from(parsePublicKey(read('openssl.pub.der'))).equals(Buffer.from(key.publicKey))).toBe(true);
  });

  it('OpenSSL derives the same public key PEM from our private key, and writes our PEM byte for byte', () => {
    const ours = generatePrivateKey();
    writeFileSync(file('ours.pem'), encodePrivateKeyPem(ours.seed));
    expect(openssl('pkey', '-in', file('ours.pem'), '-pubout')).toBe(encodePublicKeyPem(ours.publicKey));
    expect(openssl('pkey', '-in', file('ours.pem'))).toBe(encodePrivateKeyPem(ours.seed));
    writeFileSync(file('ours.pub.pem'), encodePublicKeyPem(ours.publicKey));
    expect(openssl('pkey', '-pubin', '-in', file('ours.pub.pem'))).toBe(encodePublicKeyPem(ours.publicKey));
  });

  it('"openssl pkeyutl -verify -rawin" accepts our signature and rejects a changed one', () => {
    const ours = generatePrivateKey();
    writeFileSync(file('sign.pub.pem'), encodePublicKeyPem(ours.publicKey));
    const signature = signDetached(message, ours.seed);
    writeFileSync(file('message.sig'), signature);
    const verify = (sig: string) =>
      spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', file('sign.pub.pem'), '-rawin', '-in', file('message.bin'), '-sigfile', file(sig)], {
        encoding: 'utf8',
      });
    const accepted = verify('message.sig');
    expect(accepted.status).toBe(0);
    expect(accepted.stdout).toMatch(/Signature Verified Successfully/);
    signature[40]! ^= 0x01;
    writeFileSync(file('bad.sig'), signature);
    expect(verify('bad.sig').status).not.toBe(0);
  });

  it('an OpenSSL signature equals ours (Ed25519 is deterministic) and verifies', () => {
    openssl('pkeyutl', '-sign', '-inkey', file('openssl.pem'), '-rawin', '-in', file('message.bin'), '-out', file('openssl.sig'));
    const key = parsePrivateKey(read('openssl.pem'));
    const theirs = read('openssl.sig');
    expect(Buffer.from(theirs).toString('hex')).toBe(Buffer.from(signDetached(message, key.seed)).toString('hex'));
    expect(verifyDetached(theirs, message, key.publicKey)).toBe(true);
  });

  it('reads an OpenSSL key encrypted with a passphrase when given it', () => {
    openssl('genpkey', '-algorithm', 'ed25519', '-aes-256-cbc', '-pass', 'pass:release-key', '-out', file('encrypted.pem'));
    const expected = openssl('pkey', '-in', file('encrypted.pem'), '-passin', 'pass:release-key', '-pubout');
    const key = parsePrivateKey(read('encrypted.pem'), { passphrase: 'release-key' });
    expect(encodePublicKeyPem(key.publicKey)).toBe(expected);
  });
});
