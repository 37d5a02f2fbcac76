/** A public key as C source for device firmware (docs/SIGNING.md, "getpub"). */
import { PUBLIC_KEY_LENGTH } from './ed25519.js';
import { keyIdHex } from './keys.js';

const BYTES_PER_LINE = 8;

/** `const uint8_t <name>[32] = {0x.., ...};` preceded by a comment with the key id. */
export function publicKeyAsCArray(publicKey: Uint8Array, name = 'smartdelta_pubkey'): string {
  const id = keyIdHex(publicKey);
  const lines: string[] = [];
  for (let i = 0; i < publicKey.length; i += BYTES_PER_LINE) {
    const chunk = Array.from(publicKey.subarray(i, i + BYTES_PER_LINE), (b) => `0x${b.toString(16).padStart(2, '0')}`);
    lines.push(`    ${chunk.join(', ')}${i + BYTES_PER_LINE < publicKey.length ? ',' : ''}`);
  }
  return [
    `/* smartdelta Ed25519 public key, key id ${id} (first 8 bytes of SHA-256 of the key) */`,
    '#include <stdint.h>',
    '',
    `const uint8_t ${name}[${PUBLIC_KEY_LENGTH}] = {`,
    ...lines,
    '};',
    '',
  ].join('\n');
}
