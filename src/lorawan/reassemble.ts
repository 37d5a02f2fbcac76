/**
 * Reassembles a data block from DataFragment payloads as a device would (any subset, any order,
 * duplicates), and validates the result before handing it out: a wrong block is never returned as ok.
 *
 * Checks, in order: full rank (the block is uniquely determined by the fragments); no fragment
 * contradicts the solution (redundant and late fragments are all verified); the padding bytes of the
 * last row are zero (every server pads with zeros; a wrong TS004 version usually breaks this); then, when
 * known, the SHA-256 of the block and the v2 data-block MIC.
 *
 * A corrupted fragment makes the others look contradictory (or, when it is used in the solution, the hash
 * fail). When a SHA-256 or a MIC can confirm the block and there are spare fragments, each received fragment
 * is left out in turn: a block that then passes every check, the hash included, is returned with the left-out
 * fragment in `dropped`. Without a hash nothing is guessed.
 */
import { FragmentDecoder, type DecoderStats } from './decoder.js';
import { dataBlockMic, sha256 } from './mic.js';
import type { Ts004Version } from './parity.js';
import { rowsToBytes, wordsPerRow } from './rows.js';

export interface ReassemblyParams {
  nbFrag: number;
  fragSize: number;
  padding: number;
  version: Ts004Version;
  /** Device FRAG_MAX_REDUNDANCY to emulate (see DecoderOptions.maxLost); HOST_MAX_LOST when absent. */
  maxLost?: number;
  /** Accept non-zero padding bytes (default false). */
  allowNonZeroPadding?: boolean;
  /** Expected SHA-256 of the data block (without padding), when the fragment file carries one. */
  sha256?: Uint8Array;
  /** v2 data-block MIC to check: the root key (GenAppKey or AppKey) and the setup fields. */
  micCheck?: { rootKey: Uint8Array; sessionCnt: number; fragIndex: number; descriptor: Uint8Array; expected: Uint8Array };
}

export type ReassemblyFailure =
  | 'not-enough-fragments'
  | 'matrix-memory'
  | 'inconsistent-fragments'
  | 'padding-not-zero'
  | 'sha256-mismatch'
  | 'mic-mismatch';

export type ReassemblyResult =
  | {
      ok: true;
      /** The block, NbFrag·FragSize − Padding bytes. */
      data: Uint8Array;
      /** Distinct fragments received when the block completed. */
      needed: number;
      stats: DecoderStats;
      /** The checks that passed, named (as `smartdelta verify` names its checks) and in words. */
      checks: ReassemblyCheck[];
      /** Indexes of received fragments left out because they contradicted the others (see above); usually empty. */
      dropped: number[];
    }
  | { ok: false; reason: ReassemblyFailure; message: string; stats: DecoderStats };

export interface ReassemblyCheck {
  name: 'rank' | 'cross-check' | 'padding' | 'sha256' | 'mic' | 'dropped';
  ok: true;
  detail: string;
}

const passed = (name: ReassemblyCheck['name'], detail: string): ReassemblyCheck => ({ name, ok: true, detail });

export interface FragmentInput {
  index: number;
  payload: Uint8Array;
}

/**
 * Most lost uncoded fragments the host recovers when no device limit is given: decoding costs about
 * lost^2 x (lost / 32 + FragSize / 4) word operations (4096: about 2 s; a session of 8,000 coded fragments
 * would take over 10 s), and a device matrix for more would need over 2 MB of RAM (docs/SECURITY.md, "Limits").
 */
export const HOST_MAX_LOST = 4096;

/** Most decoder work (fragments left out × fragments pushed × NbFrag) spent looking for one bad fragment. */
export const MAX_RECOVERY_WORK = 50_000_000;

const RECOVERABLE: readonly ReassemblyFailure[] = ['inconsistent-fragments', 'sha256-mismatch', 'mic-mismatch'];

export function reassemble(fragments: Iterable<FragmentInput>, params: ReassemblyParams): ReassemblyResult {
  const received = [...fragments];
  const first = reassembleAll(received, params);
  if (first.ok || !RECOVERABLE.includes(first.reason)) return first;
  if (!params.sha256 && !params.micCheck) return first;
  if (received.length * received.length * params.nbFrag > MAX_RECOVERY_WORK) {
    return { ...first, message: `${first.message} (too many fragments to search for a single bad one)` };
  }
  for (let skip = 0; skip < received.length; skip++) {
    const result = reassembleAll(received.filter((_, i) => i !== skip), params);
    if (!result.ok) continue;
    const index = received[skip]!.index;
    // The hash confirmed this block, so the left-out fragment was the bad one.
    const detail = `fragment ${index} contradicted the others and was left out; the block is confirmed by its ${params.sha256 ? 'SHA-256' : 'MIC'}`;
    return { ...result, dropped: [index], checks: [...result.checks, passed('dropped', detail)] };
  }
  return { ...first, message: `${first.message}; leaving out any one fragment does not help` };
}

function reassembleAll(fragments: readonly FragmentInput[], params: ReassemblyParams): ReassemblyResult {
  const maxLost = params.maxLost ?? HOST_MAX_LOST;
  const decoder = new FragmentDecoder({ nbFrag: params.nbFrag, fragSize: params.fragSize, version: params.version, maxLost });
  for (const fragment of fragments) decoder.push(fragment.index, fragment.payload);
  const stats = decoder.status();
  const fail = (reason: ReassemblyFailure, message: string): ReassemblyResult => ({ ok: false, reason, message, stats });

  if (stats.state === 'failed') {
    if (params.maxLost === undefined) {
      return fail('matrix-memory', `more than ${HOST_MAX_LOST} uncoded fragments were lost: the host recovers at most ${HOST_MAX_LOST} (--device-max-lost up to 16383 for more)`);
    }
    return fail('matrix-memory', `more than ${params.maxLost} uncoded fragments were lost: the device's matrix (FRAG_MAX_REDUNDANCY ${params.maxLost}) cannot recover them`);
  }
  if (stats.inconsistent > 0) {
    return fail(
      'inconsistent-fragments',
      `${stats.inconsistent} fragment(s) contradict the others: wrong TS004 version (--ts004), wrong session, or corrupted fragments`,
    );
  }
  if (stats.state !== 'complete') {
    return fail(
      'not-enough-fragments',
      `not enough fragments: ${stats.received} distinct received (${stats.uncodedReceived} of ${params.nbFrag} uncoded); at least ${stats.rankDeficit} more independent fragment(s) needed`,
    );
  }
  const rows = decoder.blockRows();
  const checks = [passed('rank', `full rank: ${params.nbFrag} fragments determined by ${stats.neededAtCompletion} received`)];
  const crossChecked = stats.redundant + stats.duplicates + stats.late;
  checks.push(passed('cross-check', crossChecked > 0 ? `${crossChecked} extra fragment(s) agree with the block` : 'no extra fragment to cross-check'));
  if (params.padding > 0 && !params.allowNonZeroPadding) {
    if (!paddingIsZero(rows, params)) {
      return fail('padding-not-zero', `the ${params.padding} padding byte(s) of fragment ${params.nbFrag} are not zero: wrong TS004 version (--ts004) or wrong session`);
    }
    checks.push(passed('padding', `${params.padding} padding byte(s) are zero`));
  }
  const data = rowsToBytes(rows, params.fragSize, params.nbFrag * params.fragSize - params.padding);
  if (params.sha256) {
    if (!equalBytes(sha256(data), params.sha256)) return fail('sha256-mismatch', 'the reassembled block does not match the expected SHA-256');
    checks.push(passed('sha256', 'SHA-256 matches'));
  }
  if (params.micCheck) {
    const { rootKey, expected, ...fields } = params.micCheck;
    if (!equalBytes(dataBlockMic(rootKey, { ...fields, data }), expected)) {
      return fail('mic-mismatch', 'the v2 data-block MIC does not match (wrong key, SessionCnt, descriptor or data)');
    }
    checks.push(passed('mic', 'v2 data-block MIC matches'));
  }
  return { ok: true, data, needed: stats.neededAtCompletion!, stats, checks, dropped: [] };
}

function paddingIsZero(rows: Uint32Array, params: ReassemblyParams): boolean {
  const words = wordsPerRow(params.fragSize);
  const last = new Uint8Array(rows.buffer, rows.byteOffset + (params.nbFrag - 1) * words * 4, params.fragSize);
  return last.subarray(params.fragSize - params.padding).every((b) => b === 0);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
