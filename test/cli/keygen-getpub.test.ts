/** `smartdelta keygen` and `smartdelta getpub`, run as a user runs them (from the sources through tsx). */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePrivateKeyPem, generatePrivateKey, keyIdHex, parsePrivateKey, parsePublicKey } from '../../src/crypto/keys.js';

const repo = resolve(import.meta.dirname, '../..');
const tsxLoader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
const entry = join(repo, 'test/cli/cli-entry.ts');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-keys-'));
const file = (name: string): string => join(dir, name);
const posix = process.platform !== 'win32';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
function smartdelta(args: string[], env: Record<string, string> = {}): Run {
  const result = spawnSync(process.execPath, ['--import', tsxLoader, entry, ...args], {
    cwd: dir,
    encoding: 'latin1',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// The key every test below reads: made once by the command under test.
let keygenRun: Run;
beforeAll(() => {
  keygenRun = smartdelta(['keygen', '-o', 'key.pem', '--pub-out', 'pub.pem', '--json']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('smartdelta keygen', () => {
  it('writes a 0600 PKCS#8 key and its public key, and prints the key id but never the private key', () => {
    const run = keygenRun;
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    const key = parsePrivateKey(readFileSync(file('key.pem')));
    const publicKey = parsePublicKey(readFileSync(file('pub.pem')));
    expect(Buffer.from(publicKey).equals(Buffer.from(key.publicKey))).toBe(true);
    expect(report).toEqual({
      command: 'keygen',
      ok: true,
      exitCode: 0,
      error: null,
      output: 'key.pem',
      size: statSync(file('key.pem')).size,
      pubOut: 'pub.pem',
      keyId: keyIdHex(publicKey),
      publicKey: Buffer.from(publicKey).toString('hex'),
      warnings: [],
    });
    expect(run.stdout).not.toContain(Buffer.from(key.seed).toString('hex'));
    expect(run.stdout).not.toContain(readFileSync(file('key.pem'), 'latin1').split('\n')[1]);
    if (posix) expect(statSync(file('key.pem')).mode & 0o777).toBe(0o600);
  });

  it('refuses to replace a key without --force, and keeps mode 0600 with it', () => {
    const before = readFileSync(file('key.pem'), 'latin1');
    const refused = smartdelta(['keygen', '-o', 'key.pem']);
    expect(refused.status).toBe(4);
    expect(refused.stderr).toMatch(/key\.pem exists; use --force/);
    expect(readFileSync(file('key.pem'), 'latin1')).toBe(before);
    const same = smartdelta(['keygen', '-o', 'new.pem', '--pub-out', './new.pem']);
    expect(same.status).toBe(2);
    expect(existsSync(file('new.pem'))).toBe(false);

    writeFileSync(file('other.pem'), 'x', { mode: 0o644 });
    const forced = smartdelta(['keygen', '-o', 'other.pem', '--force']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toMatch(/^wrote private key other\.pem \(mode 0600\)\nkey id [0-9a-f]{16}\n$/);
    if (posix) expect(statSync(file('other.pem')).mode & 0o777).toBe(0o600);
    expect(() => parsePrivateKey(readFileSync(file('other.pem')))).not.toThrow();
  });
});

describe('smartdelta getpub', () => {
  it('prints the SubjectPublicKeyInfo PEM by default, without a warning for a 0600 key', () => {
    const run = smartdelta(['getpub', '-k', 'key.pem']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(readFileSync(file('pub.pem'), 'latin1'));
    expect(run.stderr).toBe(posix ? '' : run.stderr);
  });

  it('writes hex, raw and C encodings', () => {
    const publicKey = parsePublicKey(readFileSync(file('pub.pem')));
    const hex = Buffer.from(publicKey).toString('hex');
    const json = smartdelta(['getpub', '-k', 'pub.pem', '-e', 'hex', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ output: null, size: null, keyId: keyIdHex(publicKey), publicKey: hex, encoding: 'hex', text: `${hex}\n` });

    expect(smartdelta(['getpub', '-k', 'key.pem', '-e', 'raw', '-o', 'pub.raw']).status).toBe(0);
    expect(Buffer.from(readFileSync(file('pub.raw'))).toString('hex')).toBe(hex);

    const c = smartdelta(['getpub', '-k', 'pub.raw', '-e', 'c']);
    expect(c.status).toBe(0);
    expect(c.stdout).toContain(`key id ${keyIdHex(publicKey)}`);
    expect(c.stdout).toContain('const uint8_t smartdelta_pubkey[32] = {');
    const bytes = [...c.stdout.matchAll(/0x([0-9a-f]{2})/g)].map((m) => m[1]).join('');
    expect(bytes).toBe(hex);
  });

  it('refuses raw bytes on stdout with --json, and an unknown encoding', () => {
    const raw = smartdelta(['getpub', '-k', 'key.pem', '-e', 'raw', '--json']);
    expect(raw.status).toBe(2);
    expect(JSON.parse(raw.stdout)).toMatchObject({ ok: false, error: { code: 'usage' } });
    const bad = smartdelta(['getpub', '-k', 'key.pem', '-e', 'der']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--encoding must be one of pem, raw, hex, c, got "der"/);
  });

  it.skipIf(!posix)('warns when the private key file is readable by others', () => {
    writeFileSync(file('shared.pem'), encodePrivateKeyPem(generatePrivateKey().seed));
    chmodSync(file('shared.pem'), 0o644);
    const run = smartdelta(['getpub', '-k', 'shared.pem', '-e', 'hex']);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/warning: private key shared\.pem is accessible by group or others \(mode 0644\); run: chmod 600 shared\.pem/);
  });

  it('names a key of another algorithm, without printing key material', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(file('rsa.pem'), rsa, { mode: 0o600 });
    const run = smartdelta(['getpub', '-k', 'rsa.pem']);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/^error: rsa\.pem: this is a private key for RSA; smartdelta needs an Ed25519 key/);
    expect(run.stderr).not.toContain(rsa.split('\n')[1]!.slice(0, 16));
    expect(existsSync(file('rsa.pub'))).toBe(false);
  });

  it('reads an encrypted key with SMARTDELTA_KEY_PASSPHRASE, and says so when it is missing', () => {
    const pair = generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(file('encrypted.pem'), pair.privateKey, { mode: 0o600 });
    const missing = smartdelta(['getpub', '-k', 'encrypted.pem'], { SMARTDELTA_KEY_PASSPHRASE: '' });
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/encrypted\.pem: the private key is encrypted; set SMARTDELTA_KEY_PASSPHRASE/);
    const ok = smartdelta(['getpub', '-k', 'encrypted.pem'], { SMARTDELTA_KEY_PASSPHRASE: 'pw' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(pair.publicKey);
  });
});
