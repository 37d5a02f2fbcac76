/**
 * createPatch's device RAM budget (--max-ram; docs/FORMAT.md "Device RAM"): the smallest patch whose RAM
 * figure fits, from LZMA down to codec 2 and, as the last resort, the program stored without a codec (the
 * fixed 512 bytes of state); a clear refusal below that.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { lzmaProbabilityCount } from '../../src/codec/lzma.js';
import { LZS_MIN_WINDOW_LOG2, smallLzModelBytes } from '../../src/codec/lzs.js';
import { CheckFailedError } from '../../src/errors.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { patchInfo, type PatchInfo } from '../../src/pipeline/info.js';
import { DEVICE_FIXED_STATE, TABLE_FIRST_RAM } from '../../src/pipeline/ram.js';
import { fixture } from './fixtures.js';

/** The least RAM each codec can need: its smallest model and a window of 2^8. */
const LEANEST_LZMA = DEVICE_FIXED_STATE + 2 * lzmaProbabilityCount({ lc: 0, lp: 0 }) + 2 ** 8;
const LEANEST_SMALL_LZ = DEVICE_FIXED_STATE + smallLzModelBytes({ windowLog2: LZS_MIN_WINDOW_LOG2, literalContext: 0 }) + 2 ** LZS_MIN_WINDOW_LOG2;

/** The RAM figure of docs/FORMAT.md from its parts. */
function expectConsistentRam(info: PatchInfo): void {
  const ram = info.deviceRam;
  expect(ram.fixedState).toBe(DEVICE_FIXED_STATE);
  expect(ram.smallTable).toBe(info.program.layout === 'table-first' ? TABLE_FIRST_RAM : 0);
  expect(ram.total).toBe(ram.fixedState + ram.codecModel + ram.codecWindow + ram.smallTable);
  expect(ram.streamingTotal).toBe(ram.total + info.tablesSize);
  if (info.codec === 'none') expect(ram.codecModel + ram.codecWindow).toBe(0);
}

describe('device RAM budget', () => {
  const [a, b] = [fixture('v1.2.0'), fixture('v2.0.0')];
  const same = (x: Uint8Array, y: Uint8Array): boolean => Buffer.from(x).equals(Buffer.from(y));
  let free: PatchInfo;
  /** The patch made when only the program without a codec fits: what every budget must at least match. */
  let lastResort: PatchInfo;

  beforeAll(async () => {
    free = patchInfo((await createPatch(a, b, { dictSize: 65536 })).bytes);
    lastResort = patchInfo((await createPatch(a, b, { maxDeviceRam: LEANEST_SMALL_LZ - 1 })).bytes);
  });

  it('every patch chosen under a budget fits it, adds up, and applies', async () => {
    expect(free.codec).toBe('lzma1');
    for (const budget of [free.deviceRam.total, 12_000, 10_000, LEANEST_LZMA, LEANEST_LZMA - 1, 3000, LEANEST_SMALL_LZ, LEANEST_SMALL_LZ - 1, DEVICE_FIXED_STATE]) {
      const { bytes } = await createPatch(a, b, { dictSize: 65536, maxDeviceRam: budget });
      const info = patchInfo(bytes);
      expect(info.deviceRam.total, `budget ${budget}`).toBeLessThanOrEqual(budget);
      expectConsistentRam(info);
      // Every compressed candidate competes with the stored program: a budget never does worse than the last resort.
      expect(info.patchSize, `budget ${budget}`).toBeLessThanOrEqual(lastResort.patchSize);
      if (budget === free.deviceRam.total) expect(info.patchSize, 'the free patch fits its own RAM figure').toBeLessThanOrEqual(free.patchSize);
      expect(same(await applyPatch(a.data, bytes), b.data), `budget ${budget}`).toBe(true);
    }
  });

  it('the codec follows the budget: LZMA needs its probabilities, codec 2 fits below them, the stored program below that', async () => {
    expect(lastResort.codec).toBe('none');
    expect(lastResort.deviceRam.total).toBe(DEVICE_FIXED_STATE);
    for (const budget of [LEANEST_LZMA - 1, 3000, LEANEST_SMALL_LZ]) {
      const info = patchInfo((await createPatch(a, b, { maxDeviceRam: budget })).bytes);
      expect(info.codec, `budget ${budget}`).toBe('small-lz');
      // Compression pays: smaller than the stored program.
      expect(info.patchSize).toBeLessThan(lastResort.patchSize);
    }
    // --codec lzma: LZMA where its model and window fit (the free patch's figure), else the stored program.
    const withLzma = patchInfo((await createPatch(a, b, { maxDeviceRam: free.deviceRam.total, codec: 'lzma' })).bytes);
    expect(withLzma.codec).toBe('lzma1');
    expect(withLzma.deviceRam.total).toBeLessThanOrEqual(free.deviceRam.total);
    const belowLzma = patchInfo((await createPatch(a, b, { maxDeviceRam: free.deviceRam.total - 1, codec: 'lzma' })).bytes);
    expect(belowLzma.codec).toBe('none');
    expect(belowLzma.patchSize).toBe(lastResort.patchSize);
  });

  it('a table-first patch counts its 384 bytes of entries: one byte less and the sectioned layout is chosen', async () => {
    const [x, y] = [fixture('v1.0.0'), fixture('v1.0.1')];
    const fits = patchInfo((await createPatch(x, y, { arch: 'cortex-m', maxDeviceRam: DEVICE_FIXED_STATE + TABLE_FIRST_RAM })).bytes);
    expect(fits.program.layout).toBe('table-first');
    expect(fits.deviceRam.total).toBe(DEVICE_FIXED_STATE + TABLE_FIRST_RAM);
    const tighter = patchInfo((await createPatch(x, y, { arch: 'cortex-m', maxDeviceRam: DEVICE_FIXED_STATE + TABLE_FIRST_RAM - 1 })).bytes);
    expect(tighter.program.layout).toBe('sectioned');
    expect(tighter.deviceRam.total).toBe(DEVICE_FIXED_STATE);
  });

  it('a budget below the fixed state is refused with the figure to aim for', async () => {
    for (const budget of [DEVICE_FIXED_STATE - 1, 400]) {
      await expect(createPatch(a, b, { maxDeviceRam: budget })).rejects.toThrow(CheckFailedError);
      await expect(createPatch(a, b, { maxDeviceRam: budget })).rejects.toThrow(
        new RegExp(`^no patch fits --max-ram ${budget} bytes of device RAM: the leanest patch of this pair needs ${DEVICE_FIXED_STATE} bytes `),
      );
    }
    await expect(createPatch(a, b, { arch: 'none', maxDeviceRam: 100 })).rejects.toThrow(/the leanest patch of this pair needs 512 bytes/);
  });
});
