/**
 * Issue 13: creating patches faster must not cost bytes. Every case of test/golden/fingerprints.ts gives the
 * recorded patch or a smaller one; the corpus cases skip when ../shared/corpus is absent.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORPUS, fingerprintCases, fingerprintOf, recordedFingerprints } from '../golden/fingerprints.js';

const recorded = recordedFingerprints();
const cases = fingerprintCases();

describe.each(['fixtures', 'corpus'] as const)('patch fingerprints: %s', (group) => {
  const skip = group === 'corpus' && !existsSync(CORPUS);
  it.skipIf(skip).each(cases.filter((c) => c.group === group).map((c) => [c.name, c] as const))('%s is the recorded patch or smaller', async (name, c) => {
    const before = recorded[name];
    expect(before, `${name} has no recorded fingerprint: run npx tsx test/golden/fingerprints.ts --write`).toBeDefined();
    const now = await fingerprintOf(c);
    if (now.size === before!.size) expect(now.sha256).toBe(before!.sha256);
    else expect(now.size).toBeLessThan(before!.size);
  }, 30_000);
});
