/**
 * Issue 15, "Done when", point 1: a signed fixture patch downloaded from the delivery server in parts with
 * node's own HTTP client, random part sizes, some parts fetched twice, every Digest CRC-32 checked against its
 * body with zlib.crc32, reassembled, verified and applied to the exact new image; a wrong token gets 401, a
 * range past the end 416, and a body corrupted on the server side is caught by its CRC.
 */
import { request, Agent, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryServer, type DeliveryServerOptions } from '../../src/delivery/serve.js';
import { crc32 } from '../../src/delivery/crc32.js';
import { verifyPatch } from '../../src/pipeline/verify.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { signedPatchesToNewest, testKey, type SignedRelease } from './signed-fixtures.js';

// zlib.crc32 is the independent computation (later Node 20.x, 22.2+); an early Node 20 falls back to ours.
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32 ?? ((data: Uint8Array) => crc32(data));
const TOKEN = 'release-test-token';
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-serve-'));
let release: SignedRelease;
let newest: Uint8Array;
const servers: Server[] = [];

beforeAll(async () => {
  const built = await signedPatchesToNewest();
  release = built.releases[0]!;
  newest = built.newest;
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'update.sdp'), release.patch);
  writeFileSync(join(dir, 'secret.txt'), 'outside the served folder');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'www', 'link.txt'));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  rmSync(dir, { recursive: true, force: true });
});

async function start(options: Partial<DeliveryServerOptions> = {}): Promise<{ port: number; log: string[] }> {
  const log: string[] = [];
  const server = createDeliveryServer({ dir: join(dir, 'www'), log: (line) => log.push(line), ...options });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { port: (server.address() as AddressInfo).port, log };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  socket: Socket;
}

function get(port: number, path: string, headers: Record<string, string>, agent?: Agent): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), socket: req.socket! }));
    });
    req.on('error', fail);
    req.end();
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };

/** What a device client does: fetch parts, check each one's CRC-32 Digest, place it. */
async function download(port: number, partSizes: number[], repeat: boolean[], agent: Agent): Promise<Uint8Array> {
  let total = -1;
  let out = new Uint8Array(0);
  for (let offset = 0, i = 0; total < 0 || offset < total; i++) {
    const size = partSizes[i % partSizes.length]!;
    const fetchPart = async (): Promise<Buffer> => {
      const a = await get(port, '/update.sdp', { ...auth, Range: `bytes=${offset}-${offset + size - 1}` }, agent);
      expect(a.status).toBe(206);
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(a.headers['content-range']));
      expect(range, String(a.headers['content-range'])).not.toBeNull();
      expect(Number(range![1])).toBe(offset);
      expect(Number(range![2]) - offset + 1).toBe(a.body.length);
      const digest = /^crc32=([0-9a-f]{8})$/.exec(String(a.headers.digest));
      expect(digest, String(a.headers.digest)).not.toBeNull();
      const actual = zlibCrc32(a.body).toString(16).padStart(8, '0');
      if (actual !== digest![1]) throw new Error(`part at ${offset}: CRC-32 ${actual} of the body, Digest says ${digest![1]}`);
      if (total < 0) {
        total = Number(range![3]);
        out = new Uint8Array(total);
      }
      return a.body;
    };
    const body = await fetchPart();
    // Some parts twice, as after a lost answer: the same bytes again.
    if (repeat[i % repeat.length]) expect(await fetchPart()).toEqual(body);
    out.set(body, offset);
    offset += body.length;
  }
  return out;
}

describe('serve: a device client downloading a signed patch in parts', () => {
  it('reassembles the exact patch from random part sizes, some fetched twice; it verifies and applies to the new image', async () => {
    const { port, log } = await start({ token: TOKEN });
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }), async (sizes, repeat) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const before = log.length;
        const data = await download(port, sizes, repeat, agent);
        agent.destroy();
        requests += log.length - before;
        expect(Buffer.from(data).equals(Buffer.from(release.patch))).toBe(true);
        const report = await verifyPatch(data, { publicKey: testKey.publicKey, old: release.old, new: newest });
        expect(report.checks.filter((c) => !c.ok)).toEqual([]);
        expect(Buffer.from(await applyPatch(release.old, data)).equals(Buffer.from(newest))).toBe(true);
      }),
      { numRuns: 15 },
    );
    // One log line per request.
    expect(requests).toBeGreaterThan(15);
    expect(log.every((line) => /^\S+Z 127\.0\.0\.1 GET "\/update\.sdp" range "bytes=\d+-\d+" 206 \d+ bytes crc32 [0-9a-f]{8}$/.test(line))).toBe(true);
  });

  it('answers 401 without the right token, 416 past the end, 403 outside the folder, 404 for no file', async () => {
    const { port, log } = await start({ token: TOKEN });
    const size = release.patch.length;
    expect((await get(port, '/update.sdp', { Authorization: 'Bearer wrong-token-value', Range: 'bytes=0-9' })).status).toBe(401);
    const none = await get(port, '/update.sdp', {});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const past = await get(port, '/update.sdp', { ...auth, Range: `bytes=${size}-${size + 10}` });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${size}`);
    expect((await get(port, '/update.sdp', { ...auth, Range: 'bytes=0-1,4-5' })).status).toBe(416);
    expect((await get(port, '/../secret.txt', auth)).status).toBe(403);
    expect((await get(port, '/%2e%2e/secret.txt', auth)).status).toBe(403);
    expect((await get(port, '/link.txt', auth)).status).toBe(403);
    expect((await get(port, '/missing.sdp', auth)).status).toBe(404);
    expect((await get(port, '/', auth)).status).toBe(404);
    const whole = await get(port, '/update.sdp', auth);
    expect(whole.status).toBe(200);
    expect(whole.headers.digest).toBe(`crc32=${zlibCrc32(release.patch).toString(16).padStart(8, '0')}`);
    expect(whole.body.equals(Buffer.from(release.patch))).toBe(true);
    expect(log.map((l) => l.split(' ').at(-5))).toEqual(['401', '401', '416', '416', '403', '403', '403', '404', '404', '200']);
  });

  it('a body corrupted on the server side is caught by its CRC', async () => {
    // The Digest is computed before the fault, as when the bytes are damaged on the way.
    const { port } = await start({
      token: TOKEN,
      corruptBody: (_path, start, body) => {
        if (start <= 1000 && 1000 < start + body.length) body[1000 - start]! ^= 0x20;
        return body;
      },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await expect(download(port, [256], [false], agent)).rejects.toThrow(/^part at 768: CRC-32 [0-9a-f]{8} of the body, Digest says [0-9a-f]{8}$/);
    agent.destroy();
  });

  it('closes a connection after the configured number of requests', async () => {
    const { port } = await start({ maxRequestsPerConnection: 3 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const answers: Answer[] = [];
    for (let i = 0; i < 7; i++) answers.push(await get(port, '/update.sdp', { Range: `bytes=${i * 10}-${i * 10 + 9}` }, agent));
    agent.destroy();
    expect(answers.map((a) => a.headers.connection)).toEqual(['keep-alive', 'keep-alive', 'close', 'keep-alive', 'keep-alive', 'close', 'keep-alive']);
    expect(new Set(answers.map((a) => a.socket)).size).toBe(3);
  });
});
