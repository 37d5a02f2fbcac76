/**
 * FEC encoder + decoder properties: the decoder completes exactly when the received rows have full rank
 * (checked with an independent naive GF(2) rank), returns the input bytes whenever it completes, accepts
 * any order and duplicates, and never hands out wrong bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FecEncoder, FragmentDecoder, ParityMatrix, createRng, parityRowColumns, reassemble, sha256, type Ts004Version } from '../../src/lorawan/index.js';
import { Gf2Basis, receivedRank } from './gf2.js';

function randomBytes(length: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length }, () => Math.floor(rng() * 256));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A session: data, its encoder, and all M + R fragments. */
function session(size: number, fragSize: number, redundancy: number, version: Ts004Version, seed: number) {
  const data = randomBytes(size, seed);
  const encoder = new FecEncoder(data, fragSize, version);
  const { nbFrag, padding } = encoder.layout;
  const fragments = Array.from({ length: nbFrag + redundancy }, (_, i) => ({ index: i + 1, payload: encoder.fragment(i + 1) }));
  return { data, nbFrag, padding, fragSize, version, fragments };
}

const sessionArb = fc.record({
  size: fc.integer({ min: 2, max: 700 }),
  fragSize: fc.integer({ min: 1, max: 23 }),
  version: fc.constantFrom<Ts004Version>(1, 2),
  seed: fc.integer({ min: 0, max: 0xffff }),
});

describe('parity rows', () => {
  it('v2 rows have exactly floor(M/2) distinct columns; v1 rows at most that, all inside 0..M-1', () => {
    for (const m of [2, 3, 4, 5, 16, 21, 32, 100, 1000]) {
      for (const n of [1, 2, 7, 100, 8381, 16000]) {
        const v1 = parityRowColumns(n, m, 1);
        const v2 = parityRowColumns(n, m, 2);
        expect(v2.length).toBe(m >> 1);
        expect(v1.length).toBeLessThanOrEqual(m >> 1);
        expect(new Set(v2).size).toBe(v2.length);
        expect(Math.max(...v1, ...v2)).toBeLessThan(m);
        // v2 keeps drawing where v1 stops: v1's columns are the first ones v2 picks.
        expect([...v2.subarray(0, v1.length)]).toEqual([...v1]);
      }
    }
  });

  it('M = 1 gives empty rows (which is why fragmentFile refuses FEC for one fragment)', () => {
    expect(parityRowColumns(1, 1, 1).length).toBe(0);
  });

  it('the power-of-two rule never selects column M', () => {
    for (const m of [2, 4, 8, 64, 1024]) for (let n = 1; n < 50; n++) expect(Math.max(...parityRowColumns(n, m, 2))).toBeLessThan(m);
  });
});

describe('decoder', () => {
  it('any subset, any order, with duplicates: completes exactly at full rank, and then with the input bytes', () => {
    fc.assert(
      fc.property(sessionArb, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0xffffffff }), ({ size, fragSize, version, seed }, redundancy, pick) => {
        const s = session(size, fragSize, redundancy, version, seed);
        if (s.nbFrag < 2) return;
        const rng = createRng(pick);
        const keepRate = 0.5 + rng() * 0.5;
        const chosen = s.fragments.filter(() => rng() < keepRate);
        const withDuplicates = [...chosen, ...chosen.filter(() => rng() < 0.2)].sort(() => rng() - 0.5);
        const result = reassemble(withDuplicates, s);
        const fullRank = receivedRank(chosen.map((f) => f.index), s.nbFrag, version) === s.nbFrag;
        expect(result.ok).toBe(fullRank);
        if (result.ok) expect(hex(result.data)).toBe(hex(s.data));
        else expect(result.reason).toBe('not-enough-fragments');
      }),
      { numRuns: 300 },
    );
  });

  it('any M independent fragments decode, whichever they are', () => {
    fc.assert(
      fc.property(sessionArb, fc.integer({ min: 0, max: 0xffffffff }), ({ size, fragSize, version, seed }, pick) => {
        const s = session(size, fragSize, 60, version, seed);
        if (s.nbFrag < 2) return;
        // Pick fragments in random order, keeping only those that raise the rank, until there are M.
        const rng = createRng(pick);
        const pool = [...s.fragments].sort(() => rng() - 0.5);
        const basis = new Gf2Basis();
        const independent: typeof pool = [];
        for (const f of pool) {
          if (independent.length === s.nbFrag) break;
          if (basis.add(f.index, s.nbFrag, version)) independent.push(f);
        }
        if (independent.length < s.nbFrag) return; // this pool of 60 coded rows does not span (tiny M, v1)
        const result = reassemble(independent, s);
        expect(result.ok).toBe(true);
        if (result.ok) {
          expect(result.needed).toBe(s.nbFrag);
          expect(hex(result.data)).toBe(hex(s.data));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('random loss: output identical to the input or failure reported, never wrong bytes (larger sessions)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 400 }),
        fc.constantFrom<Ts004Version>(1, 2),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (nbFrag, version, loss, seed) => {
          const s = session(nbFrag * 8 - (seed % 8), 8, Math.ceil(nbFrag * 0.6), version, seed);
          const rng = createRng(seed ^ 0x5bd1e995);
          const received = s.fragments.filter(() => rng() >= loss);
          const result = reassemble(received, s);
          if (result.ok) expect(hex(result.data)).toBe(hex(s.data));
          else expect(result.reason).toBe('not-enough-fragments');
        },
      ),
      { numRuns: 40 },
    );
  });

  it('uncoded fragments arriving after the coded ones that needed them are folded back in', () => {
    const s = session(40 * 6, 6, 30, 2, 99);
    const coded = s.fragments.slice(40);
    const uncoded = s.fragments.slice(0, 40);
    // All coded first (every column unknown), then the uncoded ones except five.
    const order = [...coded, ...uncoded.filter((f) => ![3, 9, 17, 28, 40].includes(f.index))];
    const result = reassemble(order, s);
    expect(result.ok).toBe(true);
    if (result.ok) expect(hex(result.data)).toBe(hex(s.data));
  });

  it('reports outcomes per fragment and tells failure from success without ambiguity', () => {
    const s = session(10 * 4, 4, 10, 2, 5);
    const decoder = new FragmentDecoder({ nbFrag: 10, fragSize: 4, version: 2 });
    expect(decoder.push(2, s.fragments[1]!.payload)).toBe('new');
    expect(decoder.push(2, s.fragments[1]!.payload)).toBe('duplicate');
    expect(decoder.push(2, new Uint8Array(4).fill(0xee))).toBe('inconsistent');
    for (let i = 3; i <= 10; i++) decoder.push(i, s.fragments[i - 1]!.payload);
    expect(decoder.status()).toMatchObject({ state: 'receiving', rankDeficit: 1, uncodedReceived: 9 });
    // Coded fragments whose row misses column 0 (fragment 1) add nothing; the first that has it completes.
    const covering = s.fragments.slice(10).find((f) => parityRowColumns(f.index - 10, 10, 2).includes(0))!;
    for (const f of s.fragments.slice(10, covering.index - 1)) expect(decoder.push(f.index, f.payload)).toBe('redundant');
    expect(decoder.push(covering.index, covering.payload)).toBe('complete');
    expect(decoder.push(1, s.fragments[0]!.payload)).toBe('late');
    expect(decoder.push(1, new Uint8Array(4).fill(1))).toBe('inconsistent');
    expect(decoder.status()).toMatchObject({ state: 'complete', neededAtCompletion: 9 + covering.index - 10, inconsistent: 2, rankDeficit: 0 });
  });

  it('a corrupted coded fragment is caught as inconsistent, never silently decoded', () => {
    const s = session(30 * 5, 5, 20, 1, 11);
    const tampered = s.fragments.map((f) => (f.index === 35 ? { index: f.index, payload: f.payload.map((b) => b ^ 1) } : f));
    const result = reassemble(tampered.filter((f) => f.index !== 2), s);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('inconsistent-fragments');
  });

  it('emulates a device matrix limit (FRAG_MAX_REDUNDANCY) as a failure, never as success', () => {
    const s = session(50 * 4, 4, 30, 2, 3);
    const received = s.fragments.filter((f) => f.index > 8); // 8 uncoded lost
    expect(reassemble(received, { ...s, maxLost: 8 }).ok).toBe(true);
    const limited = reassemble(received, { ...s, maxLost: 7 });
    expect(limited).toMatchObject({ ok: false, reason: 'matrix-memory' });
  });

  it('checks the padding, the SHA-256 and the expected sizes', () => {
    const s = session(95, 10, 5, 1, 8); // padding 5
    expect(s.padding).toBe(5);
    expect(reassemble(s.fragments, { ...s, sha256: sha256(s.data) })).toMatchObject({ ok: true });
    expect(reassemble(s.fragments, { ...s, sha256: new Uint8Array(32) })).toMatchObject({ ok: false, reason: 'sha256-mismatch' });
    const badPad = s.fragments.map((f) => (f.index === 10 ? { index: 10, payload: f.payload.map((b, i) => (i === 9 ? 1 : b)) } : f));
    expect(reassemble(badPad.slice(0, 10), s)).toMatchObject({ ok: false, reason: 'padding-not-zero' });
    expect(() => reassemble([{ index: 1, payload: new Uint8Array(3) }], s)).toThrow(/payload is 3 bytes, FragSize is 10/);
  });

  it('a shared cached parity matrix and rank-only decoding agree with the full decoder', () => {
    const s = session(200 * 3, 3, 80, 1, 21);
    const matrix = new ParityMatrix(s.nbFrag, 1, { cache: true });
    for (let trial = 0; trial < 5; trial++) {
      const rng = createRng(trial);
      const received = s.fragments.filter(() => rng() > 0.25);
      const rankOnly = new FragmentDecoder({ nbFrag: s.nbFrag, fragSize: 3, version: 1, trackData: false, matrix });
      for (const f of received) rankOnly.push(f.index, new Uint8Array(0));
      expect(rankOnly.isComplete).toBe(reassemble(received, s).ok);
    }
  });
});
