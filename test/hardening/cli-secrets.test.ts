/**
 * Key handling through the CLI (issue 7, docs/SECURITY.md "Keys"): keygen writes the private key with mode
 * 0600; a private key that group or others can read gets a warning; and no output or error message of any
 * command that touches the key ever contains the private key (its seed in hex or base64, the PEM body) or
 * the passphrase.
 */
import { createPrivateKey } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrivateKey } from '../../src/crypto/index.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { runCli, type CliRun } from './cli-run.js';
import { fixtureBin } from './patch-seeds.js';

const dir = mkdtempSync(join(tmpdir(), 'smartdelta-secrets-'));
const at = (name: string): string => join(dir, name);
const PASSPHRASE = 'correct horse battery staple';
const runs: Array<{ args: string[]; run: CliRun }> = [];
let seed: Uint8Array;
let pemBody: string;

async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const run = await runCli(args, { SMARTDELTA_KEY_PASSPHRASE: undefined, ...env });
  runs.push({ args, run });
  return run;
}

beforeAll(async () => {
  const old = fixtureBin('v1.0.0');
  writeFileSync(at('old.bin'), old);
  writeFileSync(at('new.bin'), fixtureBin('v1.0.1'));
  const image = (data: Uint8Array): { data: Uint8Array; loadAddress: number } => ({ data, loadAddress: 0x0800_0000 });
  writeFileSync(at('patch.sdp'), (await createPatch(image(old), image(fixtureBin('v1.0.1')), { arch: 'none' })).bytes);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('private keys on disk', () => {
  it('keygen writes the private key with mode 0600 and never prints it', async () => {
    for (const json of [[], ['--json']]) {
      const name = json.length ? 'json.pem' : 'key.pem';
      const run = await cli(['keygen', '-o', at(name), '--pub-out', at(`${name}.pub`), ...json]);
      expect(run.code).toBe(0);
      expect(statSync(at(name)).mode & 0o777).toBe(0o600);
    }
    const text = readFileSync(at('key.pem'));
    seed = parsePrivateKey(new Uint8Array(text)).seed;
    pemBody = text.toString('utf8').split('\n').slice(1, -2).join('');
    const key = createPrivateKey({ key: text, format: 'pem' });
    writeFileSync(at('enc.pem'), key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }));
    chmodSync(at('enc.pem'), 0o600);
  });

  it('a private key readable by group or others is used with a warning naming chmod 600', async () => {
    writeFileSync(at('open.pem'), readFileSync(at('key.pem')));
    chmodSync(at('open.pem'), 0o644);
    const run = await cli(['sign', at('patch.sdp'), '-k', at('open.pem'), '-o', at('open.sdp')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`warning: private key ${at('open.pem')} is accessible by group or others (mode 0644); run: chmod 600 ${at('open.pem')}\n`);
    const quiet = await cli(['sign', at('patch.sdp'), '-k', at('key.pem'), '-o', at('quiet.sdp')]);
    expect(quiet.stderr).toBe('');
  });
});

describe('no secret in any output', () => {
  it('runs every command that reads the key, successful and failing', async () => {
    const key = at('key.pem');
    const commands: Array<[string[], Record<string, string | undefined>?]> = [
      [['getpub', '-k', key]],
      [['getpub', '-k', key, '-e', 'hex', '--json']],
      [['getpub', '-k', key, '-e', 'c']],
      [['getpub', '-k', key, '-e', 'raw', '--json']],
      [['sign', at('patch.sdp'), '-k', key, '-o', at('s1.sdp'), '--json']],
      [['sign', at('patch.sdp'), '-k', key, '-o', at('s1.sdp')]],
      [['diff', at('old.bin'), at('new.bin'), '-o', at('d.sdp'), '--key', key, '--arch', 'none', '--json']],
      [['verify', at('s1.sdp'), '--pub', key, '--old', at('old.bin'), '--json']],
      [['apply', at('old.bin'), at('s1.sdp'), '-o', at('out.bin'), '--pub', key]],
      [['verify', at('patch.sdp'), '--pub', key]],
      [['sign', at('patch.sdp'), '-k', at('enc.pem'), '-o', at('e1.sdp')], { SMARTDELTA_KEY_PASSPHRASE: PASSPHRASE }],
      [['sign', at('patch.sdp'), '-k', at('enc.pem'), '-o', at('e2.sdp')], { SMARTDELTA_KEY_PASSPHRASE: 'wrong' }],
      [['sign', at('patch.sdp'), '-k', at('enc.pem'), '-o', at('e3.sdp')]],
      [['getpub', '-k', at('enc.pem'), '--json'], { SMARTDELTA_KEY_PASSPHRASE: PASSPHRASE }],
      [['sign', at('patch.sdp'), '-k', key, '--debug']],
    ];
    for (const [args, env] of commands) await cli(args, env);
    // Damaged copies of the key: every error message is about the file, never its content.
    const text = readFileSync(key, 'utf8');
    const damaged = [
      text.replace('-----END PRIVATE KEY-----', `-----END ${pemBody}-----`),
      text.replace('-----BEGIN PRIVATE KEY-----', `-----BEGIN ${pemBody}-----`),
      text.replace(pemBody, pemBody.slice(0, -4)),
      text.replace(pemBody, `${pemBody.slice(0, 20)}!${pemBody.slice(21)}`),
      text + text,
      `${text}\n-----BEGIN PUBLIC KEY-----\n${pemBody}\n-----END PUBLIC KEY-----\n`,
      Buffer.from(pemBody, 'base64').subarray(0, 40).toString('latin1'),
    ];
    // Not in the list: a file of 64 hex digits (or 32 raw bytes) IS a public key form, so a seed stored that
    // way is read as a public key and getpub prints it back (docs/SECURITY.md, "What it does not do").
    for (const [i, content] of damaged.entries()) {
      writeFileSync(at(`bad${i}.pem`), content, 'latin1');
      chmodSync(at(`bad${i}.pem`), 0o600);
      const signRun = await cli(['sign', at('patch.sdp'), '-k', at(`bad${i}.pem`), '-o', at(`b${i}.sdp`)]);
      expect(signRun.code, `${content.slice(0, 40)}: ${signRun.stderr}`).toBe(3);
      await cli(['getpub', '-k', at(`bad${i}.pem`), '--json']);
    }
    expect(runs.length).toBeGreaterThan(30);
  });

  it('no stdout or stderr contains the seed (hex, any 8 bytes of it), the key base64 or the passphrase', () => {
    const seedHex = Buffer.from(seed).toString('hex');
    const seedBase64 = Buffer.from(seed).toString('base64');
    const windows = [
      ...Array.from({ length: 25 }, (_, i) => seedHex.slice(2 * i, 2 * i + 16)),
      ...Array.from({ length: pemBody.length - 16 }, (_, i) => pemBody.slice(i, i + 16)).filter((w, i) => i >= 20),
      seedBase64.slice(0, 16),
      PASSPHRASE,
    ];
    for (const { args, run } of runs) {
      const output = `${run.stdout}\n${run.stderr}`;
      for (const window of windows) {
        if (output.toLowerCase().includes(window.toLowerCase()) && window.length >= 16) {
          throw new Error(`smartdelta ${args.join(' ')} printed key material (${window}):\n${output}`);
        }
      }
    }
  });
});
