/** The sections of one upgrade in the HTML report: sizes, airtime per data rate, device RAM, change map. */
import { bytes, dataRateName, duration, dutyCycleText, hexAddress, lzmaText, percent, ratio, redundancyText, sentDeliverable } from './format.js';
import { barChart, changeStrips, escapeXml as esc, stripLegend, type StripRow } from './svg.js';
import type { ChangeMap, DeliverableKind, PairReport } from './types.js';

export const COLORS: Record<DeliverableKind, string> = {
  raw: '#9e9e9e',
  compressed: '#5c6bc0',
  plain: '#f0a030',
  'pointer-aware': '#26a69a',
  patch: '#26a69a',
};

/** A table whose columns are numbers (right-aligned) except those listed in textColumns. */
function table(headers: string[], rows: string[][], textColumns: readonly number[] = [0], groupRow = ''): string {
  const cls = (i: number): string => (textColumns.includes(i) ? '' : ' class="num"');
  const th = headers.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table><thead>${groupRow}<tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table></div>`;
}

/** The header row above the airtime table's columns: fragment, full image, delta, saving. */
function airtimeGroups(r: PairReport): string {
  const th = (text: string, span: number): string => `<th colspan="${span}" class="group">${esc(text)}</th>`;
  return `<tr>${th('', 1)}${th('one fragment', 2)}${th('full image, LZMA', 3)}${th(sentDeliverable(r).label, 3)}${th('', 1)}</tr>`;
}

export function sizesSection(r: PairReport, id: string): string {
  const chart = barChart(
    `${id}-sizes`,
    'Bytes to send',
    [{ label: '', bars: r.deliverables.map((d) => ({ label: d.label, value: d.size, valueText: `${bytes(d.size)} B (ratio ${ratio(d.ratio)})`, color: COLORS[d.kind] })) }],
  );
  const rows = r.deliverables.map((d) => [
    esc(d.label) + (d.sent ? ' <span class="sent">sent</span>' : ''),
    bytes(d.size),
    ratio(d.ratio),
    esc(d.lzma ? `LZMA1 ${lzmaText(d.lzma)} (the delta's settings)` : d.patch ? `${d.patch.transform} transform${d.patch.signed ? ', signed' : ''}` : ''),
  ]);
  return `<section><h3>Sizes</h3>${chart}${table(['what', 'bytes', 'ratio (new image / size)', 'details'], rows, [0, 3])}</section>`;
}

export function airtimeSection(r: PairReport, id: string): string {
  const shown = r.deliverables.map((d, i) => ({ d, i })).filter(({ d }) => d.kind !== 'raw');
  const groups = r.rows.map((row) => ({
    label: `${dataRateName(row)}${row.airtimeEstimate ? ' (estimate)' : ''}, ${row.fragSize}-byte fragments`,
    bars: shown.map(({ d, i }) => {
      const f = row.figures[i]!;
      return {
        label: d.label,
        value: f.totalAirtimeMs,
        valueText: `${duration(f.totalAirtimeMs)} (${f.nbFrag}+${f.redundancy} fragments)`,
        color: COLORS[d.kind],
        title: `${d.label} at DR${row.dr}: ${f.downlinks} downlinks x ${duration(row.timeOnAirPerFragmentMs)} = ${duration(f.totalAirtimeMs)}; campaign ${duration(f.campaignDurationMs)}`,
      };
    }),
  }));
  const chart = barChart(`${id}-airtime`, 'Total time on air per data rate', groups);
  const full = r.deliverables.findIndex((d) => d.kind === 'compressed');
  const sent = r.deliverables.findIndex((d) => d.sent);
  const rows = r.rows.map((row) => {
    const f = row.figures[full]!;
    const d = row.figures[sent]!;
    return [
      esc(dataRateName(row)) + (row.airtimeEstimate ? '*' : ''),
      String(row.fragSize),
      duration(row.timeOnAirPerFragmentMs),
      `${f.nbFrag}+${f.redundancy}`,
      duration(f.totalAirtimeMs),
      duration(f.campaignDurationMs),
      `${d.nbFrag}+${d.redundancy}`,
      duration(d.totalAirtimeMs),
      duration(d.campaignDurationMs),
      `${duration(row.saving.durationMs)} (${percent(row.saving.durationFraction, 0)})`,
    ];
  });
  const c = r.campaign;
  const skipped = r.skipped.map((s) => `<p class="note">DR${s.dr} left out: ${esc(s.reason)}.</p>`).join('');
  return (
    `<section><h3>Airtime and campaign duration per data rate</h3>` +
    `<p>${esc(c.region)}, ${esc(dutyCycleText(c))}; redundancy ${esc(redundancyText(c.redundancy, c))}. ` +
    `The campaign duration is the airtime divided by the duty cycle, so its bars would have the same shape: the table gives it.</p>` +
    chart +
    table(['data rate', 'bytes', 'airtime', 'fragments', 'airtime', 'campaign', 'fragments', 'airtime', 'campaign', 'campaign saved'], rows, [0], airtimeGroups(r)) +
    (r.rows.some((row) => row.airtimeEstimate) ? '<p class="note">* FSK airtime is an estimate.</p>' : '') +
    skipped +
    `</section>`
  );
}

export function ramSection(r: PairReport): string {
  const a = r.applyRam;
  const apply = table(
    ['item', 'bytes'],
    [
      ['fixed state', bytes(a.fixedState)],
      ['codec model (LZMA probabilities)', bytes(a.codecModel)],
      ['codec window', bytes(a.codecWindow)],
      ['table-first entries', bytes(a.smallTable)],
      ['<b>total, patch stored in flash</b>', `<b>${bytes(a.total)}</b>`],
      ['tables, only when applied as it arrives', bytes(a.streamingTables)],
      ['total, applied as it arrives', bytes(a.streamingTotal)],
    ],
  );
  const sent = r.deliverables.findIndex((d) => d.sent);
  const decode = table(
    ['data rate', 'M', 'losses L', 'matrix', 'missing index', 'bitmap', 'stack', 'RAM', 'flash storage'],
    r.rows.map((row) => {
      const d = row.figures[sent]!.decoder;
      return [esc(dataRateName(row)), String(row.figures[sent]!.nbFrag), String(d.maxLost), bytes(d.matrix), bytes(d.missingIndex), bytes(d.pivotBitmap), bytes(d.stack), `<b>${bytes(d.ram)}</b>`, bytes(d.storage)];
    }),
  );
  return (
    `<section><h3>Device RAM</h3><p>To apply the ${esc(sentDeliverable(r).label)} (docs/FORMAT.md, "Device RAM"):</p>${apply}` +
    `<p>To decode its fragments: a TS004 decoder after LoRaMac-node's FragDecoder, sized for M fragments and L = min(M, coded fragments) ` +
    `losses (matrix ((L&gt;&gt;3)+1)·L, missing index 2·M, bitmap (L&gt;&gt;3)+1, stack (M&gt;&gt;3)+1+S+2·((L&gt;&gt;3)+1)), the fragments themselves in flash:</p>${decode}</section>`
  );
}

function stripRow(m: ChangeMap, label: string, loadAddress: number): StripRow {
  const cells = m.bytes.map((n, i) => {
    const carried = m.differing[i]! + m.literal[i]!;
    const start = loadAddress + i * m.cellSize;
    return {
      fraction: n > 0 ? carried / n : 0,
      title: `${hexAddress(start)}–${hexAddress(start + n - 1)}: ${m.differing[i]} differing + ${m.literal[i]} literal of ${n} bytes`,
    };
  });
  const carried = m.totals.differing + m.totals.literal;
  return {
    label,
    cells,
    caption: `${bytes(m.totals.differing)} differing + ${bytes(m.totals.literal)} literal = ${bytes(carried)} of ${bytes(m.newSize)} bytes (${percent(carried / m.newSize)})`,
  };
}

export function changeSection(r: PairReport, id: string): string {
  const labels: Record<DeliverableKind, string> = { raw: '', compressed: '', plain: 'plain delta', 'pointer-aware': 'pointer-aware delta', patch: 'given patch' };
  const rows = r.changeMaps.map((m) => stripRow(m, labels[m.kind], r.new.loadAddress));
  const cellSize = r.changeMaps[0]?.cellSize ?? 0;
  const end = r.new.loadAddress + r.new.size;
  const chart = changeStrips(`${id}-changes`, 'Where in the new image the bytes changed', rows, { start: hexAddress(r.new.loadAddress), end: hexAddress(end) });
  return (
    `<section><h3>Where in the image the bytes changed</h3>` +
    `<p>The new image in cells of ${bytes(cellSize)} bytes. A cell's shade shows the fraction of its bytes the patch must carry (darker by its square root, so that a few bytes show): bytes of copy blocks ` +
    `that differ from the old bytes as the patch reads them (as they are for the plain delta; as the relocation predicts them for the pointer-aware one), ` +
    `plus literal bytes, which are not copied at all. Computed by running each patch's program over the old image. Hover a cell for its counts.</p>` +
    `${chart}<p class="legend-line">${stripLegend()}</p></section>`
  );
}

export function pairSections(r: PairReport, id: string): string {
  return [sizesSection(r, id), airtimeSection(r, id), ramSection(r), changeSection(r, id)].join('\n');
}
