// The image pairs the bench measures: the project's fixtures, and ../shared/corpus when it is present.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURE_VERSIONS = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.2.0', 'v2.0.0'];
export const FIXTURE_BASE = 0x0800_0000;

/** Consecutive fixture versions, the whole-release jump, and the same jump from .elf inputs. */
export function fixturePairs(root) {
  const file = (version, ext) => path.join(root, 'fixtures', 'build', version, `firmware.${ext}`);
  const pair = (from, to, ext) => ({
    id: `fixtures ${from} -> ${to}${ext === 'elf' ? ' (.elf)' : ''}`,
    group: 'fixtures',
    format: ext,
    old: file(from, ext),
    new: file(to, ext),
    base: ext === 'bin' ? FIXTURE_BASE : undefined,
  });
  const pairs = [];
  for (let i = 0; i + 1 < FIXTURE_VERSIONS.length; i++) pairs.push(pair(FIXTURE_VERSIONS[i], FIXTURE_VERSIONS[i + 1], 'bin'));
  pairs.push(pair('v1.0.0', 'v2.0.0', 'bin'));
  pairs.push(pair('v1.0.0', 'v2.0.0', 'elf'));
  return pairs;
}

/**
 * Load addresses as given in ../shared/corpus/README.md. pybv11 also has the ELF files the images were built
 * from (firmware1.bin is the part of firmware.elf at 0x08020000): the bench measures it with and without them.
 */
export function corpusPairs(corpusDir) {
  if (!existsSync(corpusDir)) return [];
  const pair = (name, from, to, base, elf) => ({
    id: name,
    group: 'corpus',
    format: 'bin',
    old: path.join(corpusDir, from),
    new: path.join(corpusDir, to),
    base,
    ...(elf && { elf: { old: path.join(corpusDir, elf[0]), new: path.join(corpusDir, elf[1]) } }),
  });
  return [
    pair('pybv11', 'pybv11/v1.10/firmware1.bin', 'pybv11/1f5d945af-dirty/firmware1.bin', 0x0802_0000,
      ['pybv11/v1.10/firmware.elf', 'pybv11/1f5d945af-dirty/firmware.elf']),
    pair('shell', 'shell/old', 'shell/new', 0x0008_0000),
    pair('synthesizer', 'synthesizer/1.bin', 'synthesizer/2.bin', 0x0008_0000),
  ];
}

/**
 * The flash images of a pair as the library sees them ({data, loadAddress}). ELF inputs go through the
 * project's loader; the peers are then run on the same flash bytes, so every tool diffs the same thing.
 * `elf` holds the two ElfInfo (symbols, sections) when the pair has ELF files, as the CLI would pass them
 * (`--old-elf/--new-elf`, or the inputs themselves when they are ELF).
 */
export function loadPair(pair, { loadImage, parseElf }) {
  const read = (file) => new Uint8Array(readFileSync(file));
  const loaded = [pair.old, pair.new].map((file) => {
    const bytes = read(file);
    return pair.format === 'bin' ? { data: bytes, loadAddress: pair.base } : loadImage(bytes, { name: file });
  });
  const [oldImage, newImage] = loaded.map((image) => ({ data: image.data, loadAddress: image.loadAddress }));
  const images = { old: oldImage, new: newImage };
  if (pair.elf) images.elf = { old: parseElf(read(pair.elf.old)).info, new: parseElf(read(pair.elf.new)).info };
  else if (loaded[0].elf && loaded[1].elf) images.elf = { old: loaded[0].elf, new: loaded[1].elf };
  return images;
}
