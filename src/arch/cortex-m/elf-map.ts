/**
 * The RAM map from ELF symbols: data objects (and the RAM sections' starts) matched by name between the old
 * and the new ELF give exact "old address -> new address" pairs. Names that occur more than once (static
 * objects of the same name in several files) are left out rather than guessed.
 */
import type { ElfInfo } from '../../image/index.js';
import type { RamMap } from './address-map.js';
import { RAM_WINDOW_END, RAM_WINDOW_START, ramMapFromVotes, type Vote } from './infer-ram.js';

function ramAddresses(elf: ElfInfo): Map<string, { address: number; end: number }> {
  const seen = new Map<string, { address: number; end: number } | null>();
  const add = (name: string, address: number, size: number): void => {
    if (!name || address < RAM_WINDOW_START || address >= RAM_WINDOW_END) return;
    seen.set(name, seen.has(name) ? null : { address, end: address + size });
  };
  for (const s of elf.symbols) if (s.type === 'object' || s.type === 'notype') add(s.name, s.value, s.size);
  for (const s of elf.sections) if (s.flags & 2) add(`section:${s.name}`, s.addr, s.size);
  const unique = new Map<string, { address: number; end: number }>();
  for (const [name, v] of seen) if (v) unique.set(name, v);
  return unique;
}

export function ramMapFromElf(oldElf: ElfInfo, newElf: ElfInfo): RamMap {
  const before = ramAddresses(oldElf);
  const after = ramAddresses(newElf);
  const votes: Vote[] = [];
  let end = 0;
  for (const [name, old] of before) {
    const moved = after.get(name);
    if (!moved) continue;
    votes.push({ address: old.address, shift: moved.address - old.address });
    end = Math.max(end, old.end);
  }
  votes.sort((a, b) => a.address - b.address || a.shift - b.shift);
  const map = ramMapFromVotes(votes, 1);
  return map.segments.length > 0 ? { segments: map.segments, end: Math.max(end, map.end) } : map;
}
