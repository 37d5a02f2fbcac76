/**
 * Issue 12, point 11: one corrupted fragment out of 29, with 15 spare, is found and left out (the block is
 * confirmed by the SHA-256 the fragment file carries), instead of "7 fragment(s) contradict the others".
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../hardening/cli-run.js';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-recover-'));
const cwd = process.cwd();
beforeAll(async () => {
  copyFileSync(join(repo, 'fixtures/build/v1.0.0/firmware.elf'), join(dir, 'old.elf'));
  copyFileSync(join(repo, 'fixtures/build/v1.1.0/firmware.elf'), join(dir, 'new.elf'));
  process.chdir(dir);
  expect((await runCli(['diff', 'old.elf', 'new.elf', '-o', 'p.sdp'])).code).toBe(0);
  expect((await runCli(['fragment', 'p.sdp', '--frag-size', '15', '--redundancy', '15', '-o', 'f.ndjson'])).code).toBe(0);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

/** The fragment file with one byte of the DataFragment `index` flipped. */
function corrupt(index: number, name: string): void {
  const lines = readFileSync('f.ndjson', 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { kind: string; index?: number; hex: string });
  const target = lines.find((l) => l.kind === 'data' && l.index === index)!;
  const last = target.hex.length - 2;
  target.hex = target.hex.slice(0, last) + (Number.parseInt(target.hex.slice(last), 16) ^ 0x5a).toString(16).padStart(2, '0');
  writeFileSync(name, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
}

describe('reassemble with a corrupted fragment', () => {
  it.each([3, 29, 40])('finds and drops corrupted fragment %i, writes the right block and says so', async (index) => {
    corrupt(index, `bad-${index}.ndjson`);
    const run = await runCli(['reassemble', `bad-${index}.ndjson`, '-o', `out-${index}.sdp`, '--json']);
    expect(run.code, run.stdout).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.dropped).toEqual([index]);
    expect(document.checks).toContainEqual(expect.objectContaining({ name: 'dropped', detail: expect.stringMatching(new RegExp(`fragment ${index} contradicted`)) }));
    expect(readFileSync(`out-${index}.sdp`)).toEqual(readFileSync('p.sdp'));
    const human = await runCli(['reassemble', `bad-${index}.ndjson`, '-o', `human-${index}.sdp`]);
    expect(human.stdout).toMatch(new RegExp(`^  drop  fragment ${index} contradicted the others and was left out`, 'm'));
  });

  it('two corrupted fragments: nothing written, and the message says leaving one out does not help', async () => {
    corrupt(3, 'one.ndjson');
    const lines = readFileSync('one.ndjson', 'utf8');
    writeFileSync('f.ndjson.bak', readFileSync('f.ndjson'));
    writeFileSync('f.ndjson', lines);
    corrupt(10, 'two.ndjson');
    writeFileSync('f.ndjson', readFileSync('f.ndjson.bak'));
    const run = await runCli(['reassemble', 'two.ndjson', '-o', 'never.sdp']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/leaving out any one fragment does not help; nothing written/);
    expect(existsSync('never.sdp')).toBe(false);
  });
});
