/** Fragment files: NDJSON and binary round trips, hex lines, detection by content, and clear errors. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { createRng, fragmentFile, parseFragmentFile, reassemble, serializeSession, toHex } from '../../src/lorawan/index.js';

const data = (() => {
  const rng = createRng(4);
  return Uint8Array.from({ length: 2000 }, () => Math.floor(rng() * 256));
})();
const session = fragmentFile(data, { fragSize: 48, redundancy: 12, fragIndex: 1 });
const text = (format: 'ndjson' | 'binary'): Uint8Array => serializeSession(session, format);
const lines = (): string[] => new TextDecoder().decode(text('ndjson')).trimEnd().split('\n');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function invalid(input: Uint8Array): string {
  try {
    parseFragmentFile(input, 'f');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as Error).message;
  }
  throw new Error('expected invalid input');
}

describe('fragment files', () => {
  it('NDJSON: a setup line then one line per downlink, hex = the FRMPayload on FPort 201', () => {
    const all = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(all.length).toBe(1 + session.fragments.length);
    expect(all[0]).toMatchObject({ fport: 201, cid: '0x02', kind: 'setup', hex: toHex(session.setup), ts004: 1, nbFrag: 42, fragSize: 48, padding: 16, dataSize: 2000 });
    expect(all[0]!.sha256).toBe(toHex(session.params.sha256));
    expect(all[1]).toEqual({ fport: 201, cid: '0x08', kind: 'data', index: 1, coded: false, hex: toHex(session.fragments[0]!.command) });
    expect(all[43]).toMatchObject({ index: 43, coded: true });
  });

  for (const format of ['ndjson', 'binary'] as const) {
    it(`${format}: round trip, detected by content`, () => {
      const parsed = parseFragmentFile(text(format));
      expect(parsed.format).toBe(format);
      expect(parsed).toMatchObject({ fport: 201, version: 1, ignored: 0 });
      expect(parsed.setup).toMatchObject({ nbFrag: 42, fragSize: 48, padding: 16, fragIndex: 1 });
      expect(parsed.sha256).toEqual(session.params.sha256);
      expect(parsed.fragments.map((f) => f.index)).toEqual(session.fragments.map((f) => f.index));
      const result = reassemble(parsed.fragments, { ...parsed.setup, version: parsed.version, sha256: parsed.sha256! });
      expect(result.ok && toHex(result.data)).toBe(toHex(data));
    });
  }

  it('binary layout: SDLF, version 1, SHA-256 flag, record count, hash, then [fport][u16 length][bytes]', () => {
    const bin = text('binary');
    expect(toHex(bin.subarray(0, 6))).toBe('53444c460101');
    expect(new DataView(bin.buffer).getUint32(6, true)).toBe(1 + session.fragments.length);
    expect(bin.subarray(10, 42)).toEqual(session.params.sha256);
    expect(toHex(bin.subarray(42, 45))).toBe('c90b00');
    expect(bin.subarray(45, 56)).toEqual(session.setup);
    expect(invalid(bin.subarray(0, bin.length - 1))).toMatch(/truncated at offset/);
    expect(invalid(Uint8Array.of(...bin, 0))).toMatch(/1 unexpected byte/);
  });

  it('hex lines (the vectors use them): setup first, comments allowed', () => {
    const hexFile = ['# a comment', toHex(session.setup), ...session.fragments.map((f) => toHex(f.command))].join('\n');
    const parsed = parseFragmentFile(utf8(hexFile));
    expect(parsed.format).toBe('hex');
    expect(parsed.sha256).toBeUndefined();
    expect(parsed.fragments.length).toBe(session.fragments.length);
  });

  it('skips downlinks of another session (FragIndex) or port, and other commands', () => {
    const other = fragmentFile(data, { fragSize: 48, redundancy: 2, fragIndex: 2 });
    const extra = [
      JSON.stringify({ fport: 201, hex: toHex(other.fragments[0]!.command) }),
      JSON.stringify({ fport: 5, hex: toHex(session.fragments[0]!.command) }),
      JSON.stringify({ fport: 201, hex: '0105' }),
    ];
    const parsed = parseFragmentFile(utf8([...lines(), ...extra].join('\n')));
    expect(parsed.ignored).toBe(3);
    expect(parsed.fragments.length).toBe(session.fragments.length);
  });

  it('says what is wrong and where', () => {
    const l = lines();
    expect(invalid(utf8([l[0], '{oops'].join('\n')))).toMatch(/^f line 2: not valid JSON/);
    expect(invalid(utf8(l.slice(1).join('\n')))).toMatch(/no FragSessionSetupReq/);
    expect(invalid(utf8([l[0], l[0]].join('\n')))).toMatch(/line 2: a second FragSessionSetupReq/);
    const wrongIndex = JSON.stringify({ ...JSON.parse(l[1]!), index: 7 });
    expect(invalid(utf8([l[0], wrongIndex].join('\n')))).toMatch(/line 2: "index" 7 disagrees with the bytes \(N = 1\)/);
    const short = JSON.stringify({ fport: 201, hex: toHex(session.fragments[0]!.command).slice(0, -2) });
    expect(invalid(utf8([l[0], short].join('\n')))).toMatch(/line 2: fragment 1 has 47 payload bytes, FragSize is 48/);
    expect(invalid(utf8('hello world'))).toMatch(/not a fragment file/);
    expect(invalid(utf8('0200000030000d00000000'))).toMatch(/line 1: FragSessionSetupReq NbFrag 0 is outside/);
    expect(invalid(utf8('0200150030003000000000'))).toMatch(/Padding 48 is not below FragSize 48/);
    expect(invalid(utf8(`${l[0]}\n{"hex":"abc"}`))).toMatch(/line 2 "hex": not an even-length hex string/);
  });
});

const interop = resolve(import.meta.dirname, '../../../shared/ts004-vectors/interop_trxx_m21_s48/commands.hex');
describe.skipIf(!existsSync(interop))('hex lines from the vectors', () => {
  it('reads the interop session file as is', () => {
    const parsed = parseFragmentFile(readFileSync(interop), 'commands.hex');
    expect(parsed).toMatchObject({ format: 'hex', version: 1, ignored: 0 });
    expect(parsed.fragments.length).toBe(26);
  });
});
