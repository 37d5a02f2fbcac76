/**
 * Inline SVG charts for the HTML report, drawn from the model: horizontal bars to scale (a non-zero value gets
 * at least 1 px) and the change strip. Every bar is a <rect class="bar"> and each chart declares how many it
 * holds (data-bars), so the page's self-check and the tests can see that everything was drawn.
 */

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface Bar {
  label: string;
  value: number;
  /** Shown after the bar. */
  valueText: string;
  color: string;
  /** Tooltip. */
  title?: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

const WIDTH = 900;
const LABEL_W = 190;
const VALUE_W = 250;
const BAR_H = 16;
const GAP = 4;
const GROUP_GAP = 12;

function barRect(bar: Bar, y: number, scale: number, labelX: number): string {
  const w = bar.value > 0 ? Math.max(1, bar.value * scale) : 0;
  const title = escapeXml(bar.title ?? `${bar.label}: ${bar.valueText}`);
  return [
    `<text x="${labelX}" y="${y + BAR_H - 4}" class="label">${escapeXml(bar.label)}</text>`,
    `<rect class="bar" x="${LABEL_W}" y="${y}" width="${w.toFixed(2)}" height="${BAR_H}" fill="${bar.color}" data-value="${bar.value}"><title>${title}</title></rect>`,
    `<text x="${(LABEL_W + w + 6).toFixed(2)}" y="${y + BAR_H - 4}" class="value">${escapeXml(bar.valueText)}</text>`,
  ].join('');
}

/** Groups of horizontal bars on one linear scale; a group with a label gets a heading line. */
export function barChart(id: string, title: string, groups: readonly BarGroup[]): string {
  const all = groups.flatMap((g) => g.bars);
  const max = Math.max(...all.map((b) => b.value), 0);
  const scale = max > 0 ? (WIDTH - LABEL_W - VALUE_W) / max : 0;
  const parts: string[] = [];
  let y = 4;
  for (const group of groups) {
    if (group.label) {
      parts.push(`<text x="0" y="${y + 12}" class="group">${escapeXml(group.label)}</text>`);
      y += 18;
    }
    for (const bar of group.bars) {
      parts.push(barRect(bar, y, scale, group.label ? 12 : 0));
      y += BAR_H + GAP;
    }
    y += GROUP_GAP;
  }
  const height = y;
  return (
    `<svg id="${id}" class="chart" data-bars="${all.length}" role="img" aria-label="${escapeXml(title)}" xmlns="http://www.w3.org/2000/svg" ` +
    `width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}"><title>${escapeXml(title)}</title>${parts.join('')}</svg>`
  );
}

export interface StripRow {
  label: string;
  /** Per cell: fraction 0..1 to shade, and its tooltip. */
  cells: Array<{ fraction: number; title: string }>;
  /** Under the row. */
  caption: string;
}

/**
 * Light grey (nothing carried) to dark red (every byte carried), by the square root of the fraction, so that
 * the few changed bytes of a typical cell (a call or a pointer in 128 bytes) stay visible.
 */
export function shade(fraction: number): string {
  const f = Math.sqrt(Math.min(1, Math.max(0, fraction)));
  const mix = (a: number, b: number): number => Math.round(a + (b - a) * f);
  return `rgb(${mix(236, 183)},${mix(239, 28)},${mix(242, 28)})`;
}

const STRIP_H = 26;

/** One strip per row, the cells side by side over the whole width; an address scale under the last. */
export function changeStrips(id: string, title: string, rows: readonly StripRow[], axis: { start: string; end: string }): string {
  const parts: string[] = [];
  let y = 4;
  let bars = 0;
  const stripW = WIDTH - LABEL_W;
  for (const row of rows) {
    const cellW = stripW / Math.max(1, row.cells.length);
    parts.push(`<text x="0" y="${y + STRIP_H / 2 + 4}" class="label">${escapeXml(row.label)}</text>`);
    row.cells.forEach((cell, i) => {
      const x = LABEL_W + i * cellW;
      parts.push(
        `<rect class="bar cell" x="${x.toFixed(2)}" y="${y}" width="${cellW.toFixed(2)}" height="${STRIP_H}" fill="${shade(cell.fraction)}" ` +
          `data-fraction="${cell.fraction.toFixed(4)}"><title>${escapeXml(cell.title)}</title></rect>`,
      );
      bars++;
    });
    parts.push(`<text x="${LABEL_W}" y="${y + STRIP_H + 14}" class="caption">${escapeXml(row.caption)}</text>`);
    y += STRIP_H + 26;
  }
  parts.push(`<text x="${LABEL_W}" y="${y + 6}" class="caption">${escapeXml(axis.start)}</text>`);
  parts.push(`<text x="${WIDTH}" y="${y + 6}" class="caption" text-anchor="end">${escapeXml(axis.end)}</text>`);
  const height = y + 12;
  return (
    `<svg id="${id}" class="chart strip" data-bars="${bars}" role="img" aria-label="${escapeXml(title)}" xmlns="http://www.w3.org/2000/svg" ` +
    `width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}"><title>${escapeXml(title)}</title>${parts.join('')}</svg>`
  );
}

/** The legend of the strips: the shade of a few fractions of a cell's bytes. */
export function stripLegend(): string {
  const steps = [0, 0.02, 0.1, 0.25, 0.5, 1];
  const items = steps.map((f, i) => `<rect x="${i * 80}" y="0" width="24" height="14" fill="${shade(f)}"/><text x="${i * 80 + 30}" y="12" class="caption">${f * 100} %</text>`);
  return `<svg class="legend" xmlns="http://www.w3.org/2000/svg" width="480" height="16" viewBox="0 0 480 16" aria-hidden="true">${items.join('')}</svg>`;
}
