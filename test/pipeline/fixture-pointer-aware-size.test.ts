/**
 * Issue 4: pointer-aware patches against plain ones on the project's fixtures. Where a release moves code or
 * data, pointer-aware mode must be strictly smaller. v1.0.0 -> v1.0.1 is a constant fix: nothing moves, the
 * relocation can only add its parameter bytes (4), so there `--arch auto` must fall back to the plain patch
 * exactly (docs/FORMAT.md; reported on the issue).
 */
import { describe, expect, it } from 'vitest';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { fixture, PAIRS } from './fixtures.js';

const NOTHING_MOVES = new Set(['v1.0.0->v1.0.1']);

describe('pointer-aware vs plain on the fixtures (issue 4)', () => {
  it.each(PAIRS)('%s -> %s', async (from, to) => {
    const [a, b] = [fixture(from), fixture(to)];
    const plain = (await createPatch(a, b, { arch: 'none' })).bytes.length;
    const aware = (await createPatch(a, b, { arch: 'cortex-m' })).bytes.length;
    const auto = (await createPatch(a, b, { arch: 'auto' })).bytes.length;
    expect(auto).toBeLessThanOrEqual(plain);
    if (NOTHING_MOVES.has(`${from}->${to}`)) {
      expect(auto, 'auto falls back to plain when nothing moves').toBe(plain);
      expect(aware - plain, 'only the relocation parameters differ').toBeLessThanOrEqual(4);
    } else {
      expect(aware, `cortex-m ${aware} B vs plain ${plain} B`).toBeLessThan(plain);
    }
  });
});
