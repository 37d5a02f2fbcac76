/** The patch file around the header: payload bounds, the 73-byte signature trailer, the signed message. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codec, encodeHeader, Transform, type PatchHeader } from '../../src/container/header.js';
import { parsePatch, SIGNATURE_TRAILER_LENGTH, signingMessage, withSignature } from '../../src/container/patch-file.js';
import { DiffCoding, Layout } from '../../src/delta/program.js';
import { InvalidInputError } from '../../src/errors.js';

const header: PatchHeader = {
  oldSize: 10, newSize: 10, oldLoadAddress: 0, newLoadAddress: 0,
  oldSha256: new Uint8Array(32), newSha256: new Uint8Array(32).fill(1),
  transform: Transform.plain, transformParams: new Uint8Array(0),
  layout: Layout.interleaved, diffCoding: DiffCoding.raw, entryCount: 1, programLength: 13,
  codec: Codec.none, payloadLength: 5,
};
const head = encodeHeader(header);
const body = Uint8Array.from([...head, 1, 2, 3, 4, 5]);
const keyId = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const signature = new Uint8Array(64).fill(0x5c);

describe('parsePatch', () => {
  it('splits header, payload and body of an unsigned patch', () => {
    const p = parsePatch(body);
    expect(p.headerLength).toBe(head.length);
    expect([...p.payload]).toEqual([1, 2, 3, 4, 5]);
    expect(p.body).toEqual(body);
    expect(p.signature).toBeUndefined();
  });

  it('rejects a file shorter than header + payload length, at every cut', () => {
    for (let cut = head.length; cut < body.length; cut++) {
      expect(() => parsePatch(body.subarray(0, cut))).toThrow(/patch is truncated: header declares a 5-byte payload/);
    }
  });

  it('accepts exactly one 73-byte Ed25519 trailer; anything else after the payload is refused', () => {
    const signed = withSignature(body, keyId, signature);
    expect(signed.length).toBe(body.length + SIGNATURE_TRAILER_LENGTH);
    const p = parsePatch(signed);
    expect(p.body).toEqual(body);
    expect(p.signature).toEqual({ type: 1, keyId, signature });
    for (const extra of [1, 72, 74, 146]) {
      expect(() => parsePatch(Uint8Array.from([...body, ...new Uint8Array(extra).fill(1)]))).toThrow(InvalidInputError);
    }
    expect(() => parsePatch(Uint8Array.from([...body, ...new Uint8Array(73).fill(1)]))).not.toThrow();
    const badType = signed.slice();
    badType[body.length] = 2;
    expect(() => parsePatch(badType)).toThrow(/unknown signature type 2/);
  });

  it('signing again replaces the trailer and changes no other byte', () => {
    const once = withSignature(body, keyId, signature);
    const twice = withSignature(parsePatch(once).body, keyId, new Uint8Array(64).fill(0x11));
    expect(twice.subarray(0, body.length)).toEqual(body);
    expect(twice.length).toBe(once.length);
    expect(() => withSignature(body, keyId, new Uint8Array(63))).toThrow(RangeError);
  });
});

describe('signingMessage', () => {
  it('is "smartdelta/patch/v1" || key id || SHA-256(header || payload): 59 bytes', () => {
    const m = signingMessage(body, keyId);
    expect(m.length).toBe(59);
    expect(new TextDecoder().decode(m.subarray(0, 19))).toBe('smartdelta/patch/v1');
    expect([...m.subarray(19, 27)]).toEqual([...keyId]);
    expect(Buffer.from(m.subarray(27)).equals(createHash('sha256').update(body).digest())).toBe(true);
    expect(() => signingMessage(body, new Uint8Array(7))).toThrow(RangeError);
  });
});
