import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import {
  encodePrivateKeyDer,
  encodePrivateKeyPem,
  encodePublicKeyDer,
  encodePublicKeyPem,
  generatePrivateKey,
  isEncryptedPrivateKey,
  keyId,
  keyIdHex,
  parsePrivateKey,
  parsePublicKey,
} from '../../src/crypto/keys.js';
import { RFC8032_VECTORS } from './rfc8032-vectors.js';

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const pem = (label: string, body: string): string => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const derPem = (label: string, der: Uint8Array): string => pem(label, Buffer.from(der).toString('base64'));

const TEST1 = RFC8032_VECTORS[0]!;
const SEED = fromHex(TEST1.secretKey);
const PUBLIC = fromHex(TEST1.publicKey);

/** Expects an InvalidInputError whose message matches, names the source, and carries no key bytes. */
function expectInvalid(action: () => unknown, pattern: RegExp, secrets: Uint8Array[] = [SEED]): void {
  let error: unknown;
  try {
    action();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidInputError);
  const message = (error as InvalidInputError).message;
  expect(message).toMatch(pattern);
  expect(message).toMatch(/^key\.pem: /);
  expect((error as InvalidInputError).exitCode).toBe(3);
  for (const secret of secrets) {
    expect(message.toLowerCase()).not.toContain(toHex(secret));
    expect(message).not.toContain(Buffer.from(secret).toString('base64').slice(0, 20));
  }
}
const source = { source: 'key.pem' };

describe('RFC 8410 section 10 examples', () => {
  // Section 10.1 (public key) and 10.3 (the matching private key, plain and with attributes and public key).
  const publicPem = pem('PUBLIC KEY', 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=');
  const privatePem = pem('PRIVATE KEY', 'MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC');
  const privateV2Pem = pem(
    'PRIVATE KEY',
    'MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n' +
      'oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB\n' +
      'Z9w7lshQhqowtrbLDFw4rXAxZuE=',
  );
  const expectedPublic = '19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1';

  it('reads the public key', () => {
    expect(toHex(parsePublicKey(text(publicPem)))).toBe(expectedPublic);
  });
  it('reads the private key and derives the example public key', () => {
    const key = parsePrivateKey(text(privatePem));
    expect(toHex(key.seed)).toBe('d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842');
    expect(toHex(key.publicKey)).toBe(expectedPublic);
  });
  it('reads the version 1 (OneAsymmetricKey) form with attributes and the embedded public key', () => {
    expect(toHex(parsePrivateKey(text(privateV2Pem)).publicKey)).toBe(expectedPublic);
    expect(toHex(parsePublicKey(text(privateV2Pem)))).toBe(expectedPublic);
  });
  it('writes both examples byte for byte', () => {
    const key = parsePrivateKey(text(privatePem));
    expect(encodePrivateKeyPem(key.seed)).toBe(privatePem);
    expect(encodePublicKeyPem(key.publicKey)).toBe(publicPem);
  });
});

describe('key encodings', () => {
  it('are the fixed RFC 8410 DER prefixes followed by the key', () => {
    expect(toHex(encodePrivateKeyDer(SEED))).toBe(`302e020100300506032b657004220420${TEST1.secretKey}`);
    expect(toHex(encodePublicKeyDer(PUBLIC))).toBe(`302a300506032b6570032100${TEST1.publicKey}`);
  });

  it('round-trip through PEM and DER for any seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const fromPem = parsePrivateKey(text(encodePrivateKeyPem(seed)));
        const fromDer = parsePrivateKey(encodePrivateKeyDer(seed));
        expect(toHex(fromPem.seed)).toBe(toHex(seed));
        expect(toHex(fromDer.seed)).toBe(toHex(seed));
        const publicKey = fromPem.publicKey;
        expect(toHex(parsePublicKey(text(encodePublicKeyPem(publicKey))))).toBe(toHex(publicKey));
        expect(toHex(parsePublicKey(encodePublicKeyDer(publicKey)))).toBe(toHex(publicKey));
      }),
      { numRuns: 50 },
    );
  });

  it('read public keys as raw bytes, hex (either case, with whitespace) and from a private key', () => {
    expect(toHex(parsePublicKey(PUBLIC))).toBe(TEST1.publicKey);
    expect(toHex(parsePublicKey(text(`${TEST1.publicKey}\n`)))).toBe(TEST1.publicKey);
    expect(toHex(parsePublicKey(text(`  ${TEST1.publicKey.toUpperCase()}\r\n`)))).toBe(TEST1.publicKey);
    expect(toHex(parsePublicKey(text(encodePrivateKeyPem(SEED))))).toBe(TEST1.publicKey);
    expect(toHex(parsePublicKey(encodePrivateKeyDer(SEED)))).toBe(TEST1.publicKey);
  });

  it('accept CRLF line ends and text around the PEM block', () => {
    const withText = `comment line\r\n${encodePrivateKeyPem(SEED).replace(/\n/g, '\r\n')}trailing words\n`;
    expect(toHex(parsePrivateKey(text(withText)).seed)).toBe(TEST1.secretKey);
  });

  it('generate fresh keys from the random source', () => {
    const key = generatePrivateKey(() => new Uint8Array(SEED));
    expect(toHex(key.publicKey)).toBe(TEST1.publicKey);
    const a = generatePrivateKey();
    const b = generatePrivateKey();
    expect(toHex(a.seed)).not.toBe(toHex(b.seed));
  });
});

describe('key id', () => {
  it('is the first 8 bytes of SHA-256 over the raw public key', () => {
    const expected = createHash('sha256').update(PUBLIC).digest().subarray(0, 8);
    expect(toHex(keyId(PUBLIC))).toBe(toHex(expected));
    expect(keyIdHex(PUBLIC)).toBe('21fe31dfa154a261');
  });
  it('refuses a public key of the wrong length', () => {
    expect(() => keyId(new Uint8Array(31))).toThrow(InvalidInputError);
  });
});

describe('encrypted private keys', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  const expected = toHex(new Uint8Array(publicKey).subarray(12));

  it('are recognised', () => {
    expect(privateKey).toContain('ENCRYPTED PRIVATE KEY');
    expect(isEncryptedPrivateKey(text(privateKey))).toBe(true);
    expect(isEncryptedPrivateKey(text(encodePrivateKeyPem(SEED)))).toBe(false);
  });
  it('are refused without a passphrase, and with a wrong one', () => {
    expectInvalid(() => parsePrivateKey(text(privateKey), source), /encrypted \(ENCRYPTED PRIVATE KEY\) and no passphrase was given/);
    expectInvalid(() => parsePrivateKey(text(privateKey), { ...source, passphrase: 'wrong' }), /cannot decrypt the private key/);
  });
  it('are read with the right passphrase', () => {
    expect(toHex(parsePrivateKey(text(privateKey), { passphrase: 'correct horse' }).publicKey)).toBe(expected);
    expect(toHex(parsePublicKey(text(privateKey), { passphrase: 'correct horse' }))).toBe(expected);
  });
});

describe('malformed and foreign keys', () => {
  const goodPem = encodePrivateKeyPem(SEED);
  const goodDer = encodePrivateKeyDer(SEED);
  const goodBody = goodPem.split('\n')[1]!;

  it('empty input', () => {
    expectInvalid(() => parsePrivateKey(new Uint8Array(0), source), /the key is empty/);
    expectInvalid(() => parsePublicKey(new Uint8Array(0), source), /the key is empty/);
  });

  it('wrong PEM label', () => {
    expectInvalid(() => parsePrivateKey(text(pem('PUBLIC KEY', goodBody)), source), /this is a public key \(PUBLIC KEY\); signing needs the private key/);
    expectInvalid(() => parsePrivateKey(text(pem('SECRET KEY', goodBody)), source), /PEM label "SECRET KEY" is not a private key; expected "PRIVATE KEY"/);
    expectInvalid(() => parsePublicKey(text(pem('SECRET KEY', goodBody)), source), /PEM label "SECRET KEY" is not a key; expected "PUBLIC KEY"/);
    expectInvalid(
      () => parsePrivateKey(text(goodPem.replace('END PRIVATE KEY', 'END PUBLIC KEY')), source),
      /begins with "PRIVATE KEY" \(line 1\) but ends with "PUBLIC KEY" \(line 3\)/,
    );
    expectInvalid(() => parsePrivateKey(text(goodPem.split('-----END')[0]!), source), /"PRIVATE KEY" \(line 1\) has no matching END line/);
    expectInvalid(() => parsePrivateKey(text('-----BEGIN PRIVATE KEY\nabc\n'), source), /no complete PEM block found/);
  });

  it('bad base64', () => {
    expectInvalid(() => parsePrivateKey(text(pem('PRIVATE KEY', `${goodBody.slice(0, 10)}*${goodBody.slice(11)}`)), source), /contains characters that are not base64/);
    expectInvalid(() => parsePrivateKey(text(pem('PRIVATE KEY', goodBody.slice(0, -1))), source), /base64 length 63 is not a multiple of 4/);
    expectInvalid(() => parsePrivateKey(text(pem('PRIVATE KEY', 'MC5=')), source), /malformed base64/);
    expectInvalid(() => parsePrivateKey(text(pem('PRIVATE KEY', '')), source), /PEM block "PRIVATE KEY" is empty/);
  });

  it('wrong key length', () => {
    const shortSeed = Uint8Array.of(0x30, 0x2d, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x21, 0x04, 0x1f, ...SEED.subarray(0, 31));
    expectInvalid(() => parsePrivateKey(text(derPem('PRIVATE KEY', shortSeed)), source), /Ed25519 private key must be 32 bytes, got 31/);
    const shortPublic = Uint8Array.of(0x30, 0x29, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x20, 0x00, ...PUBLIC.subarray(0, 31));
    expectInvalid(() => parsePublicKey(text(derPem('PUBLIC KEY', shortPublic)), source), /must be 32 bytes with 0 unused bits, got 31 bytes/);
    expectInvalid(() => parsePublicKey(PUBLIC.subarray(0, 31), source), /not a public key \(31 bytes\)/);
    expectInvalid(() => parsePublicKey(text(TEST1.publicKey.slice(2)), source), /not a public key \(62 bytes\)/);
  });

  it('truncated or extended DER', () => {
    expectInvalid(() => parsePrivateKey(goodDer.subarray(0, 40), source), /DER truncated: element at offset 0 declares 46 bytes, 38 present/);
    expectInvalid(() => parsePrivateKey(text(derPem('PRIVATE KEY', goodDer.subarray(0, 40))), source), /DER truncated/);
    expectInvalid(() => parsePrivateKey(Uint8Array.of(...goodDer, 0), source), /1 unexpected bytes after the DER structure \(offset 48\)/);
    expectInvalid(() => parsePublicKey(encodePublicKeyDer(PUBLIC).subarray(0, 20), source), /DER truncated/, []);
    expectInvalid(() => parsePrivateKey(Uint8Array.of(0x30, 0x80, 0, 0), source), /indefinite DER length/);
    const innerTooLong = goodDer.slice();
    innerTooLong[13] = 0x23; // the privateKey OCTET STRING at offset 12 now claims 35 bytes
    expectInvalid(() => parsePrivateKey(innerTooLong, source), /DER truncated: element at offset 12 declares 35 bytes, 34 present/);
  });

  it('any corruption of a key gives InvalidInputError or a key, never another exception', () => {
    const publicDer = encodePublicKeyDer(PUBLIC);
    fc.assert(
      fc.property(fc.nat(47), fc.nat(255), fc.nat(48), (index, value, cut) => {
        for (const base of [goodDer, publicDer]) {
          const corrupted = base.slice(0, Math.min(cut + 1, base.length));
          if (index < corrupted.length) corrupted[index] = value;
          for (const parse of [parsePrivateKey, parsePublicKey]) {
            try {
              parse(corrupted, source);
            } catch (e) {
              expect(e).toBeInstanceOf(InvalidInputError);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an Ed25519 AlgorithmIdentifier with parameters', () => {
    const withNull = Uint8Array.of(0x30, 0x30, 0x02, 0x01, 0x00, 0x30, 0x07, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x05, 0x00, 0x04, 0x22, 0x04, 0x20, ...SEED);
    expectInvalid(() => parsePrivateKey(withNull, source), /must have no parameters \(RFC 8410 section 3\)/);
  });

  it('an embedded public key that does not match', () => {
    const other = fromHex(RFC8032_VECTORS[1]!.publicKey);
    const der = Uint8Array.of(0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...SEED, 0x81, 0x21, 0x00, ...other);
    expectInvalid(() => parsePrivateKey(der, source), /public key stored in the PKCS#8 key does not match its private key/);
  });

  it('legacy PEM headers and several blocks', () => {
    const legacy = `-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${goodBody}\n-----END PRIVATE KEY-----\n`;
    expectInvalid(() => parsePrivateKey(text(legacy), source), /PEM headers \(legacy OpenSSL encryption\) are not supported/);
    expectInvalid(() => parsePrivateKey(text(goodPem + encodePublicKeyPem(PUBLIC)), source), /2 PEM blocks \(PRIVATE KEY, PUBLIC KEY\); expected exactly one key/);
  });

  it('a public key given where a private key is needed', () => {
    expectInvalid(() => parsePrivateKey(encodePublicKeyDer(PUBLIC), source), /this is a public key \(SubjectPublicKeyInfo\)/);
  });

  it('keys of other algorithms, named precisely', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const x25519 = generateKeyPairSync('x25519');
    const ed448 = generateKeyPairSync('ed448');
    const cases: [string | Buffer, RegExp, 'private' | 'public'][] = [
      [rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), /this is a private key for RSA;/, 'private'],
      [rsa.privateKey.export({ type: 'pkcs8', format: 'der' }), /this is a private key for RSA;/, 'private'],
      [rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }), /this is an RSA private key \(PKCS#1\);/, 'private'],
      [rsa.privateKey.export({ type: 'pkcs1', format: 'der' }), /this is an RSA private key \(PKCS#1\);/, 'private'],
      [rsa.publicKey.export({ type: 'spki', format: 'pem' }), /this is a public key for RSA;/, 'public'],
      [rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }), /this is an RSA public key \(PKCS#1\);/, 'public'],
      [ec.privateKey.export({ type: 'pkcs8', format: 'pem' }), /this is a private key for EC P-256;/, 'private'],
      [ec.privateKey.export({ type: 'sec1', format: 'pem' }), /this is an EC private key \(SEC1\);/, 'private'],
      [ec.privateKey.export({ type: 'sec1', format: 'der' }), /this is an EC private key \(SEC1\);/, 'private'],
      [ec.publicKey.export({ type: 'spki', format: 'der' }), /this is a public key for EC P-256;/, 'public'],
      [x25519.privateKey.export({ type: 'pkcs8', format: 'pem' }), /this is a private key for X25519;/, 'private'],
      [x25519.publicKey.export({ type: 'spki', format: 'pem' }), /this is a public key for X25519;/, 'public'],
      [ed448.privateKey.export({ type: 'pkcs8', format: 'pem' }), /this is a private key for Ed448;/, 'private'],
    ];
    for (const [key, pattern, kind] of cases) {
      const bytes = typeof key === 'string' ? text(key) : new Uint8Array(key);
      const parse = kind === 'private' ? parsePrivateKey : parsePublicKey;
      expectInvalid(() => parse(bytes, source), pattern);
      expectInvalid(() => parse(bytes, source), /smartdelta needs an Ed25519 key/);
    }
    // A private key of another algorithm where a public key is expected names the algorithm too.
    expectInvalid(() => parsePublicKey(text(x25519.privateKey.export({ type: 'pkcs8', format: 'pem' })), source), /X25519/);
  });

  it('OpenSSH keys, certificates and unrelated input', () => {
    expectInvalid(() => parsePrivateKey(text(pem('OPENSSH PRIVATE KEY', 'b3BlbnNzaC1rZXktdjE=')), source), /an OpenSSH private key/);
    expectInvalid(() => parsePublicKey(text('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== me@host\n'), source), /OpenSSH public key lines are not supported/);
    expectInvalid(() => parsePublicKey(text(pem('CERTIFICATE', 'MAA=')), source), /an X\.509 certificate, not a key/);
    expectInvalid(() => parsePrivateKey(text('hello world, not a key'), source), /not a PEM or DER private key/);
  });

  it('public keys that are not usable curve points', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    expectInvalid(() => parsePublicKey(identity, source), /is a small-order point/);
    const notOnCurve = new Uint8Array(32);
    notOnCurve[0] = 2;
    expectInvalid(() => parsePublicKey(text(derPem('PUBLIC KEY', encodePublicKeyDer(notOnCurve))), source), /not the canonical encoding of a point/);
  });
});
