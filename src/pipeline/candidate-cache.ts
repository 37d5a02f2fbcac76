/**
 * What creation computes once and reuses while it ranks candidates (issue 13): each plan's delta program per
 * (layout, coding), keyed by the plan's block list (the same object when a plan is narrowed to some of its
 * variants); and each compression already done, or the limit it was abandoned at, keyed by the codec setting
 * and the program's bytes: plans often encode the same program (both relocation rounds of shell and
 * synthesizer do), and a compression depends on nothing else.
 */
import { createHash } from 'node:crypto';
import type { Block } from '../delta/match.js';

type Compressed = { payload: Uint8Array } | { over: number };

export class CandidateCache {
  private readonly programs = new WeakMap<readonly Block[], Map<string, Uint8Array>>();
  private readonly compressed = new Map<string, Compressed>();
  private readonly tableSections = new WeakMap<readonly Block[], Array<{ relocation: object | undefined; withControl: boolean; tables: Uint8Array }>>();
  /** Each program's digest, computed once: several settings compress the same program. */
  private readonly digests = new WeakMap<Uint8Array, string>();

  program(blocks: readonly Block[], key: string, build: () => Uint8Array): Uint8Array {
    const programs = mapOf(this.programs, blocks);
    let program = programs.get(key);
    if (!program) programs.set(key, (program = build()));
    return program;
  }

  /**
   * A plan's tables section (the same for every job, and for the winner's final pass): by block list,
   * relocation plan (by identity) and whether it holds the control table.
   */
  tables(blocks: readonly Block[], relocation: object | undefined, withControl: boolean, build: () => Uint8Array): Uint8Array {
    let known = this.tableSections.get(blocks);
    if (!known) this.tableSections.set(blocks, (known = []));
    let entry = known.find((e) => e.relocation === relocation && e.withControl === withControl);
    if (!entry) known.push((entry = { relocation, withControl, tables: build() }));
    return entry.tables;
  }

  /**
   * The payload of compressing `program` with the codec setting `setting`, or undefined when it exceeds
   * maxLength: done once per program and setting, and not again when an earlier try already stopped past a
   * limit no larger than this one.
   */
  async compress(program: Uint8Array, setting: string, maxLength: number, run: (maxLength: number) => Promise<Uint8Array | undefined>): Promise<Uint8Array | undefined> {
    const done = this.compressed;
    let digest = this.digests.get(program);
    if (digest === undefined) this.digests.set(program, (digest = createHash('sha256').update(program).digest('hex')));
    const key = `${setting}/${program.length}/${digest}`;
    const known = done.get(key);
    if (known && 'payload' in known) return known.payload.length <= maxLength ? known.payload : undefined;
    if (known && known.over >= maxLength) return undefined;
    const payload = await run(maxLength);
    done.set(key, payload ? { payload } : { over: maxLength });
    return payload && payload.length <= maxLength ? payload : undefined;
  }
}

function mapOf<V>(maps: WeakMap<readonly Block[], Map<string, V>>, blocks: readonly Block[]): Map<string, V> {
  let map = maps.get(blocks);
  if (!map) maps.set(blocks, (map = new Map()));
  return map;
}
