/** createPatch's device RAM budget (--max-ram): the smallest patch whose RAM figure fits, or a clear refusal. */
import { describe, expect, it } from 'vitest';
import { CheckFailedError } from '../../src/errors.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { fixture } from './fixtures.js';

describe('device RAM budget', () => {
  const [a, b] = [fixture('v1.2.0'), fixture('v2.0.0')];

  it('every patch chosen under a budget fits it and applies', async () => {
    const free = patchInfo((await createPatch(a, b, { dictSize: 65536 })).bytes);
    for (const budget of [free.deviceRam.total, 12_000, 10_000]) {
      const { bytes } = await createPatch(a, b, { dictSize: 65536, maxDeviceRam: budget });
      const info = patchInfo(bytes);
      expect(info.deviceRam.total).toBeLessThanOrEqual(budget);
      expect(info.patchSize).toBeGreaterThanOrEqual(free.patchSize);
      expect(Buffer.from(await applyPatch(a.data, bytes)).equals(Buffer.from(b.data))).toBe(true);
    }
  });

  it('a budget no variant can meet is refused with the figure to aim for', async () => {
    await expect(createPatch(a, b, { maxDeviceRam: 4000 })).rejects.toThrow(CheckFailedError);
    await expect(createPatch(a, b, { maxDeviceRam: 4000 })).rejects.toThrow(/no patch fits --max-ram 4000 bytes of device RAM: the leanest variant needs about \d+ bytes/);
  });
});
