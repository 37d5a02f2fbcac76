/**
 * The device-side SHA-256 (device/src/sd_sha256.c, its portable C as the host builds it) against the FIPS 180-4 example vectors and node:crypto,
 * hashing in pseudo-random chunk sizes. Skips when gcc or make is not on PATH.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHostTools, hostToolchainAvailable, pseudoRandomBytes, type HostBuild } from './host-build.js';

describe.skipIf(!hostToolchainAvailable)('device SHA-256 (host build, sanitizers on)', () => {
  let build: HostBuild;
  let counter = 0;

  beforeAll(() => {
    build = buildHostTools(['sha_cli']);
  });
  afterAll(() => build?.cleanup());

  /** The digest the portable C prints (the ARMv7-M assembly is tested on the target: target-sha256.test.ts). */
  function sha256(data: Uint8Array, seed: number, maxChunk: number): string {
    const file = path.join(build.dir, `sha-${counter++}.bin`);
    writeFileSync(file, data);
    const r = build.run('sha_cli', [String(seed), String(maxChunk), file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.trim();
  }

  const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

  // FIPS 180-4 examples (NIST "SHA256.pdf" example values): one block, two blocks, one million 'a'.
  it.each([
    ['"abc"', ascii('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'the 448-bit message',
      ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    ['one million "a"', new Uint8Array(1_000_000).fill(0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
    ['the empty message', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ])('hashes %s', (_name, data, digest) => {
    expect(sha256(data, 1, 1)).toBe(digest);
    expect(sha256(data, 2, 100_000)).toBe(digest);
  });

  it('matches node:crypto around block and padding boundaries, in any chunking', () => {
    for (const length of [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65_537, 300_001]) {
      const data = pseudoRandomBytes(length, length);
      const expected = createHash('sha256').update(data).digest('hex');
      expect(sha256(data, length, 1 + (length % 97)), `length ${length}`).toBe(expected);
    }
  });
});
