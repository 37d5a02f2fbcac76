/**
 * Signed patches between the fixture releases, built once per test file: every earlier release to the newest
 * (v2.0.0), signed with a fixed test key, with versions and a security counter in the header.
 */
import { createPatch } from '../../src/pipeline/create-patch.js';
import { signPatch } from '../../src/container/sign.js';
import { publicKeyFromSeed } from '../../src/crypto/ed25519.js';
import { fixture, type Version } from '../pipeline/fixtures.js';

export const NEWEST: Version = 'v2.0.0';
export const DEPLOYED: readonly Version[] = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.2.0'];
export const COUNTER = 9;

const seed = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
export const testKey = { seed, publicKey: publicKeyFromSeed(seed) };

export interface SignedRelease {
  from: Version;
  old: Uint8Array;
  patch: Uint8Array;
}

export async function signedPatchesToNewest(): Promise<{ releases: SignedRelease[]; newest: Uint8Array }> {
  const target = fixture(NEWEST);
  const releases: SignedRelease[] = [];
  for (const from of DEPLOYED) {
    const old = fixture(from);
    const { bytes } = await createPatch(old, target, { versionFrom: from.slice(1), versionTo: NEWEST.slice(1), securityCounter: COUNTER });
    releases.push({ from, old: old.data, patch: signPatch(bytes, testKey) });
  }
  return { releases, newest: target.data };
}
