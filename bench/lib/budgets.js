// Issue 11's figures: the patch a device can apply within a RAM budget. For each pair, the default patch
// (no budget) and --max-ram 8K / 4K: size, header, transform, layout, codec and the device RAM, with the
// round trip checked. The previous format's sizes (version 1, at abdc452) are the baseline for "no more than
// 2 % larger".
import { sameBytes } from './stats.js';

export const BUDGETS = [undefined, 8 * 1024, 4 * 1024];

/** Auto patches at abdc452 (format version 1), from that commit's bench/results.json. */
export const V1_SIZES = {
  pybv11: 17_582,
  shell: 274,
  synthesizer: 209,
  'fixtures v1.0.0 -> v1.0.1': 122,
  'fixtures v1.0.1 -> v1.1.0': 422,
  'fixtures v1.1.0 -> v1.2.0': 833,
  'fixtures v1.2.0 -> v2.0.0': 1_859,
  'fixtures v1.0.0 -> v2.0.0': 2_536,
  'fixtures v1.0.0 -> v2.0.0 (.elf)': 2_536,
};

export async function measureBudgets(lib, pairId, images) {
  const rows = [];
  for (const budget of BUDGETS) {
    const { bytes } = await lib.createPatch(images.old, images.new, { arch: 'auto', ...(budget && { maxDeviceRam: budget }) });
    const applied = await lib.applyPatch(images.old.data, bytes);
    const info = lib.patchInfo(bytes);
    rows.push({
      budget: budget ?? null,
      size: bytes.length,
      headerSize: info.headerSize,
      transform: info.transform,
      layout: info.program.layout,
      codec: info.codec,
      deviceRam: info.deviceRam.total,
      streamingRam: info.deviceRam.streamingTotal,
      roundTrip: sameBytes(applied, images.new.data),
    });
  }
  console.log(`  budgets: ${rows.map((r) => `${r.budget ?? 'default'} ${r.size} B ${r.codec} RAM ${r.deviceRam}`).join('; ')}`);
  return rows;
}

const n = (x) => x.toLocaleString('en-US');

/** Issue 11's acceptance checks over the measured pairs. */
export function budgetChecks(pairs) {
  const checks = [];
  const add = (what, measured, limit, pass) => checks.push({ what, measured, limit, pass, goal: false });
  const limits = { pybv11: [17_950, 18_500, 22_000] };
  for (const pair of pairs) {
    const [free, at8k, at4k] = pair.budgets;
    add(`${pair.id}: default patch device RAM`, `${n(free.deviceRam)} B`, '<= 12,288 B', free.deviceRam <= 12_288);
    const v1 = V1_SIZES[pair.id];
    if (v1 !== undefined) add(`${pair.id}: default patch no more than 2 % larger than format 1`, `${n(free.size)} B (was ${n(v1)})`, `<= ${n(Math.floor(v1 * 1.02))} B`, free.size <= v1 * 1.02);
    add(`${pair.id}: unsigned header without versions`, `${free.headerSize} B`, '<= 60 B', free.headerSize <= 60);
    for (const [row, label, index] of [[at8k, '8K', 1], [at4k, '4K', 2]]) {
      const limit = limits[pair.id]?.[index];
      add(`${pair.id}: --max-ram ${label} gives a ${row.transform} patch within the budget that applies`, `${n(row.size)} B, ${n(row.deviceRam)} B RAM, ${row.codec}`, limit ? `<= ${n(limit)} B` : 'fits', row.roundTrip && row.deviceRam <= row.budget && (!limit || row.size <= limit));
      if (['pybv11', 'shell', 'synthesizer'].includes(pair.id) && label === '8K') add(`${pair.id}: --max-ram 8K is pointer-aware`, row.transform, 'cortex-m', row.transform === 'cortex-m');
    }
    if (limits[pair.id]) add(`${pair.id}: default patch`, `${n(free.size)} B`, `<= ${n(limits[pair.id][0])} B`, free.size <= limits[pair.id][0]);
  }
  const size = (id) => pairs.find((p) => p.id === id)?.budgets[0].size;
  if (size('shell') !== undefined) add('shell: default patch', `${n(size('shell'))} B`, '<= 240 B', size('shell') <= 240);
  if (size('synthesizer') !== undefined) add('synthesizer: default patch', `${n(size('synthesizer'))} B`, '<= 175 B', size('synthesizer') <= 175);
  return checks;
}

export function renderBudgets(pairs) {
  const lines = [
    '## Device RAM budgets (issue 11)',
    '',
    'The default patch and the patch `--max-ram 8K` and `--max-ram 4K` choose, per pair (`--arch auto`, unsigned). RAM is ' +
      '`patchInfo().deviceRam.total`: the patch stored in flash, its tables read where they are (docs/FORMAT.md, "Device RAM"); ' +
      '"streaming" is the figure for a device that applies the patch as it arrives. "format 1" is the default patch at abdc452.',
    '',
    '| pair | format 1 | default | header | RAM | streaming | --max-ram 8K | RAM | --max-ram 4K | RAM |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const pair of pairs) {
    const [free, at8k, at4k] = pair.budgets;
    const cell = (r) => `${n(r.size)} (${r.transform}, ${r.layout}, ${r.codec})`;
    lines.push(`| ${pair.id} | ${V1_SIZES[pair.id] === undefined ? '-' : n(V1_SIZES[pair.id])} | ${cell(free)} | ${free.headerSize} | ${n(free.deviceRam)} | ${n(free.streamingRam)} | ${cell(at8k)} | ${n(at8k.deviceRam)} | ${cell(at4k)} | ${n(at4k.deviceRam)} |`);
  }
  return lines;
}
