/**
 * What creation computes once and reuses while it ranks candidates (issue 13): each plan's delta program per
 * (layout, coding), and each compression already done, or the limit it was abandoned at. Keyed by the plan's
 * block list, which stays the same object when a plan is narrowed to some of its variants.
 */
import type { Block } from '../delta/match.js';

type Compressed = { payload: Uint8Array } | { over: number };

export class CandidateCache {
  private readonly programs = new WeakMap<readonly Block[], Map<string, Uint8Array>>();
  private readonly compressed = new WeakMap<readonly Block[], Map<string, Compressed>>();

  program(blocks: readonly Block[], key: string, build: () => Uint8Array): Uint8Array {
    const programs = mapOf(this.programs, blocks);
    let program = programs.get(key);
    if (!program) programs.set(key, (program = build()));
    return program;
  }

  /**
   * The payload of a compression, or undefined when it exceeds maxLength: done once per key, and not again
   * when an earlier try already stopped past a limit no larger than this one.
   */
  async compress(blocks: readonly Block[], key: string, maxLength: number, run: (maxLength: number) => Promise<Uint8Array | undefined>): Promise<Uint8Array | undefined> {
    const done = mapOf(this.compressed, blocks);
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
