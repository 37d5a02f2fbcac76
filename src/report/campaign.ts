/**
 * Per data rate: fragments, airtime and campaign duration of every deliverable, from the LoRaWAN model
 * (src/lorawan: RP002 payload sizes, the SX127x time-on-air formula, the FUOTA band's duty cycle) and the
 * redundancy rule of docs/LORAWAN.md ("Planning the redundancy").
 */
import {
  MAX_FRAGMENT_INDEX,
  campaignEstimate,
  fuotaDutyCycle,
  getRegion,
  maxFragmentSize,
  resolveRedundancy,
  type PayloadOptions,
  type RedundancySpec,
  type Region,
} from '../lorawan/index.js';
import { UsageError } from '../errors.js';
import { recoverableLosses, ts004DecoderRam } from './decoder-ram.js';
import type { CampaignFigures, CampaignSettings, DataRateRow, Deliverable, Saving } from './types.js';

export const DEFAULT_REGION = 'EU868';
export const DEFAULT_LOSS = 0.1;
export const DEFAULT_CONFIDENCE = 0.99;

export interface CampaignOptions {
  region?: string;
  /** Data rates to report; default every downlink data rate of the region. */
  drs?: number[];
  redundancy?: RedundancySpec;
  loss?: number;
  confidence?: number;
  repeater?: boolean;
  dwellTime?: boolean;
}

export function campaignSettings(options: CampaignOptions): CampaignSettings {
  const region = getRegion(options.region ?? DEFAULT_REGION);
  const band = fuotaDutyCycle(region);
  const settings: CampaignSettings = {
    region: region.name,
    band: band.name,
    dutyCycle: band.dutyCycle,
    redundancy: options.redundancy ?? 'auto',
    loss: options.loss ?? DEFAULT_LOSS,
    confidence: options.confidence ?? DEFAULT_CONFIDENCE,
    repeater: Boolean(options.repeater),
    dwellTime: Boolean(options.dwellTime),
  };
  if (band.note !== undefined) settings.bandNote = band.note;
  return settings;
}

function figuresFor(deliverable: Deliverable, settings: CampaignSettings, dr: number, fragSize: number): CampaignFigures {
  const nbFrag = Math.ceil(deliverable.size / fragSize);
  const redundancy = resolveRedundancy(settings.redundancy, nbFrag, settings.loss, settings.confidence);
  const estimate = campaignEstimate(deliverable.size, {
    region: settings.region,
    dr,
    fragSize,
    redundancy,
    repeater: settings.repeater,
    dwellTime: settings.dwellTime,
  });
  return {
    kind: deliverable.kind,
    dataSize: estimate.dataSize,
    nbFrag: estimate.nbFrag,
    padding: estimate.padding,
    redundancy,
    downlinks: estimate.downlinks,
    totalAirtimeMs: estimate.totalAirtimeMs,
    campaignDurationMs: estimate.campaignDurationMs,
    exceedsIndexLimit: estimate.nbFrag + redundancy > MAX_FRAGMENT_INDEX,
    decoder: ts004DecoderRam(estimate.nbFrag, fragSize, recoverableLosses(estimate.nbFrag, redundancy)),
  };
}

function saving(baseline: CampaignFigures, delta: CampaignFigures): Saving {
  const airtimeMs = baseline.totalAirtimeMs - delta.totalAirtimeMs;
  const durationMs = baseline.campaignDurationMs - delta.campaignDurationMs;
  return {
    airtimeMs,
    airtimeFraction: airtimeMs / baseline.totalAirtimeMs,
    durationMs,
    durationFraction: durationMs / baseline.campaignDurationMs,
  };
}

/** The data rates to report: the ones asked for, or every one of the region that can carry a fragment. */
function selectDataRates(region: Region, options: CampaignOptions, payload: PayloadOptions): { drs: number[]; skipped: Array<{ dr: number; reason: string }> } {
  if (options.drs) {
    // An explicit data rate that cannot carry a frame is the user's mistake: maxFragmentSize says why.
    for (const dr of options.drs) maxFragmentSize(region, dr, payload);
    return { drs: [...options.drs], skipped: [] };
  }
  const drs: number[] = [];
  const skipped: Array<{ dr: number; reason: string }> = [];
  for (const rate of region.dataRates) {
    try {
      maxFragmentSize(region, rate.dr, payload);
      drs.push(rate.dr);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      skipped.push({ dr: rate.dr, reason: payload.dwellTime ? 'cannot carry a downlink frame with dwell time' : 'cannot carry a downlink frame' });
    }
  }
  return { drs, skipped };
}

/** Checks the region and any explicit data rates before the expensive work, so a typo costs nothing. */
export function checkCampaignOptions(options: CampaignOptions): void {
  const settings = campaignSettings(options);
  selectDataRates(getRegion(settings.region), options, { repeater: settings.repeater, dwellTime: settings.dwellTime });
}

export function dataRateRows(
  deliverables: readonly Deliverable[],
  settings: CampaignSettings,
  options: CampaignOptions,
): { rows: DataRateRow[]; skipped: Array<{ dr: number; reason: string }> } {
  const region = getRegion(settings.region);
  const payload: PayloadOptions = { repeater: settings.repeater, dwellTime: settings.dwellTime };
  const { drs, skipped } = selectDataRates(region, options, payload);
  const compressedAt = deliverables.findIndex((d) => d.kind === 'compressed');
  const rawAt = deliverables.findIndex((d) => d.kind === 'raw');
  const sentAt = deliverables.findIndex((d) => d.sent);
  const rows = drs.map((dr): DataRateRow => {
    const rate = region.dataRates.find((d) => d.dr === dr)!;
    const fragSize = maxFragmentSize(region, dr, payload);
    const figures = deliverables.map((d) => figuresFor(d, settings, dr, fragSize));
    const row: DataRateRow = {
      dr,
      modulation: rate.modulation,
      airtimeEstimate: rate.modulation === 'FSK',
      fragSize,
      timeOnAirPerFragmentMs: figures[0]!.totalAirtimeMs / figures[0]!.downlinks,
      figures,
      saving: saving(figures[compressedAt]!, figures[sentAt]!),
      savingVsRaw: saving(figures[rawAt]!, figures[sentAt]!),
    };
    if (rate.sf !== undefined) row.sf = rate.sf;
    if (rate.bandwidthKHz !== undefined) row.bandwidthKHz = rate.bandwidthKHz;
    return row;
  });
  return { rows, skipped };
}
