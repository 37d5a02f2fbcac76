/**
 * Issue 4, "done when": "On the project's own fixtures, every version pair is smaller in pointer-aware mode
 * than in plain mode." Kept in its own file because it does not hold for every pair yet (see the report):
 * at the time of writing v1.0.0 -> v1.0.1 (a constant fix, nothing moves) is 126 bytes with --arch cortex-m
 * and 122 with --arch none (and --arch auto falls back to plain: 122, not smaller either).
 */
import { describe, expect, it } from 'vitest';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { fixture, PAIRS } from './fixtures.js';

describe('pointer-aware vs plain on the fixtures (issue 4)', () => {
  it.each(PAIRS)('%s -> %s: --arch cortex-m is smaller than --arch none', async (from, to) => {
    const [a, b] = [fixture(from), fixture(to)];
    const plain = (await createPatch(a, b, { arch: 'none' })).bytes.length;
    const aware = (await createPatch(a, b, { arch: 'cortex-m' })).bytes.length;
    expect(aware, `cortex-m ${aware} B vs plain ${plain} B`).toBeLessThan(plain);
  });
});
