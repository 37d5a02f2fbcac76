/**
 * The device patch applier (device/src/sd_patch*.c, docs/DEVICE.md) against the CLI's own patches: the host
 * build (sanitizers on) applies every patch createPatch makes for the fixture pairs and, when ../shared is
 * there, the corpus pairs, plain and relocated, with several dictionary sizes, in both of the device's modes:
 * stored (the tables read at random through read_patch) and streaming (the tables fed before the payload and
 * kept in the work buffer), feeding the bytes in random chunk sizes. The result must be byte-exact and the
 * driver's RAM figure must equal `smartdelta info`'s (deviceRam.total, deviceRam.streamingTotal). Corrupted,
 * truncated and extended patches must be refused exactly when the TypeScript applier refuses them, with the
 * right result code, and never leave an output file. Skips when gcc or make is absent.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Codec, OLD_CHECK_LENGTH } from '../../src/container/header.js';
import { signingMessage, withSignature } from '../../src/container/patch-file.js';
import { DiffCoding, Layout } from '../../src/delta/program.js';
import { CheckFailedError, InvalidInputError } from '../../src/errors.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { createPatch, type CreatePatchOptions } from '../../src/pipeline/create-patch.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { ImageInput } from '../../src/types.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { buildHostTools, hostToolchainAvailable, pseudoRandomBytes, repoRoot, sharedDir, type HostBuild } from './host-build.js';
import { buildPatch, FLAG_SECTIONED, FLAGS_OFFSET, loadImage, variantName, type Variant } from './patch-builders.js';

/** apply_cli result names (its exit code is the index). */
const RESULTS = ['ok', 'wrong-base', 'corrupt', 'unsupported', 'no-memory', 'result-hash', 'signature', 'io', 'param'] as const;
type Result = (typeof RESULTS)[number];

interface Case {
  name: string;
  old: ImageInput;
  new: ImageInput;
  patch: Uint8Array;
}

const VERSIONS = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.2.0', 'v2.0.0'];
const FIXTURE_BASE = 0x0800_0000;
const CONFIGS: CreatePatchOptions[] = [
  { arch: 'none', dictSize: 4096 },
  { arch: 'cortex-m', dictSize: 16384 },
  { arch: 'auto', dictSize: 65536 },
];

function fixture(version: string): ImageInput {
  return loadImage(path.join(repoRoot, 'fixtures/build', version, 'firmware.bin'), FIXTURE_BASE);
}

async function cliCases(name: string, oldImage: ImageInput, newImage: ImageInput, configs: CreatePatchOptions[]): Promise<Case[]> {
  const cases: Case[] = [];
  for (const options of configs) {
    const { bytes } = await createPatch(oldImage, newImage, options);
    const codec = `${options.codec ? ` ${options.codec}` : ''}${options.maxDeviceRam ? ` max-ram ${options.maxDeviceRam}` : ''}`;
    cases.push({ name: `${name} ${options.arch} dict ${options.dictSize}${codec}`, old: oldImage, new: newImage, patch: bytes });
  }
  return cases;
}

async function tsVerdict(old: Uint8Array, patch: Uint8Array): Promise<'ok' | 'wrong-base' | 'invalid'> {
  try {
    await applyPatch(old, patch);
    return 'ok';
  } catch (err) {
    if (err instanceof CheckFailedError) return 'wrong-base';
    if (err instanceof InvalidInputError) return 'invalid';
    throw err;
  }
}

describe.skipIf(!hostToolchainAvailable)('device patch applier (host build, sanitizers on)', () => {
  let build: HostBuild;
  let counter = 0;
  const fixtureCases: Case[] = [];
  const files = new Map<Uint8Array, string>();

  beforeAll(async () => {
    build = buildHostTools();
    for (let i = 0; i + 1 < VERSIONS.length; i++) {
      fixtureCases.push(...(await cliCases(`${VERSIONS[i]} -> ${VERSIONS[i + 1]}`, fixture(VERSIONS[i]!), fixture(VERSIONS[i + 1]!), CONFIGS)));
    }
  }, 120_000);
  afterAll(() => build?.cleanup());

  /** A temporary file holding these bytes (written once per array). */
  function fileOf(data: Uint8Array): string {
    let file = files.get(data);
    if (!file) {
      file = path.join(build.dir, `in-${counter++}.bin`);
      writeFileSync(file, data);
      files.set(data, file);
    }
    return file;
  }

  /** apply_cli in the stored mode, or the streaming mode (`-s`). */
  function apply(old: Uint8Array, patch: Uint8Array, seed: number, extra: string[] = [], streaming = false) {
    const out = path.join(build.dir, `out-${counter++}.bin`);
    const r = build.run('apply_cli', [fileOf(old), fileOf(patch), out, String(seed), ...(streaming ? ['-s'] : []), ...extra], 60_000);
    const result = /^result=(\S+)$/m.exec(r.stdout)?.[1] as Result | undefined;
    const ram = /^ram=(\d+)$/m.exec(r.stdout)?.[1];
    expect(r.stderr, 'sanitizer or driver complaint').toBe('');
    expect(r.status, r.stdout).toBe(RESULTS.indexOf(result!));
    return { result: result!, ram: ram === undefined ? undefined : Number(ram), stdout: r.stdout, output: existsSync(out) ? readFileSync(out) : undefined };
  }

  /** Stored and streaming, each seed: byte-exact, and the RAM figure of `smartdelta info` for the mode. */
  function expectApplies(c: Case, seeds: number[]): void {
    const { total, streamingTotal } = patchInfo(c.patch).deviceRam;
    for (const seed of seeds) {
      for (const streaming of [false, true]) {
        const what = `${c.name}, seed ${seed}, ${streaming ? 'streaming' : 'stored'}`;
        const r = apply(c.old.data, c.patch, seed, [], streaming);
        expect(r.result, what).toBe('ok');
        expect(r.ram, `${what}: ram= vs smartdelta info`).toBe(streaming ? streamingTotal : total);
        expect(Buffer.compare(r.output!, c.new.data), what).toBe(0);
      }
    }
  }

  it('applies the CLI patches of every consecutive fixture pair (plain, relocated, auto; 4, 16, 64 KiB dictionaries)', () => {
    expect(fixtureCases).toHaveLength(12);
    for (const [i, c] of fixtureCases.entries()) expectApplies(c, [0, 1000 + i, 2000 + i]);
  });

  /** Every layout of the transform: plain interleaved or sectioned, relocated table-first or sectioned. */
  const layoutsOf = (relocate: boolean) => (relocate ? [Layout.tableFirst, Layout.sectioned] : [Layout.interleaved, Layout.sectioned]);

  it('applies every layout, difference coding and codec (none, LZMA, codec 2), and the optional header fields', async () => {
    const pairs: Array<[string, ImageInput, ImageInput]> = [
      ['v1.1.0 -> v1.2.0', fixture('v1.1.0'), fixture('v1.2.0')],
      ['v1.2.0 -> v2.0.0', fixture('v1.2.0'), fixture('v2.0.0')],
    ];
    let seed = 1;
    let tableFirst = 0;
    for (const [name, oldImage, newImage] of pairs) {
      for (const relocate of [false, true]) {
        for (const layout of layoutsOf(relocate)) {
          for (const diffCoding of [DiffCoding.raw, DiffCoding.sparse]) {
            for (const codec of [Codec.none, Codec.lzma1, Codec.smallLz]) {
              const v: Variant = { relocate, layout, diffCoding, codec };
              if (seed % 3 === 0) Object.assign(v, { versions: ['1.0.0', 'ünïcode 2 ✓'], securityCounter: 0xffff_ffff });
              if (codec === Codec.smallLz && seed % 2 === 0) v.smallLz = { windowLog2: 8 + (seed % 5), literalContext: (seed >> 1) % 2 };
              let patch: Uint8Array;
              try {
                patch = await buildPatch(oldImage, newImage, v);
              } catch (err) {
                // More than 32 entries: no table-first program for this pair.
                if (layout === Layout.tableFirst && err instanceof RangeError) continue;
                throw err;
              }
              if (layout === Layout.tableFirst) tableFirst++;
              const c = { name: `${name} ${variantName(v)}`, old: oldImage, new: newImage, patch };
              expect(await tsVerdict(oldImage.data, c.patch), `${c.name}: the TypeScript applier`).toBe('ok');
              expectApplies(c, [0, seed++]);
            }
          }
        }
      }
    }
    expect(tableFirst).toBe(6);
  }, 120_000);

  it('refuses a relocated sectioned patch read as table-first, and the reverse, as the TypeScript applier does', async () => {
    const oldImage = fixture('v1.1.0');
    const newImage = fixture('v1.2.0');
    for (const layout of [Layout.sectioned, Layout.tableFirst]) {
      for (const codec of [Codec.none, Codec.smallLz]) {
        const v: Variant = { relocate: true, layout, diffCoding: DiffCoding.sparse, codec };
        const good = await buildPatch(oldImage, newImage, v);
        const c = { name: variantName(v), old: oldImage, new: newImage, patch: good };
        const patch = flipped(good, FLAGS_OFFSET, FLAG_SECTIONED);
        for (const streaming of [false, true]) {
          expect(await expectSameVerdict(c, patch, 'sectioned flag flipped', ['corrupt'], streaming)).toBe('corrupt');
        }
      }
    }
  });

  it('applies patches between empty and tiny images (empty program, 256-byte window)', async () => {
    const f = fixture('v1.0.0').data;
    const pairs: Array<[string, Uint8Array, Uint8Array]> = [
      ['to empty', f, new Uint8Array(0)],
      ['from empty', new Uint8Array(0), f.subarray(0, 3000)],
      ['empty to empty', new Uint8Array(0), new Uint8Array(0)],
      ['3 to 4 bytes', Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3, 4)],
    ];
    let seed = 40;
    for (const [name, oldData, newData] of pairs) {
      const oldImage = { data: oldData, loadAddress: FIXTURE_BASE };
      const newImage = { data: newData, loadAddress: FIXTURE_BASE };
      const cases = await cliCases(name, oldImage, newImage, [{ arch: 'none' }, { arch: 'cortex-m' }, { arch: 'cortex-m', codec: 'small-lz' }]);
      for (const relocate of [false, true]) {
        for (const layout of layoutsOf(relocate)) {
          for (const codec of [Codec.none, Codec.lzma1, Codec.smallLz]) {
            const v: Variant = { relocate, layout, diffCoding: DiffCoding.sparse, codec };
            cases.push({ name: `${name} ${variantName(v)}`, old: oldImage, new: newImage, patch: await buildPatch(oldImage, newImage, v) });
          }
        }
      }
      // An empty image's program is empty in every layout (a table-first count is 1 to 32).
      for (const c of cases) expectApplies(c, [seed++]);
    }
  });

  /** Applies a damaged patch with both appliers: same accept/refuse decision, right code, no output. */
  async function expectSameVerdict(c: Case, damaged: Uint8Array, what: string, expected?: Result[], streaming = false): Promise<Result> {
    const ts = await tsVerdict(c.old.data, damaged);
    const r = apply(c.old.data, damaged, counter, [], streaming);
    what = `${what}${streaming ? ' (streaming)' : ''}`;
    const where = `${c.name}: ${what} -> C ${r.result}, TypeScript ${ts}`;
    if (ts === 'ok') {
      // A change that does not matter (a load address of a plain patch, a larger dictionary...).
      expect(r.result, where).toBe('ok');
      expect(Buffer.compare(r.output!, c.new.data), where).toBe(0);
    } else {
      expect(r.output, `${where}: no output on failure`).toBeUndefined();
      if (r.result === 'wrong-base') expect(ts, where).toBe('wrong-base');
      const allowed: Result[] = ts === 'wrong-base' ? ['wrong-base', 'corrupt', 'unsupported'] : ['corrupt', 'unsupported', 'result-hash'];
      expect(allowed, where).toContain(r.result);
    }
    if (expected) expect(expected, where).toContain(r.result);
    return r.result;
  }

  function flipped(patch: Uint8Array, at: number, mask: number): Uint8Array {
    const copy = patch.slice();
    copy[at]! ^= mask;
    return copy;
  }

  it('refuses corrupted, truncated and extended patches exactly when the TypeScript applier does', async () => {
    const oldImage = fixture('v1.2.0');
    const newImage = fixture('v2.0.0');
    const cases: Case[] = [
      fixtureCases.find((c) => c.name === 'v1.2.0 -> v2.0.0 cortex-m dict 16384')!,
      // Codec none: damage reaches the program parser directly.
      { name: 'plain interleaved raw none', old: oldImage, new: newImage, patch: await buildPatch(oldImage, newImage, { relocate: false, layout: Layout.interleaved, diffCoding: DiffCoding.raw, codec: Codec.none }) },
      { name: 'cortex-m sectioned sparse none', old: oldImage, new: newImage, patch: await buildPatch(oldImage, newImage, { relocate: true, layout: Layout.sectioned, diffCoding: DiffCoding.sparse, codec: Codec.none }) },
      // Table-first (the entries at the program's start, a RAM map in the tables) and codec 2.
      { name: 'cortex-m table-first sparse none', old: fixture('v1.1.0'), new: fixture('v1.2.0'), patch: await buildPatch(fixture('v1.1.0'), fixture('v1.2.0'), { relocate: true, layout: Layout.tableFirst, diffCoding: DiffCoding.sparse, codec: Codec.none }) },
      { name: 'cortex-m table-first raw small-lz', old: fixture('v1.1.0'), new: fixture('v1.2.0'), patch: await buildPatch(fixture('v1.1.0'), fixture('v1.2.0'), { relocate: true, layout: Layout.tableFirst, diffCoding: DiffCoding.raw, codec: Codec.smallLz }) },
      { name: 'plain interleaved sparse small-lz', old: oldImage, new: newImage, patch: await buildPatch(oldImage, newImage, { relocate: false, layout: Layout.interleaved, diffCoding: DiffCoding.sparse, codec: Codec.smallLz }) },
    ];
    for (const [k, c] of cases.entries()) {
      const info = patchInfo(c.patch);
      const headerLength = info.headerSize;
      const tablesEnd = headerLength + info.tablesSize;
      const oldCheck = Buffer.from(c.patch).indexOf(Buffer.from(sha256(c.old.data).subarray(0, OLD_CHECK_LENGTH)));
      const newHash = Buffer.from(c.patch).indexOf(Buffer.from(sha256(c.new.data)));
      expect(oldCheck).toBeGreaterThan(4);
      expect(info.tablesSize > 0, c.name).toBe(k !== 1 && k !== 5);
      // Every header byte of the first patch (every other byte of the next two, every third of the rest),
      // with a mask that varies by position.
      for (let at = k % 2; at < headerLength; at += k === 0 ? 1 : k < 3 ? 2 : 3) {
        const mask = [0x01, 0x80, 0xff, 0x10, 0x04][at % 5]!;
        let expected: Result[] | undefined;
        if (at < 2) expected = ['corrupt'];
        else if (at === 2) expected = ['unsupported'];
        else if (at >= oldCheck && at < oldCheck + OLD_CHECK_LENGTH) expected = ['wrong-base'];
        else if (at >= newHash && at < newHash + 32) expected = ['result-hash'];
        await expectSameVerdict(c, flipped(c.patch, at, mask), `header byte ${at} ^ 0x${mask.toString(16)}`, expected);
      }
      // Tables bytes (both modes): corrupt (checked before anything is written) or a wrong result (a changed
      // flash map segment flag or map shift), or accepted by both (a map record no item uses).
      const tablePicks = pseudoRandomBytes(96, tablesEnd);
      for (let i = 0; i < (info.tablesSize > 0 ? 48 : 0); i++) {
        // A short tables section (a table-first patch's recognizers and RAM map): every byte, then picks.
        const at = headerLength + (i < info.tablesSize && info.tablesSize < 48 ? i : ((tablePicks[2 * i]! << 8) | tablePicks[2 * i + 1]!) % info.tablesSize);
        await expectSameVerdict(c, flipped(c.patch, at, 1 << (i % 8)), `tables byte ${at}`, ['ok', 'corrupt', 'result-hash'], i % 2 === 1);
      }
      // Payload bytes: corrupt (LZMA, program) or a wrong result, never accepted.
      const picks = pseudoRandomBytes(64, headerLength);
      for (let i = 0; i < 32; i++) {
        const at = tablesEnd + ((picks[2 * i]! << 8) | picks[2 * i + 1]!) % info.payloadSize;
        await expectSameVerdict(c, flipped(c.patch, at, 1 << (i % 8)), `payload byte ${at}`, ['corrupt', 'result-hash'], i % 2 === 1);
      }
      // Truncated anywhere (inside the header, the tables and the payload) and extended.
      for (let i = 0; i < 32; i++) {
        const cut =
          i < 8
            ? Math.floor((headerLength * i) / 8)
            : i < 16
              ? headerLength + Math.floor((info.tablesSize * (i - 8)) / 8)
              : tablesEnd + Math.floor((info.payloadSize * (i - 16)) / 16);
        await expectSameVerdict(c, c.patch.subarray(0, cut), `truncated to ${cut} bytes`, ['corrupt'], i % 2 === 1);
      }
      await expectSameVerdict(c, c.patch.subarray(0, c.patch.length - 1), 'last byte missing', ['corrupt']);
      for (const extra of [1, 72, 74]) {
        const longer = new Uint8Array(c.patch.length + extra).fill(0x5a);
        longer.set(c.patch);
        await expectSameVerdict(c, longer, `${extra} bytes appended`, ['corrupt']);
      }
    }
  }, 300_000);

  it('reports no-memory for a work buffer one byte short, and applies with exactly the figure (both modes, both codecs)', async () => {
    const c = fixtureCases.find((x) => x.name === 'v1.1.0 -> v1.2.0 cortex-m dict 16384')!;
    const small = { ...c, patch: await buildPatch(c.old, c.new, { relocate: true, layout: Layout.tableFirst, diffCoding: DiffCoding.sparse, codec: Codec.smallLz }) };
    for (const x of [c, small]) {
      const ram = patchInfo(x.patch).deviceRam;
      expect(ram.streamingTables).toBeGreaterThan(0);
      expect(ram.smallTable).toBe(384);
      for (const streaming of [false, true]) {
        const work = (streaming ? ram.streamingTotal : ram.total) - ram.fixedState;
        expect(apply(x.old.data, x.patch, 5, ['-w', String(work - 1)], streaming).result).toBe('no-memory');
        expect(apply(x.old.data, x.patch, 5, ['-w', '0'], streaming).result).toBe('no-memory');
        expect(apply(x.old.data, x.patch, 5, ['-w', String(work)], streaming).result).toBe('ok');
      }
    }
  });

  it('answers the lookups from spare work RAM with the RAM `smartdelta info` gives for fast lookups, and from the tables with a byte less (both modes)', async () => {
    const c = fixtureCases.find((x) => x.name === 'v1.1.0 -> v1.2.0 cortex-m dict 16384')!;
    const tableFirst = { ...c, name: 'table-first', patch: await buildPatch(c.old, c.new, { relocate: true, layout: Layout.tableFirst, diffCoding: DiffCoding.sparse }) };
    // (A patch with no segment and no map record has nothing to look up: its figure is the minimum.)
    const relocated = fixtureCases.filter((x) => (patchInfo(x.patch).deviceRam.fastLookups?.pairs ?? 0) > 0);
    expect(relocated.length).toBeGreaterThanOrEqual(4);
    for (const x of [...relocated, tableFirst]) {
      const ram = patchInfo(x.patch).deviceRam;
      const fast = ram.fastLookups!;
      expect(fast.pairs, x.name).toBeGreaterThan(0);
      for (const streaming of [false, true]) {
        const work = (streaming ? fast.streamingTotal : fast.total) - ram.fixedState;
        for (const [extra, lookups] of [[0, 'pairs'], [-1, 'tables'], [4096, 'pairs']] as const) {
          const what = `${x.name}, ${streaming ? 'streaming' : 'stored'}, work ${work + extra}`;
          const r = apply(x.old.data, x.patch, 7, ['-w', String(work + extra)], streaming);
          expect(r.result, what).toBe('ok');
          expect(/^lookups=(\w+)$/m.exec(r.stdout)?.[1], what).toBe(lookups);
          expect(Buffer.compare(r.output!, x.new.data), what).toBe(0);
        }
      }
    }
  });

  it('refuses a base image that is not the patch base', () => {
    const c = fixtureCases[0]!;
    const other = c.old.data.slice();
    other[100]! ^= 1;
    expect(apply(other, c.patch, 1).result).toBe('wrong-base');
    expect(apply(c.old.data.subarray(0, c.old.data.length - 1), c.patch, 1).result).toBe('wrong-base');
    expect(apply(c.new.data, c.patch, 1).result).toBe('wrong-base');
  });

  it('builds the 59-byte signed message for the verify hook and honours its answer', () => {
    const c = fixtureCases[4]!;
    const keyId = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const signature = pseudoRandomBytes(64, 99);
    const signed = withSignature(c.patch, keyId, signature);
    const accepted = apply(c.old.data, signed, 3, ['-k', 'accept']);
    expect(accepted.result).toBe('ok');
    expect(/^message=([0-9a-f]+)$/m.exec(accepted.stdout)?.[1]).toBe(Buffer.from(signingMessage(c.patch, keyId)).toString('hex'));
    expect(/^signature=([0-9a-f]+)$/m.exec(accepted.stdout)?.[1]).toBe(Buffer.from(signature).toString('hex'));
    expect(/^key_id=([0-9a-f]+)$/m.exec(accepted.stdout)?.[1]).toBe('0102030405060708');
    expect(Buffer.compare(accepted.output!, c.new.data)).toBe(0);
    expect(apply(c.old.data, signed, 3, ['-k', 'reject']).result).toBe('signature');
    expect(apply(c.old.data, c.patch, 3, ['-k', 'accept']).result).toBe('signature'); // unsigned, a key is configured
    expect(apply(c.old.data, signed, 3).result).toBe('ok'); // signed, no key configured
    const badType = signed.slice();
    badType[c.patch.length] = 2;
    expect(apply(c.old.data, badType, 3, ['-k', 'accept']).result).toBe('corrupt');
  });

  const corpus = path.join(sharedDir, 'corpus');
  describe.skipIf(!existsSync(corpus))('corpus pairs', () => {
    const corpusCases: Case[] = [];

    beforeAll(async () => {
      const pyb = (v: string) => loadImage(path.join(corpus, 'pybv11', v, 'firmware1.bin'), 0x0802_0000);
      const due = (f: string) => loadImage(path.join(corpus, f), 0x0008_0000);
      corpusCases.push(
        ...(await cliCases('pybv11', pyb('v1.10'), pyb('1f5d945af-dirty'), [
          { arch: 'cortex-m', dictSize: 16384 },
          { arch: 'none', dictSize: 4096 },
          { arch: 'cortex-m', codec: 'small-lz' },
          { arch: 'cortex-m', maxDeviceRam: 4096 },
        ])),
        ...(await cliCases('shell', due('shell/old'), due('shell/new'), [{ arch: 'cortex-m', dictSize: 4096 }, { arch: 'none', dictSize: 16384 }, { arch: 'cortex-m', codec: 'small-lz' }])),
        ...(await cliCases('synthesizer', due('synthesizer/1.bin'), due('synthesizer/2.bin'), [{ arch: 'auto', dictSize: 65536 }, { arch: 'none', dictSize: 4096 }, { arch: 'auto', maxDeviceRam: 4096 }])),
      );
    }, 300_000);

    it('applies the CLI patches of pybv11, shell and synthesizer: plain, relocated sectioned (RAM and constant maps) and table-first, LZMA and codec 2', () => {
      expect(corpusCases).toHaveLength(10);
      const kinds = new Set(corpusCases.map((c) => {
        const info = patchInfo(c.patch);
        return `${info.transform} ${info.program.layout} ${info.codec}`;
      }));
      for (const kind of ['plain interleaved lzma1', 'cortex-m sectioned lzma1', 'cortex-m table-first lzma1', 'cortex-m sectioned small-lz']) {
        expect([...kinds], kind).toContain(kind);
      }
      for (const [i, c] of corpusCases.entries()) expectApplies(c, [0, 300 + i]);
    });
  });
});
