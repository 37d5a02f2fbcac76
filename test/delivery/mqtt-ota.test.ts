/**
 * Issue 15, "Done when": the MQTT notice validates against a JSON Schema written from the platform's documented
 * fields (docs/schema/mqtt-ota-notice.schema.json), and its digests match node:crypto. The validator is the
 * project's own subset validator (test/cli/json-schema.ts), which fails loudly on a keyword it does not know.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { otaNotice } from '../../src/delivery/mqtt-ota.js';
import { validate } from '../cli/json-schema.js';
import { signedPatchesToNewest, type SignedRelease } from './signed-fixtures.js';

const schema = JSON.parse(readFileSync(join(resolve(import.meta.dirname, '../..'), 'docs/schema/mqtt-ota-notice.schema.json'), 'utf8'));
let releases: SignedRelease[];

beforeAll(async () => {
  ({ releases } = await signedPatchesToNewest());
});

describe('MQTT OTA notice', () => {
  it('validates against the schema for every fixture patch, with SHA256 and MD5 signs from node:crypto', () => {
    for (const { patch } of releases) {
      const sha = otaNotice(patch, { url: 'https://updates.example.com/p.sdp', version: '2.0.0', isDiff: true });
      expect(validate(schema, sha)).toEqual([]);
      expect(sha.data).toMatchObject({ size: patch.length, version: '2.0.0', isDiff: 1, signMethod: 'SHA256', module: 'default' });
      expect(sha.data.sign).toBe(createHash('sha256').update(patch).digest('hex'));
      expect(sha.data.md5).toBeUndefined();
      const md5 = otaNotice(patch, { url: 'https://updates.example.com/p.sdp', version: '2.0.0', isDiff: true, signMethod: 'MD5', module: 'MCU', id: 1626969597470, extData: { key1: 'value1' } });
      expect(validate(schema, md5)).toEqual([]);
      expect(md5.data.sign).toBe(createHash('md5').update(patch).digest('hex'));
      expect(md5.data.md5).toBe(md5.data.sign);
    }
  });

  it('the schema rejects what the platform would not take', () => {
    const good = otaNotice(releases[0]!.patch, { url: 'https://u.example/p', version: '2.0.0', isDiff: true });
    const broken = (change: (d: Record<string, unknown>) => void): unknown => {
      const copy = JSON.parse(JSON.stringify(good));
      change(copy.data);
      return copy;
    };
    expect(validate(schema, broken((d) => (d.signMethod = 'CRC32')))).not.toEqual([]);
    expect(validate(schema, broken((d) => (d.signMethod = 'MD5')))).not.toEqual([]); // a 64-digit sign is not an MD5
    expect(validate(schema, broken((d) => delete d.url))).not.toEqual([]);
    expect(validate(schema, broken((d) => (d.version = 'v 2')))).not.toEqual([]);
    expect(validate(schema, broken((d) => (d.size = '2581')))).not.toEqual([]);
    expect(validate(schema, broken((d) => (d.extra = 1)))).not.toEqual([]);
  });

  it('refuses a version, url or sign method the platform would not take', () => {
    const data = releases[0]!.patch;
    expect(() => otaNotice(data, { url: 'https://u.example/p', version: 'x'.repeat(65), isDiff: true })).toThrow(UsageError);
    expect(() => otaNotice(data, { url: 'ftp://u.example/p', version: '1', isDiff: true })).toThrow(/http:\/\/, https:\/\/ or mqtt:\/\//);
    expect(() => otaNotice(data, { url: 'https://u.example/p', version: '1', isDiff: true, signMethod: 'SHA1' as 'MD5' })).toThrow(/SHA256 or MD5/);
  });
});
