/**
 * The delivery commands end to end: `package` for each transport (--json validated against
 * docs/schema/output.schema.json, the notice against docs/schema/mqtt-ota-notice.schema.json), and `serve`
 * as a process: --port 0 prints the chosen port, one log line per request, clean exit on SIGTERM and SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reassembleBlocks } from '../../src/delivery/blocks.js';
import { runCli, tempFilesIn } from '../hardening/cli-run.js';
import { validate } from '../cli/json-schema.js';
import { fixturePath } from '../pipeline/fixtures.js';
import { signedPatchesToNewest, type SignedRelease } from './signed-fixtures.js';

const repo = resolve(import.meta.dirname, '../..');
const outputSchema = JSON.parse(readFileSync(join(repo, 'docs/schema/output.schema.json'), 'utf8'));
const noticeSchema = JSON.parse(readFileSync(join(repo, 'docs/schema/mqtt-ota-notice.schema.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-delivery-cli-'));
const cwd = process.cwd();
let release: SignedRelease;

beforeAll(async () => {
  release = (await signedPatchesToNewest()).releases[0]!;
  writeFileSync(join(dir, 'update.sdp'), release.patch);
  writeFileSync(join(dir, 'broken.sdp'), release.patch.subarray(0, 40));
  writeFileSync(join(dir, 'firmware.bin'), readFileSync(fixturePath('v2.0.0', 'bin')));
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

async function json(args: string[], exitCode: number): Promise<Record<string, any>> {
  const run = await runCli([...args, '--json']);
  expect(run.code, `${args.join(' ')}\n${run.stderr}\n${run.stdout}`).toBe(exitCode);
  const document = JSON.parse(run.stdout) as Record<string, any>;
  expect(validate(outputSchema, document), run.stdout).toEqual([]);
  if (exitCode !== 0) expect(run.stderr).toContain(document.error.message);
  return document;
}

describe('package', () => {
  it('http-range: the fewest parts that fit the buffer, each with its CRC-32; refused past --max-parts', async () => {
    const doc = await json(['package', 'update.sdp', '--transport', 'http-range', '--device-buffer', '1K'], 0);
    expect(doc.parts.count).toBe(Math.ceil(release.patch.length / 1024));
    expect(doc.parts.list.every((p: { size: number }) => p.size <= 1024)).toBe(true);
    expect(doc.file).toEqual({ size: release.patch.length, sha256: createHash('sha256').update(release.patch).digest('hex') });
    expect(doc.patch.versionTo).toBe('2.0.0');
    expect(doc).toMatchObject({ notice: null, blocks: null, output: null });
    const text = await runCli(['package', 'update.sdp', '--transport', 'http-range', '--part-size', '1000']);
    expect(text.stdout.split('\n')[1]).toMatch(/^part 0 bytes=0-999 size 1000 crc32 [0-9a-f]{8}$/);
    const refused = await json(['package', 'update.sdp', '--transport', 'http-range', '--device-buffer', '16', '--max-parts', '100'], 1);
    expect(refused.error.message).toMatch(/need \d+ parts, more than the 100 a download may have/);
    expect((await json(['package', 'update.sdp', '--transport', 'http-range'], 2)).error.message).toMatch(/--device-buffer or --part-size/);
    expect((await json(['package', 'update.sdp', '--transport', 'http-range', '--device-buffer', '1K', '--url', 'https://x.example/u'], 2)).error.message).toBe(
      '--url applies to --transport mqtt-ota, not http-range',
    );
  });

  it('mqtt-ota: the notice validates against the schema; the version comes from the patch header or the option', async () => {
    const doc = await json(['package', 'update.sdp', '--transport', 'mqtt-ota', '--url', 'https://updates.example.com/update.sdp', '--sign-method', 'MD5', '--module', 'MCU', '-o', 'notice.json'], 0);
    const written = JSON.parse(readFileSync('notice.json', 'utf8'));
    expect(written).toEqual(doc.notice);
    expect(validate(noticeSchema, written)).toEqual([]);
    expect(written.data).toMatchObject({ version: '2.0.0', isDiff: 1, module: 'MCU', signMethod: 'MD5', sign: createHash('md5').update(release.patch).digest('hex') });
    const image = await json(['package', 'firmware.bin', '--transport', 'mqtt-ota', '--url', 'https://u.example/f.bin', '--firmware-version', '2.0.0'], 0);
    expect(validate(noticeSchema, image.notice)).toEqual([]);
    expect(image.notice.data).toMatchObject({ isDiff: 0, signMethod: 'SHA256' });
    expect(image.patch).toBeNull();
    expect((await json(['package', 'firmware.bin', '--transport', 'mqtt-ota', '--url', 'https://u.example/f.bin'], 2)).error.message).toMatch(/give --firmware-version/);
    expect((await json(['package', 'update.sdp', '--transport', 'mqtt-ota', '--url', 'https://u.example/f', '--sign-method', 'SHA1'], 2)).error.code).toBe('usage');
    expect((await json(['package', 'broken.sdp', '--transport', 'mqtt-ota', '--url', 'https://u.example/f'], 3)).error.message).toMatch(/^broken\.sdp starts like a smartdelta patch but does not parse/);
  });

  it('blocks: the block file reassembles to the patch; no partial file on a refused run', async () => {
    const doc = await json(['package', 'update.sdp', '--transport', 'blocks', '--block-size', '300', '-o', 'update.blocks.ndjson'], 0);
    expect(doc.blocks.count).toBe(Math.ceil(release.patch.length / 300));
    expect(doc.size).toBe(readFileSync('update.blocks.ndjson').length);
    expect(Buffer.from(reassembleBlocks(readFileSync('update.blocks.ndjson', 'utf8'))).equals(Buffer.from(release.patch))).toBe(true);
    expect((await json(['package', 'update.sdp', '--transport', 'blocks', '--block-size', '300', '-o', 'update.blocks.ndjson'], 4)).error.code).toBe('io');
    expect((await json(['package', 'update.sdp', '--transport', 'carrier-pigeon'], 2)).error.message).toMatch(/--transport must be http-range, mqtt-ota or blocks/);
    expect(tempFilesIn(dir)).toEqual([]);
  });
});

const tsxLoader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;

function startServe(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', tsxLoader, join(repo, 'test/cli/cli-entry.ts'), 'serve', ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitFor<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function fetchStatus(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((done, fail) => get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => (res.resume(), res.on('end', () => done(res.statusCode!)))).on('error', fail));
}

describe('serve', () => {
  it('prints the chosen port for --port 0, logs one line per request, and stops cleanly on SIGTERM', async () => {
    mkdirSync(join(dir, 'www'), { recursive: true });
    writeFileSync(join(dir, 'www', 'update.sdp'), release.patch);
    const server = startServe(['www', '--port', '0', '--token', 'tok', '--max-requests-per-connection', '2']);
    const port = await waitFor(() => /on http:\/\/127\.0\.0\.1:(\d+)\/ \(port \1\)/.exec(server.stdout())?.[1], 'the listening line');
    expect(await fetchStatus(Number(port), '/update.sdp', { Authorization: 'Bearer tok', Range: 'bytes=0-99' })).toBe(206);
    expect(await fetchStatus(Number(port), '/update.sdp', { Range: 'bytes=0-99' })).toBe(401);
    await waitFor(() => (server.stdout().split('\n').filter((l) => / GET /.test(l)).length === 2 ? true : undefined), 'two log lines');
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    const lines = server.stdout().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/ GET "\/update\.sdp" range "bytes=0-99" 206 100 bytes crc32 [0-9a-f]{8}$/);
    expect(lines[2]).toMatch(/ GET "\/update\.sdp" range "bytes=0-99" 401 0 bytes crc32 -$/);
    expect(lines[3]).toBe('stopped on SIGTERM after 2 request(s)');
    expect(server.stderr()).toBe('');
  });

  it('with --json, prints one document when stopped by SIGINT, the log on stderr', async () => {
    const server = startServe(['www', '--port', '0', '--json']);
    const port = await waitFor(() => /\(port (\d+)\)/.exec(server.stderr())?.[1], 'the listening line');
    expect(await fetchStatus(Number(port), '/update.sdp', {})).toBe(200);
    await waitFor(() => (/ GET /.test(server.stderr()) ? true : undefined), 'the log line');
    server.child.kill('SIGINT');
    expect(await server.exit).toBe(0);
    const doc = JSON.parse(server.stdout());
    expect(validate(outputSchema, doc)).toEqual([]);
    expect(doc).toMatchObject({ command: 'serve', ok: true, input: 'www', port: Number(port), requests: 1 });
  });

  it('refuses a folder that does not exist and a bad port', async () => {
    expect((await json(['serve', 'nowhere', '--port', '0'], 4)).error.message).toBe('cannot serve nowhere: no such directory');
    expect((await json(['serve', 'www', '--port', '70000'], 2)).error.code).toBe('usage');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });
});
