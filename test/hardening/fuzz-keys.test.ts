/**
 * Fuzzing the key readers (issue 7): PKCS#8 private keys (v0, v1 with attributes and public key, encrypted)
 * and SubjectPublicKeyInfo public keys, as PEM and DER, plus raw and hex public keys. Mutations hit the DER
 * (then re-wrapped in valid PEM, so they reach the DER reader) and the PEM text itself. A mutant is refused
 * with an InvalidInputError (exit 3) in one line that never contains the private key, or it parses to a key
 * that is consistent (the public key is the seed's) and canonical.
 */
import { createPrivateKey } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodePrivateKeyDer,
  encodePrivateKeyPem,
  encodePublicKeyDer,
  encodePublicKeyPem,
  holdsPrivateKey,
  isEncryptedPrivateKey,
  parsePrivateKey,
  parsePublicKey,
  publicKeyFromSeed,
  publicKeyProblem,
} from '../../src/crypto/index.js';
import { encodePem } from '../../src/crypto/pem.js';
import { expectRejection, FuzzTally, fuzzRuns, timedSync } from './harness.js';
import { applyMutations, mutationsArb, sameBytes } from './mutate.js';

const tally = new FuzzTally('fuzz-keys');
afterAll(() => tally.flush());

const SEED = Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 41) & 0xff);
const PUBLIC = publicKeyFromSeed(SEED);
const PASSPHRASE = 'fuzz passphrase';
const te = new TextEncoder();

/** PKCS#8 v1 (RFC 5958) with an attribute set and the public key, as in RFC 8410 section 10.3. */
function pkcs8V1(seed: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const attributes = [0xa0, 0x12, 0x30, 0x10, 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x09, 0x14, 0x31, 0x02, 0x0c, 0x00];
  const body = [0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...seed, ...attributes, 0x81, 0x21, 0x00, ...publicKey];
  return Uint8Array.from([0x30, body.length, ...body]);
}

function encryptedDer(): Uint8Array {
  const key = createPrivateKey({ key: Buffer.from(encodePrivateKeyDer(SEED)), format: 'der', type: 'pkcs8' });
  return new Uint8Array(key.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }));
}

interface KeySeed {
  name: string;
  der?: { bytes: Uint8Array; label: string };
  text?: Uint8Array;
  private: boolean;
}

const ENCRYPTED = encryptedDer();
const SEEDS: KeySeed[] = [
  { name: 'private PEM', der: { bytes: encodePrivateKeyDer(SEED), label: 'PRIVATE KEY' }, private: true },
  { name: 'private v1 PEM', der: { bytes: pkcs8V1(SEED, PUBLIC), label: 'PRIVATE KEY' }, private: true },
  { name: 'encrypted PEM', der: { bytes: ENCRYPTED, label: 'ENCRYPTED PRIVATE KEY' }, private: true },
  { name: 'public PEM', der: { bytes: encodePublicKeyDer(PUBLIC), label: 'PUBLIC KEY' }, private: false },
  { name: 'private PEM text', text: te.encode(encodePrivateKeyPem(SEED)), private: true },
  { name: 'public PEM text', text: te.encode(`some comment\n${encodePublicKeyPem(PUBLIC)}`), private: false },
  { name: 'public hex', text: te.encode(`${Buffer.from(PUBLIC).toString('hex')}\n`), private: false },
];

/** Pieces of the secret that must never appear in a message: the seed in hex, and the base64 of every key encoding. */
const SECRET_HEX = Buffer.from(SEED).toString('hex');
const SECRET_BASE64 = [encodePrivateKeyDer(SEED), pkcs8V1(SEED, PUBLIC)].map((der) => Buffer.from(der).toString('base64'));

function leaksSecret(message: string): boolean {
  const lower = message.toLowerCase();
  for (let i = 0; i + 16 <= SECRET_HEX.length; i += 2) if (lower.includes(SECRET_HEX.slice(i, i + 16))) return true;
  for (const b64 of SECRET_BASE64) for (let i = 16; i + 16 <= b64.length; i++) if (message.includes(b64.slice(i, i + 16))) return true;
  return false;
}

function rejectedWithoutLeak(err: unknown): void {
  expectRejection(err, [3]);
  if (leaksSecret((err as Error).message)) throw new Error(`an error message shows key material: ${(err as Error).message}`);
}

function checkKeyInput(input: Uint8Array): void {
  for (const passphrase of [undefined, PASSPHRASE]) {
    const options = { source: 'fuzz.pem', ...(passphrase ? { passphrase } : {}) };
    try {
      const key = timedSync('parsePrivateKey', () => parsePrivateKey(input, options));
      expect(key.seed.length).toBe(32);
      if (!sameBytes(key.publicKey, publicKeyFromSeed(key.seed))) throw new Error('a parsed private key does not match its public key');
    } catch (err) {
      rejectedWithoutLeak(err);
    }
    try {
      const publicKey = timedSync('parsePublicKey', () => parsePublicKey(input, options));
      expect(publicKey.length).toBe(32);
      expect(publicKeyProblem(publicKey)).toBeUndefined();
    } catch (err) {
      rejectedWithoutLeak(err);
    }
  }
  // Predicates answer, they never throw.
  expect(typeof isEncryptedPrivateKey(input)).toBe('boolean');
  expect(typeof holdsPrivateKey(input)).toBe('boolean');
}

describe('key readers under mutation', () => {
  it('the seeds parse to the expected key', () => {
    for (const seed of SEEDS) {
      const input = seed.text ?? te.encode(encodePem(seed.der!.label, seed.der!.bytes));
      expect(sameBytes(parsePublicKey(input, { passphrase: PASSPHRASE }), PUBLIC), seed.name).toBe(true);
      if (seed.private) expect(sameBytes(parsePrivateKey(input, { passphrase: PASSPHRASE }).seed, SEED), seed.name).toBe(true);
    }
    expect(sameBytes(parsePublicKey(encodePrivateKeyDer(SEED)), PUBLIC)).toBe(true);
  });

  it('DER mutations, as DER and re-wrapped in PEM', () => {
    const derSeeds = SEEDS.filter((s) => s.der);
    fc.assert(
      fc.property(fc.nat(), mutationsArb(), fc.boolean(), (pick, mutations, asPem) => {
        const seed = derSeeds[pick % derSeeds.length]!;
        const der = applyMutations(seed.der!.bytes, mutations);
        tally.add('keys');
        checkKeyInput(asPem ? te.encode(encodePem(seed.der!.label, der)) : der);
      }),
      { numRuns: fuzzRuns(250) },
    );
  });

  it('PEM and hex text mutations', () => {
    const textSeeds = SEEDS.map((s) => s.text ?? te.encode(encodePem(s.der!.label, s.der!.bytes)));
    fc.assert(
      fc.property(fc.nat(), mutationsArb(), (pick, mutations) => {
        tally.add('keys');
        checkKeyInput(applyMutations(textSeeds[pick % textSeeds.length]!, mutations));
      }),
      { numRuns: fuzzRuns(250) },
    );
  });

  it('random 32-byte and short inputs', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 80 })), (bytes) => {
        tally.add('keys');
        checkKeyInput(bytes);
      }),
      { numRuns: fuzzRuns(100) },
    );
  });
});
