/**
 * Issue 5, end to end: a signed fixture patch is cut into TS004 fragments, 20 % of them are dropped at random,
 * the rest are reassembled as a device would, and the result verifies and applies to the new image.
 * Once through the library (several loss patterns), once through the real CLI and its files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signPatch } from '../../src/container/sign.js';
import { generatePrivateKey } from '../../src/crypto/keys.js';
import { fragmentFile, reassemble } from '../../src/lorawan/index.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { verifyPatch } from '../../src/pipeline/verify.js';

const root = join(import.meta.dirname, '../..');
const fixture = (v: string): Uint8Array => new Uint8Array(readFileSync(join(root, 'fixtures/build', v, 'firmware.bin')));
const image = (v: string) => ({ data: fixture(v), loadAddress: 0x0800_0000 });

/** Deterministic generator (mulberry32) so a failing loss pattern can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('FUOTA end to end: sign, fragment, lose 20 %, reassemble, verify, apply', () => {
  it.each([1, 2, 3, 4, 5])('library, loss pattern %i', async (seed) => {
    const key = generatePrivateKey();
    const { bytes } = await createPatch(image('v1.2.0'), image('v2.0.0'));
    const signed = signPatch(bytes, key);
    // Redundancy planned for the loss the campaign expects, as an operator would.
    const session = fragmentFile(signed, { region: 'EU868', dr: 0, redundancy: 'auto', loss: 0.2, confidence: 0.999 });
    const rng = random(seed);
    const received = session.fragments.filter(() => rng() >= 0.2);
    expect(received.length).toBeLessThan(session.fragments.length);

    const result = reassemble(received, session.params);
    expect(result.ok, result.ok ? '' : result.message).toBe(true);
    if (!result.ok) return;
    expect(Buffer.from(result.data).equals(Buffer.from(signed))).toBe(true);

    const report = await verifyPatch(result.data, { publicKey: key.publicKey, old: fixture('v1.2.0'), new: fixture('v2.0.0') });
    expect(report.ok, JSON.stringify(report.checks)).toBe(true);
    expect(Buffer.from(await applyPatch(fixture('v1.2.0'), result.data)).equals(Buffer.from(fixture('v2.0.0')))).toBe(true);
  });

  const cli = join(root, 'bin/smartdelta.js');
  const built = existsSync(join(root, 'dist/cli/main.js'));
  const dir = mkdtempSync(join(tmpdir(), 'smartdelta-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]): string => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it.skipIf(!built)('CLI: keygen, diff --key, fragment, drop 20 % of the lines, reassemble, verify, apply', () => {
    const f = (name: string): string => join(dir, name);
    const fx = (v: string): string => join(root, 'fixtures/build', v, 'firmware.bin');
    run('keygen', '-o', f('key.pem'), '--pub-out', f('pub.pem'));
    run('diff', fx('v1.0.1'), fx('v1.1.0'), '-o', f('patch.sdp'), '--key', f('key.pem'));
    run('fragment', f('patch.sdp'), '--region', 'EU868', '--dr', '0', '--loss', '20%', '--confidence', '99.9%', '-o', f('frags.ndjson'));

    const lines = readFileSync(f('frags.ndjson'), 'utf8').trim().split('\n');
    const rng = random(42);
    const [setup, ...data] = lines;
    const kept = data.filter(() => rng() >= 0.2);
    expect(kept.length).toBeLessThan(data.length);
    writeFileSync(f('received.ndjson'), `${[setup, ...kept].join('\n')}\n`);

    run('reassemble', f('received.ndjson'), '-o', f('received.sdp'));
    expect(readFileSync(f('received.sdp')).equals(readFileSync(f('patch.sdp')))).toBe(true);
    const verify = spawnSync(process.execPath, [cli, 'verify', f('received.sdp'), '--pub', f('pub.pem'), '--old', fx('v1.0.1'), '--new', fx('v1.1.0'), '--json'], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).ok).toBe(true);
    run('apply', fx('v1.0.1'), f('received.sdp'), '-o', f('v1.1.0.bin'), '--pub', f('pub.pem'));
    expect(readFileSync(f('v1.1.0.bin')).equals(readFileSync(fx('v1.1.0')))).toBe(true);

    // Far too many lost: reassemble exits 1 and writes nothing.
    writeFileSync(f('starved.ndjson'), `${[setup, ...data.slice(0, 3)].join('\n')}\n`);
    const starved = spawnSync(process.execPath, [cli, 'reassemble', f('starved.ndjson'), '-o', f('starved.sdp')], { encoding: 'utf8' });
    expect(starved.status).toBe(1);
    expect(existsSync(f('starved.sdp'))).toBe(false);
  });
});
