/** docs/CLI.md is generated from the CLI's own --help; it must match what the built CLI says. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('docs/CLI.md', () => {
  it.skipIf(!existsSync(join(root, 'dist/cli/main.js')))('matches the --help of every command', () => {
    const run = spawnSync(process.execPath, [join(root, 'scripts/cli-reference.js'), '--check'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  });
});
