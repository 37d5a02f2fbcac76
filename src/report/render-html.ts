/**
 * The HTML report: one self-contained file (inline CSS, inline SVG, a few lines of inline script), no network
 * access (a Content-Security-Policy forbids it). The script only checks that every chart holds the bars it
 * declares and sets <body data-ok="yes"> (or "no" with data-problems), which the tests read back.
 */
import { bytes, dataRateName, duration, dutyCycleText, hexAddress, ratio, redundancyText, sentDeliverable } from './format.js';
import { COLORS, pairSections } from './html-sections.js';
import { barChart, escapeXml as esc } from './svg.js';
import type { FleetReport, PairReport, Report } from './types.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;margin:24px auto;max-width:1080px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #d8dde3}h3{font-size:15px;margin:20px 0 6px}
.meta,.note,.caption-line{color:#5a6472}.note{font-size:12px}
table{border-collapse:collapse;margin:8px 0 4px;font-size:12.5px}th,td{padding:3px 7px;border-bottom:1px solid #e4e8ec;text-align:left;white-space:nowrap}
th{background:#f3f5f7}th.group{text-align:center;border-bottom:2px solid #fff}.scroll{overflow-x:auto}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.sent{background:#26a69a;color:#fff;border-radius:3px;padding:0 5px;font-size:11px;margin-left:4px}
svg.chart{display:block;margin:8px 0}svg text{font:12px system-ui,sans-serif;fill:#1d2430}svg text.group{font-weight:600}
svg text.value,svg text.caption{fill:#5a6472}.legend-line{margin:2px 0 0}
footer{margin-top:32px;color:#5a6472;font-size:12px;border-top:1px solid #d8dde3;padding-top:8px}
`;

const CHECK_SCRIPT = `
(function () {
  var problems = [];
  var charts = document.querySelectorAll('svg.chart');
  for (var i = 0; i < charts.length; i++) {
    var svg = charts[i];
    var bars = svg.querySelectorAll('rect.bar');
    var want = Number(svg.getAttribute('data-bars'));
    if (bars.length !== want || want === 0) problems.push(svg.id + ': ' + bars.length + ' bars drawn, ' + want + ' declared');
    for (var j = 0; j < bars.length; j++) {
      var box = bars[j].getBBox();
      var value = Number(bars[j].getAttribute('data-value') || '1');
      if (value > 0 && !(box.width > 0 && box.height > 0)) { problems.push(svg.id + ': bar ' + j + ' not drawn'); break; }
    }
  }
  if (charts.length === 0) problems.push('no charts');
  document.body.setAttribute('data-charts', String(charts.length));
  document.body.setAttribute('data-problems', problems.join('; '));
  document.body.setAttribute('data-ok', problems.length === 0 ? 'yes' : 'no');
})();
`;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script>${CHECK_SCRIPT}</script>
</body>
</html>
`;
}

const METHOD = `<footer><b>How these figures are computed.</b> Sizes are the byte lengths of the patches built (or given) and of the
new image compressed with the delta's LZMA settings; ratios are new image size / size. Fragment size is the data rate's maximum FRMPayload
(RP002) − 3; fragments = uncoded M + coded (FEC) fragments; time on air per downlink from the SX127x formula with LoRaWAN downlink settings
(13 + 3 + fragment bytes, CR 4/5, 8-symbol preamble, no CRC); campaign duration = airtime / duty cycle of the band FUOTA downlinks use by
default (one gateway, setup exchanges not counted). Savings compare the delta sent with the full image compressed. docs/REPORT.md has the
details.</footer>`;

function pairHeader(r: PairReport): string {
  return (
    `<p class="meta">old <b>${esc(r.old.name)}</b>: ${bytes(r.old.size)} bytes at ${hexAddress(r.old.loadAddress)}, SHA-256 ${r.old.sha256.slice(0, 16)}…<br>` +
    `new <b>${esc(r.new.name)}</b>: ${bytes(r.new.size)} bytes at ${hexAddress(r.new.loadAddress)}, SHA-256 ${r.new.sha256.slice(0, 16)}…</p>` +
    r.notes.map((n) => `<p class="note">Note: ${esc(n)}</p>`).join('')
  );
}

function headline(r: PairReport): string {
  const sent = sentDeliverable(r);
  // The slowest and the fastest data rate with an exact airtime (FSK's is an estimate).
  const exact = r.rows.filter((row) => !row.airtimeEstimate);
  type Row = PairReport['rows'][number];
  const pick = (better: (a: Row, b: Row) => boolean): Row | undefined => exact.reduce<Row | undefined>((a, b) => (!a || better(b, a) ? b : a), undefined);
  const best = pick((a, b) => a.timeOnAirPerFragmentMs < b.timeOnAirPerFragmentMs);
  const slow = pick((a, b) => a.timeOnAirPerFragmentMs > b.timeOnAirPerFragmentMs);
  const at = (row: typeof slow): string => {
    if (!row) return '';
    const f = row.figures[r.deliverables.indexOf(sent)]!;
    return `${dataRateName(row)}: ${duration(f.campaignDurationMs)} campaign (saves ${duration(row.saving.durationMs)})`;
  };
  return `<p><b>${esc(sent.label)}: ${bytes(sent.size)} bytes</b>, ${ratio(sent.ratio)} times smaller than the new image. ${esc(at(slow))}${best && best !== slow ? `; ${esc(at(best))}` : ''}.</p>`;
}

function pairPage(r: PairReport): string {
  const title = `smartdelta report: ${r.old.name} → ${r.new.name}`;
  return page(title, `<h1>${esc(title)}</h1>${pairHeader(r)}${headline(r)}\n${pairSections(r, 'pair')}\n${METHOD}`);
}

function fleetSummary(f: FleetReport): string {
  const groups = f.entries.map((e) => ({
    label: `from ${e.old.name}`,
    bars: e.deliverables
      .filter((d) => d.kind !== 'raw')
      .map((d) => ({ label: d.label, value: d.size, valueText: `${bytes(d.size)} B${d.sent ? ' (sent)' : ''}`, color: COLORS[d.kind] })),
  }));
  const chart = barChart('fleet-sizes', 'Bytes to send per deployed version', groups);
  const drs = f.entries[0]?.rows ?? [];
  const head = `<tr><th>campaign from</th>${drs.map((row) => `<th class="num">${esc(dataRateName(row))}</th>`).join('')}</tr>`;
  const body = f.entries
    .map((e) => {
      const sent = e.deliverables.findIndex((d) => d.sent);
      return `<tr><td>${esc(e.old.name)} (${bytes(e.deliverables[sent]!.size)} B)</td>${e.rows.map((row) => `<td class="num">${duration(row.figures[sent]!.campaignDurationMs)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const c = f.campaign;
  return (
    `<section><h2>Fleet</h2><p>${f.entries.length} deployed version(s), one patch each, to <b>${esc(f.to.name)}</b> (${bytes(f.to.size)} bytes).</p>${chart}` +
    `<p>Shortest campaign per data rate (${esc(c.region)}, ${esc(dutyCycleText(c))}; redundancy ${esc(redundancyText(c.redundancy, c))}):</p>` +
    `<div class="scroll"><table><thead>${head}</thead><tbody>${body}</tbody></table></div></section>`
  );
}

function fleetPage(f: FleetReport): string {
  const title = `smartdelta fleet report → ${f.to.name}`;
  const entries = f.entries.map((e, i) => `<h2>From ${esc(e.old.name)}</h2>${pairHeader(e)}${headline(e)}\n${pairSections(e, `v${i}`)}`).join('\n');
  return page(title, `<h1>${esc(title)}</h1>${fleetSummary(f)}\n${entries}\n${METHOD}`);
}

export function renderHtml(report: Report): string {
  return report.kind === 'pair' ? pairPage(report) : fleetPage(report);
}
