/**
 * `npm test` runs every fast-check property from one fixed seed, so a run on CI is the run on a laptop: a
 * property that fails, fails for everyone, and a green CI is not luck. Exploration with fresh seeds is the
 * long fuzz run's job (`npm run fuzz`, which does not load this file). `SMARTDELTA_FC_SEED=<n>` replays or
 * explores another seed; `SMARTDELTA_FC_SEED=random` lets fast-check pick one and print it on failure.
 */
import fc from 'fast-check';

const FIXED_SEED = 0x5d_2026;

const chosen = process.env.SMARTDELTA_FC_SEED;
if (chosen !== 'random') {
  const seed = chosen === undefined ? FIXED_SEED : Number(chosen);
  if (!Number.isSafeInteger(seed)) throw new Error(`SMARTDELTA_FC_SEED must be an integer or "random", got "${chosen}"`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
