/** Number formatting shared by the text and HTML renderers. */
import { groupDigits } from '../group-digits.js';
import type { RedundancySpec } from '../lorawan/index.js';
import type { CampaignSettings, Deliverable, PairReport } from './types.js';

export function bytes(n: number): string {
  return groupDigits(n);
}

export function ratio(r: number): string {
  return r.toFixed(2);
}

export function percent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** 394.5 ms, 12.3 s, 4 min 05 s, 2 h 07 min, 3 d 04 h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  if (d > 0) return `${d} d ${two(h)} h`;
  if (h > 0) return `${h} h ${two(m)} min`;
  return `${m} min ${two(s)} s`;
}

export function hexAddress(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

export function redundancyText(spec: RedundancySpec, settings: Pick<CampaignSettings, 'loss' | 'confidence'>): string {
  if (spec === 'auto') return `auto (planned for ${percent(settings.loss, 0)} loss, ${percent(settings.confidence, 0)} confidence)`;
  if (typeof spec === 'number') return `${spec} coded fragments`;
  return `${spec.percent} % of the fragments`;
}

export function dutyCycleText(settings: CampaignSettings): string {
  return settings.dutyCycle === null ? `no duty-cycle limit (band ${settings.band})` : `${percent(settings.dutyCycle, settings.dutyCycle < 0.01 ? 1 : 0)} duty cycle (band ${settings.band})`;
}

export function lzmaText(l: { lc: number; lp: number; pb: number; dictSize: number }): string {
  return `lc=${l.lc} lp=${l.lp} pb=${l.pb} dict=${bytes(l.dictSize)}`;
}

export function sentDeliverable(report: PairReport): Deliverable {
  return report.deliverables.find((d) => d.sent)!;
}

/** "DR5 SF7/125" or "DR7 FSK". */
export function dataRateName(row: { dr: number; modulation: string; sf?: number; bandwidthKHz?: number }): string {
  return row.modulation === 'FSK' ? `DR${row.dr} FSK` : `DR${row.dr} SF${row.sf}/${row.bandwidthKHz}`;
}
