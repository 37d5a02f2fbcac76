/**
 * The differential fuzz of the two appliers (issue 16): mutants of the seed patches (test/hardening/patch-seeds.ts)
 * go to the TypeScript applier (src/pipeline/apply.ts) and, in batches, to the sanitized C applier
 * (device/test/apply_batch.c); a disagreement on the verdict, an accepted image whose SHA-256 is not the one
 * the header promises (or not the true new image when the header is the seed's), a RAM figure or a signed
 * message that differs, a contract break or sanitizer report of the C side, or a case over the time bound fails.
 *
 * Mutations are structure-aware so that most mutants reach the program applier: the result hash can be set to
 * what the mutated program really produces ("hash fixed"), codec-none programs can be re-compressed with
 * codec 2 after mutation, control entries and value map records are changed and re-encoded with consistent
 * checkpoints, header fields (every flag, size, codec parameter, counter, version) are rewritten with the
 * lengths following, patches are spliced, and mutants are re-signed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { compressSmall } from '../../src/codec/lzs.js';
import { Codec, decodeHeader } from '../../src/container/header.js';
import { parsePatch, signingMessage } from '../../src/container/patch-file.js';
import { signPatch } from '../../src/container/sign.js';
import type { Ed25519PrivateKey } from '../../src/crypto/keys.js';
import { CheckFailedError, InvalidInputError } from '../../src/errors.js';
import { applyPatch, checkBaseImage, decodePayload, prepareApplier, ResultBuffer } from '../../src/pipeline/apply.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { applyMutations, BOUNDARY_VALUES, sameBytes, type Mutation } from './mutate.js';
import type { PatchSeed } from './patch-seeds.js';
import { controlTableOf, entriesOf, FLAG, rawPatchOf, rawTablesOf, recordsOf, valueMapOf, writeRawHeader, writeTables, type RawHeader, type RawPatch, type RawTables } from './malformed-inputs.js';

export type Verdict = 'ok' | 'wrong-base' | 'invalid';

/** The seeded generator of the differential run (mulberry32): a seed replays a run exactly. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  u32(): number {
    return Math.floor(this.next() * 2 ** 32) >>> 0;
  }
}

export interface Mutant {
  seed: PatchSeed;
  bytes: Uint8Array;
  /** How it was made, for the failure message. */
  how: string;
  /** C driver: chunking seed and mode (bit 0 streaming, bit 1 signature check). */
  chunkSeed: number;
  mode: number;
}

/** The byte-level and field mutations of mutate.ts, drawn from the run's generator. */
function randomMutations(rng: Rng, fieldCount: number): Mutation[] {
  const list: Mutation[] = [];
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const at = rng.int(1 << 24);
    const kind = rng.int(fieldCount > 0 ? 9 : 6);
    if (kind === 0) list.push({ kind: 'flip', at, mask: 1 + rng.int(255) });
    else if (kind === 1) list.push({ kind: 'set', at, value: rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff]) });
    else if (kind === 2) list.push({ kind: 'truncate', at });
    else if (kind === 3) list.push({ kind: 'insert', at, bytes: Array.from({ length: 1 + rng.int(8) }, () => rng.int(256)) });
    else if (kind === 4) list.push({ kind: 'delete', at, length: 1 + rng.int(16) });
    else if (kind === 5) list.push({ kind: 'duplicate', at, length: 1 + rng.int(64), to: rng.int(1 << 24) });
    else list.push({ kind: 'field', field: rng.int(fieldCount), value: fieldValue(rng), overlong: rng.pick([0, 0, 0, 1, 2]) });
  }
  return list;
}

function fieldValue(rng: Rng): number {
  const r = rng.int(3);
  return r === 0 ? rng.pick(BOUNDARY_VALUES) : r === 1 ? rng.int(5) - 2 : rng.u32();
}

function bytesOf(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

/** The raw forms of a seed, read once (mutations copy what they change). */
const rawCache = new WeakMap<PatchSeed, { patch: RawPatch; tables: RawTables }>();
function rawOf(seed: PatchSeed): { patch: RawPatch; tables: RawTables } {
  let raw = rawCache.get(seed);
  if (!raw) {
    raw = { patch: rawPatchOf(seed.bytes), tables: rawTablesOf(seed.bytes).tables };
    rawCache.set(seed, raw);
  }
  return raw;
}

/** patchWith (malformed-inputs.ts) from a cached raw form: the header with `change`, lengths following the body. */
function rebuilt(seed: PatchSeed, change: Partial<RawHeader>, body: { tables?: Uint8Array; payload?: Uint8Array } = {}): Uint8Array {
  const { raw, tables: originalTables, payload: originalPayload } = rawOf(seed).patch;
  const tables = body.tables ?? originalTables;
  const payload = body.payload ?? originalPayload;
  const head = writeRawHeader({ ...raw, payloadLength: payload.length, ...(raw.tablesLength !== undefined && { tablesLength: tables.length }), ...change });
  return Buffer.concat([head, tables, payload]);
}

/** A changed header field with the tables and payload lengths following (every flag, size, codec parameter). */
function headerEdit(rng: Rng, seed: PatchSeed): { bytes: Uint8Array; how: string } {
  const { raw } = rawOf(seed).patch;
  const change: Partial<RawHeader> = {};
  const which = rng.int(11);
  const small = (v: number): number => Math.max(0, v + rng.int(9) - 4);
  let how: string;
  if (which === 0) {
    change.flags = raw.flags ^ (1 << rng.int(6));
    how = `flags ^ -> ${change.flags}`;
    if (change.flags & FLAG.newAddress && raw.newLoad === undefined) change.newLoad = (raw.oldLoad as number) + rng.pick([0, 4, 0x100]);
    if (change.flags & (FLAG.sectioned | FLAG.cortexM) && raw.tablesLength === undefined) change.tablesLength = 0;
  } else if (which === 1) {
    change.codec = rng.int(4);
    how = `codec ${change.codec}`;
    if (change.codec === Codec.lzma1 && !raw.lzma) change.lzma = [93, 8 + rng.int(10)];
    if (change.codec === Codec.smallLz && !raw.smallLz) change.smallLz = [rng.int(256), rng.int(1 << 16)];
  } else if (which === 2) {
    change.newSize = rng.chance(0.5) ? small(raw.newSize as number) : fieldValue(rng);
    how = `new size ${change.newSize}`;
  } else if (which === 3) {
    change.oldSize = small(raw.oldSize as number);
    how = `old size ${change.oldSize}`;
  } else if (which === 4) {
    change.lzma = [rng.chance(0.5) ? rng.int(256) : raw.lzma?.[0] ?? 93, rng.chance(0.5) ? rng.int(40) : (raw.lzma?.[1] ?? 12) + rng.int(5) - 2];
    how = `lzma ${change.lzma.join(',')}`;
  } else if (which === 5) {
    change.smallLz = [rng.int(256), rng.chance(0.5) ? small((raw.smallLz?.[1] as number) ?? 0) : fieldValue(rng)];
    how = `codec 2 params ${change.smallLz.join(',')}`;
  } else if (which === 6) {
    change.counter = rng.chance(0.5) ? rng.pick([0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 35 - 1]) : rng.u32();
    change.flags = raw.flags | FLAG.counter;
    how = `counter ${change.counter}`;
  } else if (which === 7) {
    const len = rng.pick([0, 1, 63, 64, 65]);
    change.versions = [bytesOf(rng, len), bytesOf(rng, rng.int(4))];
    change.flags = raw.flags | FLAG.versions;
    how = `versions ${len}`;
  } else if (which === 8) {
    change.newLoad = rng.chance(0.5) ? fieldValue(rng) : small(raw.oldLoad as number);
    change.flags = raw.flags | FLAG.newAddress;
    how = `new load ${change.newLoad}`;
  } else if (which === 9) {
    change.version = rng.pick([1, 3, 0, 255]);
    how = `format version ${change.version}`;
  } else {
    change.oldLoad = rng.chance(0.5) ? fieldValue(rng) : small(raw.oldLoad as number);
    how = `old load ${change.oldLoad}`;
  }
  try {
    return { bytes: rebuilt(seed, change), how: `header ${how}` };
  } catch (err) {
    if (err instanceof RangeError) return { bytes: seed.bytes, how: 'header (unchanged)' };
    throw err;
  }
}

/** One control entry or value map record changed, the table re-encoded with checkpoints that follow it. */
function tableEdit(rng: Rng, seed: PatchSeed): { bytes: Uint8Array; how: string } {
  const tables = structuredClone(rawOf(seed).tables);
  const delta = rng.chance(0.7) ? rng.int(7) - 3 : rng.pick([-(2 ** 20), 2 ** 20, 0x7fff_ffff, -0x7fff_ffff, 65536, -65536]);
  const part = rng.pick(['control', 'ram', 'constants'] as const);
  const which = rng.int(4);
  try {
    if (part === 'control' && tables.control) {
      const entries = entriesOf(tables.control);
      const index = rng.int(entries.length);
      const e = entries[index]!;
      if (which === 0) e.seek += delta;
      else if (which === 1) e.copy = Math.max(0, e.copy + delta);
      else if (which === 2) e.extra = Math.max(0, e.extra + delta);
      else e.segment = !e.segment;
      if (rng.chance(0.1)) entries.splice(rng.int(entries.length + 1), 0, { ...e });
      tables.control = controlTableOf(entries, tables.control);
      return { bytes: rebuilt(seed, {}, { tables: writeTables(tables) }), how: `control entry ${index} field ${which} ${delta}` };
    }
    const map = part === 'ram' ? tables.ram : tables.constants;
    if (part !== 'control' && map && (map.count as number) > 0) {
      const records = recordsOf(map);
      const index = rng.int(records.length);
      const r = records[index]!;
      if (which % 2 === 0) r.delta = Math.max(0, r.delta + delta);
      else r.shift += delta;
      tables[part] = valueMapOf(records, map);
      if (rng.chance(0.2)) tables[part]!.span = Math.max(0, (map.span as number) + delta);
      return { bytes: rebuilt(seed, {}, { tables: writeTables(tables) }), how: `${part} record ${index} ${which % 2 ? 'shift' : 'delta'} ${delta}` };
    }
  } catch (err) {
    if (!(err instanceof RangeError)) throw err; // a value exp-Golomb cannot code
  }
  return { bytes: seed.bytes, how: 'table (unchanged)' };
}

/** Payload or tables bytes appended, cut or replaced, with the header's lengths following. */
function bodyEdit(rng: Rng, seed: PatchSeed): { bytes: Uint8Array; how: string } {
  const { tables, payload } = rawOf(seed).patch;
  const part = rng.chance(0.5) ? 'payload' : 'tables';
  const original = part === 'tables' ? tables : payload;
  const extra = bytesOf(rng, 1 + rng.int(40));
  const cut = Math.min(extra.length, original.length);
  const edit = rng.int(3);
  const edited =
    edit === 0 ? Buffer.concat([original, extra])
    : edit === 1 ? original.subarray(0, original.length - cut)
    : Buffer.concat([original.subarray(0, original.length - cut), extra.subarray(0, cut)]);
  return { bytes: rebuilt(seed, {}, { [part]: edited }), how: `${part} ${['append', 'cut', 'replace'][edit]} ${extra.length}` };
}

/** Two patches of the same old image joined: one's header with the other's tables and payload, or a cut-and-join. */
function spliceEdit(rng: Rng, seed: PatchSeed, seeds: readonly PatchSeed[]): { bytes: Uint8Array; how: string } {
  const partners = seeds.filter((s) => s !== seed && s.old === seed.old);
  if (partners.length === 0) return { bytes: seed.bytes, how: 'splice (no partner)' };
  const other = rng.pick(partners);
  if (rng.chance(0.5)) {
    const { tables, payload } = rawOf(other).patch;
    try {
      return { bytes: rebuilt(seed, {}, { tables, payload }), how: `header of this, body of ${other.name}` };
    } catch (err) {
      if (err instanceof RangeError) return { bytes: seed.bytes, how: 'splice (unchanged)' };
      throw err;
    }
  }
  const a = rng.int(seed.bytes.length + 1);
  const b = rng.int(other.bytes.length + 1);
  return { bytes: Buffer.concat([seed.bytes.subarray(0, a), other.bytes.subarray(b)]), how: `bytes 0-${a} + ${other.name} from ${b}` };
}

/** A codec-none mutant's program compressed with codec 2, so that mutated programs reach that decoder too. */
function recompressed(rng: Rng, bytes: Uint8Array): Uint8Array | undefined {
  let raw: ReturnType<typeof rawPatchOf>;
  try {
    raw = rawPatchOf(bytes);
  } catch {
    return undefined;
  }
  if (raw.header.codec !== Codec.none) return undefined;
  const params = { windowLog2: 8 + rng.int(5), literalContext: rng.int(2) };
  const payload = compressSmall(raw.payload, params);
  const head = writeRawHeader({
    ...raw.raw,
    codec: Codec.smallLz,
    smallLz: [(params.windowLog2 - 8) | (params.literalContext << 3), raw.payload.length],
    payloadLength: payload.length,
    ...(raw.raw.tablesLength !== undefined && { tablesLength: raw.tables.length }),
  });
  return Buffer.concat([head, raw.tables, payload]);
}

/** Where the header's new SHA-256 lies (after magic, version, flags, the sizes and addresses, the old check). */
function newHashOffset(bytes: Uint8Array): number {
  let at = 4;
  const varint = (): void => {
    while (at < bytes.length && bytes[at]! & 0x80) at++;
    at++;
  };
  varint();
  varint();
  varint();
  if (bytes[3]! & FLAG.newAddress) varint();
  return at + 8;
}

/** What the mutant's program really produces, when it produces the declared size (the hash left unchecked). */
export async function produced(old: Uint8Array, bytes: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    const parsed = parsePatch(bytes);
    checkBaseImage(parsed.header, old);
    const result = new ResultBuffer(parsed.header.newSize);
    const applier = prepareApplier(old, parsed, (chunk) => result.append(chunk));
    await decodePayload(parsed.header, parsed.payload, (chunk) => applier.push(chunk));
    applier.finish();
    const out = result.bytes();
    return out.length === parsed.header.newSize ? out : undefined;
  } catch {
    return undefined;
  }
}

/** The header's promised SHA-256 set to the image the program produces, so the mutant gets past the last check. */
export async function withHashFixed(old: Uint8Array, bytes: Uint8Array): Promise<Uint8Array | undefined> {
  const image = await produced(old, bytes);
  if (!image) return undefined;
  const digest = createHash('sha256').update(image).digest();
  const at = newHashOffset(bytes);
  if (at + 32 > bytes.length) return undefined;
  const out = bytes.slice();
  out.set(digest, at);
  try {
    if (!sameBytes(decodeHeader(out).header.newSha256, digest)) return undefined;
  } catch {
    return undefined;
  }
  return out;
}

export const STRATEGIES = ['bytes', 'field', 'header', 'table', 'body', 'splice'] as const;

/** One mutant: a strategy, then maybe codec 2 re-compression, the hash fixed, re-signing. */
export async function makeMutant(rng: Rng, seeds: readonly PatchSeed[], key: Ed25519PrivateKey): Promise<Mutant> {
  // LZMA seeds one pick in five: each LZMA decode is a round trip to liblzma's thread (about 1 ms), and a
  // mutated LZMA stream mostly dies in the decoder (lzma_fuzz covers that); the program applier is reached
  // through codec none and codec 2.
  const lzma = seeds.filter((s) => rawOf(s).patch.header.codec === Codec.lzma1);
  const others = seeds.filter((s) => rawOf(s).patch.header.codec !== Codec.lzma1);
  const seed = rng.chance(0.2) || others.length === 0 ? rng.pick(lzma) : rng.pick(others);
  const strategy = rng.pick(STRATEGIES);
  let made: { bytes: Uint8Array; how: string };
  if (strategy === 'bytes') made = { bytes: applyMutations(seed.bytes, randomMutations(rng, seed.fields.length), seed.fields), how: 'bytes' };
  else if (strategy === 'field') {
    const field = rng.int(seed.fields.length);
    const value = fieldValue(rng);
    made = { bytes: applyMutations(seed.bytes, [{ kind: 'field', field, value, overlong: rng.pick([0, 0, 1]) }], seed.fields), how: `field ${seed.fields[field]!.name} = ${value}` };
  } else if (strategy === 'header') made = headerEdit(rng, seed);
  else if (strategy === 'table') made = tableEdit(rng, seed);
  else if (strategy === 'body') made = bodyEdit(rng, seed);
  else made = spliceEdit(rng, seed, seeds);
  let { bytes, how } = made;
  if (rng.chance(0.15)) {
    const again = recompressed(rng, bytes);
    if (again) {
      bytes = again;
      how += ', codec 2';
    }
  }
  if (rng.chance(0.4)) {
    const fixed = await withHashFixed(seed.old, bytes);
    if (fixed) {
      bytes = fixed;
      how += ', hash fixed';
    }
  }
  if (rng.chance(0.1)) {
    try {
      bytes = signPatch(bytes, key);
      how += ', re-signed';
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
    }
  }
  return { seed, bytes, how: `${seed.name}: ${strategy} ${how}`, chunkSeed: rng.chance(0.25) ? 0 : rng.u32() || 1, mode: rng.int(4) };
}

// ---- the C side ----------------------------------------------------------------------------------------------

export interface CResult {
  result: string;
  sha: string | undefined;
  written: number;
  ram: number | undefined;
  micros: number;
  message: string | undefined;
}

/** The batch file of device/test/apply_batch.c: an 'O' record when the old image changes, a 'P' per mutant. */
export function batchFile(mutants: readonly Mutant[]): Buffer {
  const parts: Buffer[] = [];
  let old: Uint8Array | undefined;
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return b;
  };
  for (const m of mutants) {
    if (m.seed.old !== old) {
      old = m.seed.old;
      parts.push(Buffer.from('O'), u32(old.length), Buffer.from(old));
    }
    parts.push(Buffer.from('P'), u32(m.chunkSeed), Buffer.from([m.mode]), u32(m.bytes.length), Buffer.from(m.bytes));
  }
  return Buffer.concat(parts);
}

export function parseCLine(line: string): CResult {
  const [result, sha, written, ram, micros, message] = line.split(' ');
  if (!result || !sha || written === undefined || ram === undefined || micros === undefined) throw new Error(`unreadable apply_batch line: ${line}`);
  return { result, sha: sha === '-' ? undefined : sha, written: Number(written), ram: ram === '-' ? undefined : Number(ram), micros: Number(micros), message };
}

/** Runs apply_batch on a batch file; resolves with its lines, stderr and exit status. */
export function runBatch(driver: string, file: string, mutants: readonly Mutant[], timeoutMs: number): Promise<{ lines: CResult[]; stderr: string; status: number | null; signal: NodeJS.Signals | null }> {
  writeFileSync(file, batchFile(mutants));
  return new Promise((resolve, reject) => {
    const child = spawn(driver, [file], { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('utf8');
      resolve({ lines: text.split('\n').filter(Boolean).map(parseCLine), stderr: Buffer.concat(err).toString('utf8'), status, signal });
    });
  });
}

// ---- the TypeScript side and the comparison ---------------------------------------------------------------------

export interface TsResult {
  verdict: Verdict;
  output?: Uint8Array;
  ms: number;
  /** What `info` says the device needs (stored, streaming), when the patch parses. */
  ram?: [number, number];
  /** The signed message, when the patch carries a signature trailer. */
  message?: string;
}

export async function runTs(old: Uint8Array, bytes: Uint8Array): Promise<TsResult> {
  const start = performance.now();
  let verdict: Verdict;
  let output: Uint8Array | undefined;
  try {
    output = await applyPatch(old, bytes);
    verdict = 'ok';
  } catch (err) {
    if (err instanceof CheckFailedError && /^wrong base image/.test(err.message)) verdict = 'wrong-base';
    else if (err instanceof InvalidInputError && err.message.length > 0 && !/[\r\n]/.test(err.message)) verdict = 'invalid';
    else throw err;
  }
  const ms = performance.now() - start;
  const result: TsResult = { verdict, ms, ...(output && { output }) };
  try {
    const { deviceRam } = patchInfo(bytes);
    result.ram = [deviceRam.total, deviceRam.streamingTotal];
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
  }
  try {
    const parsed = parsePatch(bytes);
    if (parsed.signature) result.message = Buffer.from(signingMessage(parsed.body, parsed.signature.keyId)).toString('hex');
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
  }
  return result;
}

const C_VERDICT: Record<string, Verdict> = { ok: 'ok', 'wrong-base': 'wrong-base', corrupt: 'invalid', unsupported: 'invalid', 'result-hash': 'invalid' };

/** Why the two results disagree (or break a rule), or undefined when they agree. */
export function disagreement(m: Mutant, ts: TsResult, c: CResult, limitMs: number): string | undefined {
  const cVerdict = C_VERDICT[c.result];
  if (cVerdict === undefined) return `C result ${c.result} (contract break or API error)`;
  if (cVerdict !== ts.verdict) return `TypeScript ${ts.verdict}, C ${c.result}`;
  if (ts.verdict === 'ok') {
    const tsSha = createHash('sha256').update(ts.output!).digest();
    const promised = decodeHeader(m.bytes).header.newSha256;
    if (!sameBytes(tsSha, promised)) return 'TypeScript accepted an image whose SHA-256 is not the header\'s';
    if (c.sha !== tsSha.toString('hex') || c.written !== ts.output!.length) return `C wrote another image (${c.written} bytes, ${c.sha})`;
    if (sameBytes(promised, createHash('sha256').update(m.seed.new).digest()) && !sameBytes(ts.output!, m.seed.new)) {
      return 'accepted a WRONG image: the seed\'s hash, other bytes';
    }
  }
  if (c.ram !== undefined && ts.ram !== undefined && c.ram !== ts.ram[m.mode & 1]) return `RAM figure: C ${c.ram}, info ${ts.ram[m.mode & 1]}`;
  if (m.mode & 2 && c.message !== undefined && c.message !== ts.message) return `signed message: C ${c.message}, TypeScript ${ts.message}`;
  if (m.mode & 2 && ts.verdict !== 'wrong-base' && ts.message !== undefined && c.message === undefined && cVerdict === 'ok') return 'C did not check a signed patch\'s signature';
  if (c.micros > limitMs * 1000) return `C took ${c.micros} us (limit ${limitMs} ms)`;
  if (ts.ms > limitMs) return `TypeScript took ${ts.ms.toFixed(0)} ms (limit ${limitMs} ms)`;
  return undefined;
}
