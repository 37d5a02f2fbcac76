/**
 * The plain screen of `--arch auto` (docs/CREATE.md, "The plain screen"): a long plain program's LZMA candidate is
 * compressed in full only when liblzma's fast mode keeps it within PLAIN_SCREEN_FACTOR of the size to beat.
 */
import { describe, expect, it } from 'vitest';
import { compressLzmaWithin } from '../../src/codec/lzma.js';
import { DiffCoding, encodeProgram } from '../../src/delta/program.js';
import { CandidateCache } from '../../src/pipeline/candidate-cache.js';
import { candidateSize, encodeSmallest, planPlain, PLAIN_SCREEN_FACTOR } from '../../src/pipeline/encode-candidates.js';
import { fixture, PAIRS } from './fixtures.js';

/** A cache that records which compressions ran (setting keys). */
class RecordingCache extends CandidateCache {
  readonly ran: string[] = [];
  override compress(program: Uint8Array, setting: string, maxLength: number, run: (maxLength: number) => Promise<Uint8Array | undefined>) {
    return super.compress(program, setting, maxLength, (max) => {
      this.ran.push(setting.split(' ')[0]!);
      return run(max);
    });
  }
}

const LZMA = { lc: 0, lp: 2, pb: 2, dictSize: 4096 };

describe('the plain screen', () => {
  // The factor's margin: on every long plain program of the fixtures the full compression is at least
  // 1 / PLAIN_SCREEN_FACTOR of the fast one, so the screen never drops a candidate that could fit.
  it.each(PAIRS.map(([a, b]) => [`${a} -> ${b}`, a, b] as const))('%s: full LZMA stays within the factor of the fast estimate', async (_, a, b) => {
    const [oldImage, newImage] = [fixture(a), fixture(b)];
    const plan = planPlain(oldImage, newImage);
    for (const variant of plan.variants) {
      const program = encodeProgram(plan.blocks, newImage.data, plan.source, variant);
      const effort = variant.diffCoding === DiffCoding.raw ? 'thorough' : 'normal';
      const full = (await compressLzmaWithin(program, LZMA, Infinity, effort))!.length;
      const fast = (await compressLzmaWithin(program, LZMA, Infinity, 'estimate'))!.length;
      expect(full * PLAIN_SCREEN_FACTOR).toBeGreaterThan(fast);
    }
  });

  it('gives the same candidate as no screen when the plain plan can win, and compresses fully only then', async () => {
    const [oldImage, newImage] = [fixture('v1.0.0'), fixture('v2.0.0')];
    const plan = planPlain(oldImage, newImage);
    const unscreened = (await encodeSmallest(plan, newImage.data, {}, { quick: true }))!;
    const limit = candidateSize(unscreened);
    const cache = new RecordingCache();
    const screened = await encodeSmallest(plan, newImage.data, {}, { quick: true, limit, cache, screen: true });
    expect(screened).toEqual(unscreened);
    expect(cache.ran).toContain('screen');
    expect(cache.ran).toContain('lzma');
  });

  it('drops a long plain program without compressing it fully when the fast estimate is far beyond the limit', async () => {
    const [oldImage, newImage] = [fixture('v1.0.0'), fixture('v2.0.0')];
    const plan = planPlain(oldImage, newImage);
    const cache = new RecordingCache();
    // v1.0.0 -> v2.0.0's raw program is 18,568 bytes and compresses to about 3 KB: 1 KB is out of reach.
    const screened = await encodeSmallest({ ...plan, variants: plan.variants.slice(0, 1) }, newImage.data, {}, { quick: true, limit: 1024, cache, screen: true });
    expect(screened).toBeUndefined();
    expect(cache.ran).toEqual(['screen', 'none']);
  });
});
