/**
 * Interrupted runs (issue 7, docs/SECURITY.md "Files"): SIGINT or SIGTERM during a long diff leaves no output
 * and no temporary file; a signal that arrives while the output is being written is handled after the
 * write, which has then renamed a complete file into place or removed its temporary file.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.js';
import { REPO } from './harness.js';
import { encodeUvarint } from './mutate.js';
import { writeRawHeader } from './malformed-inputs.js';

const tsx = pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;
const cliEntry = join(REPO, 'test/cli/cli-entry.ts');
const writeChild = join(REPO, 'test/hardening/write-child.ts');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-interrupt-'));
const IMAGE_SIZE = 8 * 1024 * 1024;

beforeAll(() => {
  const old = randomBytes(IMAGE_SIZE);
  const neu = Buffer.from(old);
  for (let i = 0; i < neu.length; i += 4096) neu[i]! ^= 0x55;
  writeFileSync(join(dir, 'old.bin'), old);
  writeFileSync(join(dir, 'new.bin'), neu);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

function spawnNode(args: string[], cwd: string): { child: ReturnType<typeof spawn>; exit: Promise<Exit> } {
  const child = spawn(process.execPath, ['--import', tsx, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.resume();
  const exit = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout })));
  return { child, exit };
}

/**
 * Waits until the child has used `seconds` of CPU (Linux /proc; about 1 s of it is start-up, the rest is the
 * diff itself), so the signal lands in the middle of the work even on a loaded machine; elsewhere, 2 s.
 */
async function busyFor(pid: number, seconds: number): Promise<void> {
  const started = Date.now();
  const statFile = `/proc/${pid}/stat`;
  if (!existsSync(statFile)) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return;
  }
  while (Date.now() - started < 30_000) {
    try {
      const fields = readFileSync(statFile, 'utf8').replace(/^.*\) /, '').split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, fields 14 and 15 of stat(5)
      if (ticks / 100 >= seconds) return;
    } catch {
      return; // the process is gone
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('interrupted runs leave no partial and no temporary file', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during a diff of an 8 MiB image pair`, async () => {
      const work = mkdtempSync(join(dir, `${signal}-`));
      const { child, exit } = spawnNode([cliEntry, 'diff', join(dir, 'old.bin'), join(dir, 'new.bin'), '-o', join(work, 'out.sdp'), '--arch', 'none'], work);
      await busyFor(child.pid!, 2.0);
      child.kill(signal);
      const result = await exit;
      // Interrupted, not finished: killed by the signal, or ended by the CLI's handler with 128 + signal number.
      expect(result.code === 0, 'the diff finished before the signal; use larger images').toBe(false);
      expect(result.signal === signal || result.code === (signal === 'SIGINT' ? 130 : 143)).toBe(true);
      expect(readdirSync(work)).toEqual([]);
    });
  }

  // The built CLI (bin/smartdelta.js, built by `npm ci`): under tsx the bug did not show, as something of the
  // loader kept the event loop alive long enough for the handler to run.
  it.skipIf(!existsSync(join(REPO, 'dist/cli/main.js')))('SIGTERM while `apply` writes its output: exit 143 (it was always 0), the output complete, no temporary file', async () => {
    // A 48 MiB image and a patch of a few bytes that copies it (one interleaved entry, one sparse run of zeros).
    const work = mkdtempSync(join(dir, 'apply-write-'));
    const size = 48 * 1024 * 1024;
    const image = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) image.writeUInt32LE(i, i);
    const program = Uint8Array.from([0, ...encodeUvarint(size), 0, ...encodeUvarint(size)]);
    const digest = sha256(image);
    const header = writeRawHeader({ magic: [0x53, 0x44], version: 2, flags: 0x10, codec: 0, oldSize: size, newSize: size, oldLoad: 0, oldCheck: digest.slice(0, 8), newSha: digest, payloadLength: program.length });
    writeFileSync(join(work, 'old.bin'), image);
    writeFileSync(join(work, 'copy.sdp'), Buffer.concat([header, program]));
    const output = join(work, 'new.bin');
    // Node runs a signal handler from its event loop, and the signal reaches a thread of the process when the
    // kernel schedules one: on a loaded machine it can come after the CLI's last look, and the run ends 0 with
    // the complete output. Every run sent a signal during the write must end 143 or 0, complete, with no
    // temporary file; at least one of them must end 143 (before the fix every one ended 0).
    let interrupted = 0;
    for (let attempt = 0; attempt < 8 && interrupted === 0; attempt++) {
      rmSync(output, { force: true });
      const child = spawn(process.execPath, [join(REPO, 'bin/smartdelta.js'), 'apply', 'old.bin', 'copy.sdp', '-o', output], { cwd: work, stdio: 'ignore' });
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      const started = Date.now();
      const writing = (): boolean => readdirSync(work).some((n) => n.endsWith('.tmp'));
      while (Date.now() - started < 60_000 && !existsSync(output) && !writing()) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      child.kill('SIGTERM');
      // The signal is pending once kill returns: if the temporary file is still there, it came before the rename.
      const during = writing();
      const result = await exit;
      expect(readdirSync(work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      if (!during) continue;
      expect([0, 143], 'a SIGTERM during the write ends the run with 143 (or 0 when it arrives as the run ends)').toContain(result.code);
      expect(result.signal).toBeNull();
      expect(statSync(output).size).toBe(size);
      if (result.code === 143) interrupted++;
    }
    expect(interrupted, 'no run sent SIGTERM during its write ended with 143').toBe(1);
  }, 180_000);

  it('SIGINT while the output is being written: the write completes or its temporary file is removed', async () => {
    const work = mkdtempSync(join(dir, 'write-'));
    const output = join(work, 'big.bin');
    const size = 128 * 1024 * 1024;
    const { child, exit } = spawnNode([writeChild, output, String(size)], work);
    // Wait until the temporary file exists: the write has started.
    const started = Date.now();
    while (!readdirSync(work).some((n) => n.endsWith('.tmp'))) {
      if (Date.now() - started > 20_000 || existsSync(output)) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGINT');
    const result = await exit;
    expect(readdirSync(work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    if (existsSync(output)) expect(statSync(output).size).toBe(size);
    // The signal was handled after the synchronous write, by the handler that exits with 130.
    expect(result.code).toBe(130);
    expect(result.stdout).toBe('written\n');
  });
});
