/**
 * Issue 4: pointer-aware patches against plain ones on the project's fixtures. Where a release moves code or
 * data, pointer-aware mode must be strictly smaller. v1.0.0 -> v1.0.1 is a constant fix: nothing moves, the
 * relocation can only add its own bytes (format v2: the header's tables length, the tables with the recognizer
 * byte and an empty RAM map, and a table-first program's entry count), so there `--arch auto` must fall back to
 * the plain patch exactly (docs/FORMAT.md; reported on the issue).
 */
import { describe, expect, it } from 'vitest';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { fixture, PAIRS } from './fixtures.js';

const NOTHING_MOVES = new Set(['v1.0.0->v1.0.1']);

describe('pointer-aware vs plain on the fixtures (issue 4)', () => {
  it.each(PAIRS)('%s -> %s', async (from, to) => {
    const [a, b] = [fixture(from), fixture(to)];
    const plain = (await createPatch(a, b, { arch: 'none' })).bytes;
    const aware = (await createPatch(a, b, { arch: 'cortex-m' })).bytes;
    const auto = (await createPatch(a, b, { arch: 'auto' })).bytes;
    expect(auto.length).toBeLessThanOrEqual(plain.length);
    if (NOTHING_MOVES.has(`${from}->${to}`)) {
      expect(Buffer.from(auto).equals(Buffer.from(plain)), 'auto falls back to the plain patch when nothing moves').toBe(true);
      const [p, r] = [patchInfo(plain), patchInfo(aware)];
      // The relocation's own bytes: one header byte (the tables length) and two bytes of tables (the recognizers and
      // an empty RAM map): no value map record to pay for.
      expect(r.headerSize - p.headerSize, 'the tables length field').toBe(1);
      expect(r.tablesSize, 'recognizer byte + empty RAM map').toBe(2);
      expect(r.relocation).toMatchObject({ ramMapSegments: 0, constantMapSegments: 0 });
      expect(aware.length - plain.length, 'only the relocation bytes differ (and a few program bytes)').toBeLessThanOrEqual(5);
    } else {
      expect(aware.length, `cortex-m ${aware.length} B vs plain ${plain.length} B`).toBeLessThan(plain.length);
    }
  });
});
