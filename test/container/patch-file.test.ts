/**
 * The patch file around the header (docs/FORMAT.md): header || tables || payload || [signature trailer], the
 * 73-byte trailer, and the signed message over header, tables and payload.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codec, encodeHeader, Transform, type PatchHeader } from '../../src/container/header.js';
import { parsePatch, SIGNATURE_TRAILER_LENGTH, SIGNING_DOMAIN, signingMessage, withSignature } from '../../src/container/patch-file.js';
import { DiffCoding, Layout } from '../../src/delta/program.js';
import { InvalidInputError } from '../../src/errors.js';

/** A plain interleaved patch: no tables section. */
const header: PatchHeader = {
  oldSize: 10, newSize: 10, oldLoadAddress: 0, newLoadAddress: 0,
  oldCheck: new Uint8Array(8), newSha256: new Uint8Array(32).fill(1),
  transform: Transform.plain, layout: Layout.interleaved, diffCoding: DiffCoding.raw,
  codec: Codec.none, payloadLength: 5, tablesLength: 0,
};
const head = encodeHeader(header);
const body = Uint8Array.from([...head, 1, 2, 3, 4, 5]);

/** A relocated sectioned patch: 4 bytes of tables between header and payload. */
const sectionedHeader: PatchHeader = { ...header, transform: Transform.cortexM, layout: Layout.sectioned, tablesLength: 4 };
const sectionedHead = encodeHeader(sectionedHeader);
const sectioned = Uint8Array.from([...sectionedHead, 0xa1, 0xa2, 0xa3, 0xa4, 1, 2, 3, 4, 5]);

const keyId = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const signature = new Uint8Array(64).fill(0x5c);

describe('parsePatch', () => {
  it('splits header, (empty) tables, payload and body of an unsigned interleaved patch', () => {
    const p = parsePatch(body);
    expect(p.headerLength).toBe(head.length);
    expect(p.tables.length).toBe(0);
    expect([...p.payload]).toEqual([1, 2, 3, 4, 5]);
    expect(p.body).toEqual(body);
    expect(p.signature).toBeUndefined();
  });

  it('splits header, tables and payload of a sectioned patch; the body covers all three', () => {
    const p = parsePatch(sectioned);
    expect(p.header.tablesLength).toBe(4);
    expect(p.headerLength).toBe(sectionedHead.length);
    expect([...p.tables]).toEqual([0xa1, 0xa2, 0xa3, 0xa4]);
    expect([...p.payload]).toEqual([1, 2, 3, 4, 5]);
    expect(p.body).toEqual(sectioned);
  });

  it('rejects a file shorter than header + tables + payload, at every cut', () => {
    for (let cut = head.length; cut < body.length; cut++) {
      expect(() => parsePatch(body.subarray(0, cut))).toThrow(InvalidInputError);
      expect(() => parsePatch(body.subarray(0, cut))).toThrow(
        new RegExp(`patch is truncated: the header declares 0 bytes of tables and a 5-byte payload, only ${cut - head.length} bytes follow the header`),
      );
    }
    for (let cut = sectionedHead.length; cut < sectioned.length; cut++) {
      expect(() => parsePatch(sectioned.subarray(0, cut))).toThrow(/patch is truncated: the header declares 4 bytes of tables and a 5-byte payload/);
    }
  });

  it('accepts exactly one 73-byte Ed25519 trailer; anything else after the payload is refused', () => {
    for (const unsigned of [body, sectioned]) {
      const signed = withSignature(unsigned, keyId, signature);
      expect(signed.length).toBe(unsigned.length + SIGNATURE_TRAILER_LENGTH);
      const p = parsePatch(signed);
      expect(p.body).toEqual(unsigned);
      expect(p.signature).toEqual({ type: 1, keyId, signature });
      for (const extra of [1, 72, 74, 146]) {
        expect(() => parsePatch(Uint8Array.from([...unsigned, ...new Uint8Array(extra).fill(1)]))).toThrow(InvalidInputError);
      }
      expect(() => parsePatch(Uint8Array.from([...unsigned, ...new Uint8Array(73).fill(1)]))).not.toThrow();
      const badType = signed.slice();
      badType[unsigned.length] = 2;
      expect(() => parsePatch(badType)).toThrow(/unknown signature type 2/);
    }
    expect(SIGNATURE_TRAILER_LENGTH).toBe(73);
  });

  it('signing again replaces the trailer and changes no other byte', () => {
    const once = withSignature(sectioned, keyId, signature);
    const twice = withSignature(parsePatch(once).body, keyId, new Uint8Array(64).fill(0x11));
    expect(twice.subarray(0, sectioned.length)).toEqual(sectioned);
    expect(twice.length).toBe(once.length);
    expect(() => withSignature(body, keyId, new Uint8Array(63))).toThrow(RangeError);
  });
});

describe('signingMessage', () => {
  it('is "smartdelta/patch/v2" || key id || SHA-256(header || tables || payload): 59 bytes', () => {
    expect(new TextDecoder().decode(SIGNING_DOMAIN)).toBe('smartdelta/patch/v2');
    for (const unsigned of [body, sectioned]) {
      const m = signingMessage(unsigned, keyId);
      expect(m.length).toBe(59);
      expect(new TextDecoder().decode(m.subarray(0, 19))).toBe('smartdelta/patch/v2');
      expect([...m.subarray(19, 27)]).toEqual([...keyId]);
      expect(Buffer.from(m.subarray(27)).equals(createHash('sha256').update(unsigned).digest())).toBe(true);
    }
    expect(() => signingMessage(body, new Uint8Array(7))).toThrow(RangeError);
  });

  it('a change to any byte of header, tables or payload changes the message; the trailer does not', () => {
    const message = Buffer.from(signingMessage(parsePatch(sectioned).body, keyId));
    for (let at = 0; at < sectioned.length; at++) {
      const changed = sectioned.slice();
      changed[at]! ^= 0x01;
      expect(Buffer.from(signingMessage(changed, keyId)).equals(message), `byte ${at}`).toBe(false);
    }
    const signed = withSignature(sectioned, keyId, signature);
    expect(Buffer.from(signingMessage(parsePatch(signed).body, keyId)).equals(message)).toBe(true);
  });
});
