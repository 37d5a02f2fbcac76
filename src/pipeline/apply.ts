/**
 * Applying a patch the way a device does: check the base image first, then stream the payload through the
 * decompressor into the applier, which reads the old image at random and writes the new one in order, and
 * check the result's SHA-256 at the end. Nothing is returned unless every check passed.
 */
import { createHash } from 'node:crypto';
import { CheckFailedError, InvalidInputError } from '../errors.js';
import { decompressLzma } from '../codec/lzma.js';
import { Codec, Transform, type PatchHeader } from '../container/header.js';
import { Layout } from '../delta/program.js';
import { parsePatch } from '../container/patch-file.js';
import { parseTables, type PatchTables } from '../container/tables.js';
import { ProgramApplier } from '../delta/apply.js';
import { plainSource, type SourceView } from '../delta/source.js';
import { sha256, toHex } from '../crypto/hash.js';
import { cortexMSource } from '../arch/cortex-m/apply.js';

/** Payload pieces handed to the decompressor, as a device would receive them. */
const PAYLOAD_CHUNK = 4096;

/**
 * A program can never be longer than this for a given image: every entry produces at least one byte and costs
 * at most 15 bytes of varints, every byte at most one difference and one sparse run header. The decompressor
 * stops past it, so a hostile stream cannot inflate without limit.
 */
function programBound(header: PatchHeader): number {
  return 64 + 22 * header.newSize;
}

/** The precondition: refuse a wrong base image before any work (docs/FORMAT.md, "The base check"). */
export function checkBaseImage(header: PatchHeader, old: Uint8Array): void {
  const actual = sha256(old);
  if (old.length !== header.oldSize || !header.oldCheck.every((b, i) => b === actual[i])) {
    throw new CheckFailedError(
      `wrong base image: the patch needs ${header.oldSize} bytes whose SHA-256 starts ${toHex(header.oldCheck)}, ` +
        `got ${old.length} bytes with SHA-256 ${toHex(actual)}`,
    );
  }
}

function sourceFor(old: Uint8Array, header: PatchHeader, tables: PatchTables | undefined): SourceView {
  if (header.transform === Transform.cortexM) return cortexMSource(old, header, tables!);
  return plainSource(old);
}

export async function applyPatch(old: Uint8Array, patchBytes: Uint8Array): Promise<Uint8Array> {
  const parsed = parsePatch(patchBytes);
  const { header, payload } = parsed;
  checkBaseImage(header, old);
  const tables = header.layout === Layout.sectioned ? parseTables(header, parsed.tables) : undefined;
  const result = new ResultBuffer(header.newSize);
  const hash = createHash('sha256');
  const applier = new ProgramApplier(
    { layout: header.layout, diffCoding: header.diffCoding, oldSize: header.oldSize, newSize: header.newSize, ...(tables && { entries: tables.control.entries() }) },
    sourceFor(old, header, tables),
    (chunk) => {
      result.append(chunk);
      hash.update(chunk);
    },
  );
  const pieces = function* (): Generator<Uint8Array> {
    for (let i = 0; i < payload.length; i += PAYLOAD_CHUNK) yield payload.subarray(i, i + PAYLOAD_CHUNK);
  };
  if (header.codec === Codec.lzma1) {
    await decompressLzma(pieces(), header.lzma!, programBound(header), (chunk) => applier.push(chunk));
  } else if (header.codec === Codec.none) {
    for (const piece of pieces()) applier.push(piece);
  } else {
    throw new InvalidInputError(`this build cannot decode codec ${header.codec}`);
  }
  applier.finish();
  const digest = new Uint8Array(hash.digest());
  if (!digest.every((b, i) => b === header.newSha256[i])) {
    throw new InvalidInputError(`corrupt patch: the result's SHA-256 ${toHex(digest)} differs from the expected ${toHex(header.newSha256)}`);
  }
  return result.bytes();
}

/**
 * The new image, grown as the program really produces it (doubling, never past the declared size): a header
 * that declares a large image costs no memory until the payload delivers the bytes (docs/SECURITY.md, "Limits").
 */
export class ResultBuffer {
  private data = new Uint8Array(0);
  private length = 0;

  constructor(private readonly declaredSize: number) {}

  get capacity(): number {
    return this.data.length;
  }

  append(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.declaredSize) throw new InvalidInputError(`corrupt patch: the program produces more than the declared ${this.declaredSize} bytes`);
    if (needed > this.data.length) {
      const grown = new Uint8Array(Math.min(this.declaredSize, Math.max(needed, 2 * this.data.length, 64 * 1024)));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(chunk, this.length);
    this.length = needed;
  }

  /** The bytes produced (the whole buffer once the declared size is reached, without a copy). */
  bytes(): Uint8Array {
    return this.length === this.data.length ? this.data : this.data.slice(0, this.length);
  }
}
