/**
 * No secret in any output or message (issue 7, docs/SECURITY.md "Keys"): key parsing errors never echo key
 * material, and the CLI never prints a private key (the CLI side is in cli-secrets.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { encodePrivateKeyDer, encodePrivateKeyPem, parsePrivateKey, parsePublicKey } from '../../src/crypto/index.js';
import { InvalidInputError } from '../../src/errors.js';

const SEED = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 3) & 0xff);
const BASE64 = Buffer.from(encodePrivateKeyDer(SEED)).toString('base64');

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('PEM labels in messages', () => {
  it('a label that carries base64 (a mangled file) is not echoed', () => {
    // The END line of a damaged file holds the key's base64: the old message printed it as the "label".
    const mangled = `-----BEGIN PRIVATE KEY-----\n${BASE64}\n-----END ${BASE64}-----\n`;
    for (const parse of [parsePrivateKey, parsePublicKey]) {
      const message = messageOf(() => parse(new TextEncoder().encode(mangled), { source: 'k.pem' }));
      expect(message).toBe('k.pem: PEM block begins with "PRIVATE KEY" (line 1) but ends with (a malformed label of 64 characters, not shown) (line 3)');
      expect(message).not.toContain(BASE64.slice(20, 40));
    }
    const asBegin = `-----BEGIN ${BASE64}-----\n${BASE64}\n-----END ${BASE64}-----\n`;
    expect(messageOf(() => parsePrivateKey(new TextEncoder().encode(asBegin), { source: 'k.pem' }))).toBe(
      'k.pem: PEM label (a malformed label of 64 characters, not shown) is not a private key; expected "PRIVATE KEY" (PKCS#8)',
    );
  });

  it('ordinary labels are still named', () => {
    const text = encodePrivateKeyPem(SEED).replace('-----END PRIVATE KEY-----', '-----END PUBLIC KEY-----');
    expect(messageOf(() => parsePrivateKey(new TextEncoder().encode(text), { source: 'k.pem' }))).toBe(
      'k.pem: PEM block begins with "PRIVATE KEY" (line 1) but ends with "PUBLIC KEY" (line 3)',
    );
  });
});
