/**
 * The long fuzz run (issue 7): the fuzz-*.test.ts files of this folder with their runs multiplied by
 * SMARTDELTA_FUZZ_SCALE (default 40: about 120,000 mutated inputs across the parsers). Run it with
 * `npm run fuzz`, i.e. `npx vitest run --config test/hardening/fuzz.config.ts`; the summary at the end gives
 * the mutations per parser and the time. A failing property prints its counterexample and seed as usual.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const log = process.env.SMARTDELTA_FUZZ_LOG ?? join(tmpdir(), `smartdelta-fuzz-${process.pid}.ndjson`);
process.env.SMARTDELTA_FUZZ_LOG = log;

export default defineConfig({
  test: {
    root: resolve(import.meta.dirname, '../..'),
    include: ['test/hardening/fuzz-*.test.ts'],
    testTimeout: 4 * 60 * 60 * 1000,
    hookTimeout: 10 * 60 * 1000,
    env: {
      SMARTDELTA_FUZZ_SCALE: process.env.SMARTDELTA_FUZZ_SCALE ?? '40',
      SMARTDELTA_FUZZ_LOG: log,
    },
    globalSetup: ['test/hardening/fuzz-summary.ts'],
  },
});
