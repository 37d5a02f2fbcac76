/** The terminal report: aligned tables; colors only through the painter the caller passes (none by default). */
import { bytes, dataRateName, duration, dutyCycleText, hexAddress, lzmaText, percent, ratio, redundancyText, sentDeliverable } from './format.js';
import { renderTable, type Cell } from './table.js';
import type { ChangeMap, DataRateRow, FleetReport, PairReport, Report } from './types.js';

export interface Painter {
  bold(s: string): string;
  dim(s: string): string;
  good(s: string): string;
  warn(s: string): string;
}

const plain = (s: string): string => s;
export const NO_COLOR: Painter = { bold: plain, dim: plain, good: plain, warn: plain };

export function renderText(report: Report, paint: Painter = NO_COLOR): string {
  const lines = report.kind === 'pair' ? pairLines(report, paint) : fleetLines(report, paint);
  return `${lines.join('\n')}\n`;
}

function pairLines(r: PairReport, p: Painter): string[] {
  return [
    p.bold(`smartdelta report: ${r.old.name} -> ${r.new.name}`),
    `  old ${bytes(r.old.size)} bytes at ${hexAddress(r.old.loadAddress)}, new ${bytes(r.new.size)} bytes at ${hexAddress(r.new.loadAddress)}`,
    '',
    ...sizeLines(r, p),
    '',
    ...campaignHeader(r),
    ...dataRateLines(r, p),
    '',
    ...ramLines(r),
    ...changeLines(r.changeMaps),
    ...r.notes.map((n) => p.dim(`note: ${n}`)),
  ];
}

function sizeLines(r: PairReport, p: Painter): string[] {
  const rows = r.deliverables.map((d): Cell[] => {
    const detail = d.lzma
      ? `LZMA1 ${lzmaText(d.lzma)}, the delta's settings`
      : d.patch
        ? `${d.patch.transform} transform${d.patch.signed ? ', signed' : ''}, device RAM ${bytes(d.patch.applyRam.total)}` +
          (d.patch.inPlace
            ? `, in place: slot ${bytes(d.patch.inPlace.slotSize)}, scratch ${bytes(d.patch.inPlace.scratchSize)}, record ${bytes(d.patch.inPlace.progressRecord)}`
            : '')
        : '';
    const mark = d.sent ? { text: 'sent', paint: p.good } : '';
    return [d.label, bytes(d.size), ratio(d.ratio), mark, detail];
  });
  return renderTable(
    [{ header: 'what' }, { header: 'bytes', align: 'right' }, { header: 'ratio', align: 'right' }, { header: '' }, { header: '' }],
    rows,
    p.bold,
  );
}

function campaignHeader(r: PairReport): string[] {
  const c = r.campaign;
  return [
    `${c.region}, ${dutyCycleText(c)}; redundancy ${redundancyText(c.redundancy, c)}`,
    `  full = the full image LZMA-compressed, delta = the ${sentDeliverable(r).label}; fragments = uncoded + coded; campaign = airtime / duty cycle`,
  ];
}

function fragments(f: { nbFrag: number; redundancy: number; exceedsIndexLimit: boolean }): string {
  return `${f.nbFrag}+${f.redundancy}${f.exceedsIndexLimit ? '!' : ''}`;
}

function dataRateLines(r: PairReport, p: Painter): string[] {
  const full = r.deliverables.findIndex((d) => d.kind === 'compressed');
  const sent = r.deliverables.findIndex((d) => d.sent);
  const rows = r.rows.map((row: DataRateRow): Cell[] => {
    const f = row.figures[full]!;
    const d = row.figures[sent]!;
    return [
      dataRateName(row) + (row.airtimeEstimate ? '*' : ''),
      String(row.fragSize),
      duration(row.timeOnAirPerFragmentMs),
      fragments(f),
      duration(f.totalAirtimeMs),
      duration(f.campaignDurationMs),
      fragments(d),
      duration(d.totalAirtimeMs),
      duration(d.campaignDurationMs),
      { text: duration(row.saving.durationMs), paint: row.saving.durationMs > 0 ? p.good : p.warn },
      percent(row.saving.airtimeFraction, 0),
      bytes(d.decoder.ram),
    ];
  });
  const columns = [
    { header: 'data rate' },
    { header: 'frag B', align: 'right' as const },
    { header: 'ToA/frag', align: 'right' as const },
    { header: 'full frags', align: 'right' as const },
    { header: 'airtime', align: 'right' as const },
    { header: 'campaign', align: 'right' as const },
    { header: 'delta frags', align: 'right' as const },
    { header: 'airtime', align: 'right' as const },
    { header: 'campaign', align: 'right' as const },
    { header: 'saved', align: 'right' as const },
    { header: 'saved %', align: 'right' as const },
    { header: 'decoder RAM', align: 'right' as const },
  ];
  const lines = renderTable(columns, rows, p.bold);
  if (r.rows.some((row) => row.airtimeEstimate)) lines.push(p.dim('  * FSK airtime is an estimate (5-byte preamble, 3-byte sync word, length byte, CRC-16 at 50 kbit/s)'));
  if (r.rows.some((row) => row.figures.some((f) => f.exceedsIndexLimit))) lines.push(p.warn('  ! more fragments than the 14-bit TS004 index allows: not sendable in one session'));
  for (const s of r.skipped) lines.push(p.dim(`  DR${s.dr} left out: ${s.reason}`));
  return lines;
}

function ramLines(r: PairReport): string[] {
  const a = r.applyRam;
  return [
    `device RAM to apply the delta: ${bytes(a.total)} bytes from a stored patch (state ${bytes(a.fixedState)}, codec model ${bytes(a.codecModel)}, ` +
      `window ${bytes(a.codecWindow)}${a.smallTable ? `, table-first entries ${bytes(a.smallTable)}` : ''}); ` +
      `${bytes(a.streamingTotal)} applied as it arrives (tables ${bytes(a.streamingTables)} kept in RAM)`,
    `device RAM to decode the fragments: the "decoder RAM" column (TS004 FragDecoder sized for M fragments and as many losses as coded fragments), plus M x frag bytes of flash`,
  ];
}

function changeLines(maps: readonly ChangeMap[]): string[] {
  return maps.map((m) => {
    const label = m.kind === 'plain' ? 'plain delta' : m.kind === 'patch' ? 'given patch' : 'pointer-aware delta';
    const carried = m.totals.differing + m.totals.literal;
    return `bytes carried by the ${label}: ${bytes(m.totals.differing)} differing from the ${m.kind === 'plain' ? 'copied' : 'predicted'} old bytes + ${bytes(m.totals.literal)} literal = ${bytes(carried)} of ${bytes(m.newSize)} (${percent(carried / m.newSize)})`;
  });
}

function fleetLines(f: FleetReport, p: Painter): string[] {
  const sizes = renderTable(
    [
      { header: 'deployed' },
      { header: 'plain', align: 'right' },
      { header: 'pointer-aware', align: 'right' },
      { header: 'sent', align: 'right' },
      { header: 'ratio', align: 'right' },
      { header: 'full LZMA', align: 'right' },
      { header: 'apply RAM', align: 'right' },
    ],
    f.entries.map((e): Cell[] => {
      const size = (kind: string): string => {
        const d = e.deliverables.find((x) => x.kind === kind);
        return d ? bytes(d.size) : '-';
      };
      const sent = sentDeliverable(e);
      return [e.old.name, size('plain'), size('pointer-aware'), { text: bytes(sent.size), paint: p.good }, ratio(sent.ratio), size('compressed'), bytes(e.applyRam.total)];
    }),
    p.bold,
  );
  const c = f.campaign;
  const drs = f.entries[0]?.rows ?? [];
  const sentAt = (e: PairReport): number => e.deliverables.findIndex((d) => d.sent);
  const fullAt = (e: PairReport): number => e.deliverables.findIndex((d) => d.kind === 'compressed');
  const durations = renderTable(
    [{ header: 'campaign' }, ...drs.map((row) => ({ header: dataRateName(row), align: 'right' as const }))],
    [
      ...f.entries.map((e): Cell[] => [`delta from ${e.old.name}`, ...e.rows.map((row) => duration(row.figures[sentAt(e)]!.campaignDurationMs))]),
      ...(f.entries[0] ? [[`full image, LZMA`, ...f.entries[0].rows.map((row) => duration(row.figures[fullAt(f.entries[0]!)]!.campaignDurationMs))]] : []),
    ],
    p.bold,
  );
  return [
    p.bold(`smartdelta report --fleet: ${f.entries.length} deployed version(s) -> ${f.to.name} (${bytes(f.to.size)} bytes)`),
    '',
    ...sizes,
    '',
    `${c.region}, ${dutyCycleText(c)}; redundancy ${redundancyText(c.redundancy, c)}; shortest campaign (airtime / duty cycle) per data rate:`,
    ...durations,
    p.dim('  the full image uses the codec settings of the first delta; --json has every figure of every pair'),
  ];
}
