/**
 * Issue 13: createFleet builds one patch per deployed image on a pool of threads; each is exactly the patch
 * createPatch makes alone, in the order given, whichever thread built it.
 */
import { describe, expect, it } from 'vitest';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { createFleet, fleetThreads } from '../../src/pipeline/fleet.js';
import { fixture, VERSIONS } from './fixtures.js';

const deployed = VERSIONS.slice(0, -1);
const newest = VERSIONS[VERSIONS.length - 1]!;

describe('createFleet', () => {
  it.each([1, 2])('with %i thread(s) gives the patches createPatch makes alone, in order, counting each', async (jobs) => {
    const counts: number[] = [];
    const fleet = await createFleet(deployed.map((v) => fixture(v)), fixture(newest), { jobs, onPatchDone: (done) => counts.push(done) });
    const alone = await Promise.all(deployed.map(async (v) => (await createPatch(fixture(v), fixture(newest))).bytes));
    expect(fleet.map((p) => Buffer.from(p.bytes).toString('hex'))).toEqual(alone.map((b) => Buffer.from(b).toString('hex')));
    expect(counts).toEqual([1, 2, 3, 4]);
  }, 60_000);

  it('passes the creation options to every pair, in the workers too', async () => {
    const options = { arch: 'none' as const, versionTo: '2.0.0', securityCounter: 3 };
    const fleet = await createFleet([fixture('v1.1.0'), fixture('v1.2.0')], fixture(newest), { ...options, jobs: 2 });
    for (const [i, v] of (['v1.1.0', 'v1.2.0'] as const).entries()) {
      expect(Buffer.from(fleet[i]!.bytes).equals((await createPatch(fixture(v), fixture(newest), options)).bytes)).toBe(true);
    }
  }, 60_000);

  it('refuses an empty fleet and a thread count that is not a positive integer', async () => {
    await expect(createFleet([], fixture(newest))).rejects.toThrow('a fleet needs at least one deployed image');
    expect(() => fleetThreads(0, 3)).toThrow('positive integer, got 0');
    expect(fleetThreads(undefined, 3, 8)).toBe(3);
    expect(fleetThreads(2, 5, 1)).toBe(2);
  });

  it('hands a failure back with its exit code', async () => {
    await expect(createFleet([fixture('v1.1.0'), fixture('v1.2.0')], fixture(newest), { jobs: 2, securityCounter: -1 })).rejects.toMatchObject({ exitCode: 2 });
  });
});
