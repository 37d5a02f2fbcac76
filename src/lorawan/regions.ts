/**
 * LoRaWAN downlink data rates per region (RP002-1.0.x), with the maximum FRMPayload "N" that bounds a
 * DataFragment, and the regulatory duty cycle that applies to FUOTA downlinks.
 * Sources: docs/LORAWAN.md ("Regions"), reference lorawan-ts004.md sections 6.2, 6.3 and 6.5.
 */
import { UsageError } from '../errors.js';

export type RegionName = 'EU868' | 'US915' | 'AU915' | 'AS923' | 'IN865' | 'KR920' | 'CN470';
export const REGION_NAMES: readonly RegionName[] = ['EU868', 'US915', 'AU915', 'AS923', 'IN865', 'KR920', 'CN470'];

/** Maximum FRMPayload sizes of one data rate; `null` where the data rate cannot carry a frame. */
export interface PayloadLimits {
  /** RP002 "N" without FOpts (M − 8). */
  readonly maxPayload: number | null;
  /** The repeater-compatible column. */
  readonly maxPayloadRepeater: number | null;
}

export interface DataRate extends PayloadLimits {
  readonly dr: number;
  readonly modulation: 'LORA' | 'FSK';
  /** Spreading factor (LoRa only). */
  readonly sf?: number;
  /** Bandwidth in kHz (LoRa only). */
  readonly bandwidthKHz?: number;
  /** RP002 indicative physical bit rate, bit/s. */
  readonly bitrate: number;
  /** AS923 with DownlinkDwellTime = 1 (400 ms per transmission): smaller limits. Absent: same as without. */
  readonly dwell?: PayloadLimits;
}

/** A frequency band with its regulatory transmit limit. `dutyCycle` null: no duty-cycle limit. */
export interface DutyCycleBand {
  readonly name: string;
  readonly minMHz: number;
  readonly maxMHz: number;
  readonly dutyCycle: number | null;
  readonly note?: string;
}

export interface Region {
  readonly name: RegionName;
  /** Data rates usable for downlinks, ascending DR. */
  readonly dataRates: readonly DataRate[];
  /** Default RX2 window, which servers also use by default for class C multicast (section 6.3). */
  readonly rx2: { readonly frequencyMHz: number | null; readonly dr: number; readonly note?: string };
  /** Class B defaults (section 6.3); a null frequency means the ping slot hops over the downlink channels. */
  readonly classB: { readonly beaconDr: number; readonly pingSlotDr: number; readonly pingSlotFrequencyMHz: number | null };
  /** Regulatory bands relevant to downlinks. */
  readonly bands: readonly DutyCycleBand[];
  /** The band FUOTA downlinks use by default (the RX2 frequency): its duty cycle bounds the campaign. */
  readonly fuotaBand: DutyCycleBand;
}

function lora(dr: number, sf: number, bandwidthKHz: number, bitrate: number, n: number | null, nRepeater: number | null, dwell?: PayloadLimits): DataRate {
  const rate: DataRate = { dr, modulation: 'LORA', sf, bandwidthKHz, bitrate, maxPayload: n, maxPayloadRepeater: nRepeater };
  return dwell ? { ...rate, dwell } : rate;
}

function fsk(dr: number): DataRate {
  return { dr, modulation: 'FSK', bitrate: 50_000, maxPayload: 242, maxPayloadRepeater: 222 };
}

/** EU868 DR0–5 (also IN865 and KR920 DR0–5). */
const EU_LIKE_DR0_5: readonly DataRate[] = [
  lora(0, 12, 125, 250, 51, 51),
  lora(1, 11, 125, 440, 51, 51),
  lora(2, 10, 125, 980, 51, 51),
  lora(3, 9, 125, 1760, 115, 115),
  lora(4, 8, 125, 3125, 242, 222),
  lora(5, 7, 125, 5470, 242, 222),
];

/** US915 and AU915 downlink DR8–13 (RP002-1.0.2 and later: DR8 53, DR9 129). */
const US_LIKE_DOWNLINK: readonly DataRate[] = [
  lora(8, 12, 500, 980, 53, 53),
  lora(9, 11, 500, 1760, 129, 129),
  lora(10, 10, 500, 3900, 242, 222),
  lora(11, 9, 500, 7000, 242, 222),
  lora(12, 8, 500, 12500, 242, 222),
  lora(13, 7, 500, 21900, 242, 222),
];

const NOT_ALLOWED: PayloadLimits = { maxPayload: null, maxPayloadRepeater: null };

/** No regulatory duty cycle (LoRaMac-node band tables use 100 %); other rules (dwell time, LBT) may apply. */
function noDutyCycle(name: string, minMHz: number, maxMHz: number, note: string): DutyCycleBand {
  return { name, minMHz, maxMHz, dutyCycle: null, note };
}

const EU868_BANDS: readonly DutyCycleBand[] = [
  { name: 'K', minMHz: 863.0, maxMHz: 865.0, dutyCycle: 0.001 },
  { name: 'L', minMHz: 865.0, maxMHz: 868.0, dutyCycle: 0.01, note: '867.1–867.9 MHz extra channels' },
  { name: 'M', minMHz: 868.0, maxMHz: 868.6, dutyCycle: 0.01, note: '868.1/868.3/868.5 MHz default channels (RX1)' },
  { name: 'N', minMHz: 868.7, maxMHz: 869.2, dutyCycle: 0.001 },
  { name: 'P', minMHz: 869.4, maxMHz: 869.65, dutyCycle: 0.1, note: 'RX2 869.525 MHz, up to 27 dBm ERP' },
  { name: 'R', minMHz: 869.7, maxMHz: 870.0, dutyCycle: 0.01 },
];

const US_BAND = noDutyCycle('902–928', 902, 928, 'no duty-cycle limit (FCC); 400 ms dwell time applies to uplinks');
const AU_BAND = noDutyCycle('915–928', 915, 928, 'no duty-cycle limit; dwell time set by TxParamSetupReq');
const AS923_BAND: DutyCycleBand = {
  name: '915–928',
  minMHz: 915,
  maxMHz: 928,
  dutyCycle: 0.01,
  note: '1 % as in LoRaMac-node; national rules differ (LBT in Japan, 400 ms dwell time when DownlinkDwellTime = 1)',
};
const IN_BAND = noDutyCycle('865–867', 865, 867, 'no duty-cycle limit');
const KR_BAND = noDutyCycle('920–923', 920, 923, 'no duty-cycle limit; listen-before-talk required');
const CN_BAND = noDutyCycle('470–510', 470, 510, 'no duty-cycle limit in the LoRaMac-node band table');

const REGIONS: Readonly<Record<RegionName, Region>> = {
  EU868: {
    name: 'EU868',
    dataRates: [...EU_LIKE_DR0_5, lora(6, 7, 250, 11000, 242, 222), fsk(7)],
    rx2: { frequencyMHz: 869.525, dr: 0 },
    classB: { beaconDr: 3, pingSlotDr: 3, pingSlotFrequencyMHz: 869.525 },
    bands: EU868_BANDS,
    fuotaBand: EU868_BANDS[4]!,
  },
  US915: {
    name: 'US915',
    dataRates: US_LIKE_DOWNLINK,
    rx2: { frequencyMHz: 923.3, dr: 8 },
    classB: { beaconDr: 8, pingSlotDr: 8, pingSlotFrequencyMHz: null },
    bands: [US_BAND],
    fuotaBand: US_BAND,
  },
  AU915: {
    name: 'AU915',
    dataRates: US_LIKE_DOWNLINK,
    rx2: { frequencyMHz: 923.3, dr: 8 },
    classB: { beaconDr: 8, pingSlotDr: 8, pingSlotFrequencyMHz: null },
    bands: [AU_BAND],
    fuotaBand: AU_BAND,
  },
  AS923: {
    name: 'AS923',
    dataRates: [
      lora(0, 12, 125, 250, 51, 51, NOT_ALLOWED),
      lora(1, 11, 125, 440, 51, 51, NOT_ALLOWED),
      lora(2, 10, 125, 980, 115, 115, { maxPayload: 11, maxPayloadRepeater: 11 }),
      lora(3, 9, 125, 1760, 115, 115, { maxPayload: 53, maxPayloadRepeater: 53 }),
      lora(4, 8, 125, 3125, 242, 222, { maxPayload: 125, maxPayloadRepeater: 125 }),
      lora(5, 7, 125, 5470, 242, 222),
      lora(6, 7, 250, 11000, 242, 222),
      fsk(7),
    ],
    rx2: { frequencyMHz: 923.2, dr: 2, note: 'AS923-2/3/4 subtract their frequency offset' },
    classB: { beaconDr: 3, pingSlotDr: 3, pingSlotFrequencyMHz: 923.4 },
    bands: [AS923_BAND],
    fuotaBand: AS923_BAND,
  },
  IN865: {
    name: 'IN865',
    dataRates: [...EU_LIKE_DR0_5, fsk(7)],
    rx2: { frequencyMHz: 866.55, dr: 2 },
    classB: { beaconDr: 4, pingSlotDr: 4, pingSlotFrequencyMHz: 866.55 },
    bands: [IN_BAND],
    fuotaBand: IN_BAND,
  },
  KR920: {
    name: 'KR920',
    dataRates: EU_LIKE_DR0_5,
    rx2: { frequencyMHz: 921.9, dr: 0 },
    classB: { beaconDr: 3, pingSlotDr: 3, pingSlotFrequencyMHz: 923.1 },
    bands: [KR_BAND],
    fuotaBand: KR_BAND,
  },
  CN470: {
    name: 'CN470',
    dataRates: [
      lora(0, 12, 125, 250, null, null),
      lora(1, 11, 125, 440, 23, 23),
      lora(2, 10, 125, 980, 86, 86),
      lora(3, 9, 125, 1760, 184, 184),
      lora(4, 8, 125, 3125, 242, 222),
      lora(5, 7, 125, 5470, 242, 222),
      lora(6, 7, 500, 21900, 242, 222),
      fsk(7),
    ],
    rx2: { frequencyMHz: null, dr: 1, note: 'frequency depends on the channel plan (20 MHz A/B, 26 MHz A/B)' },
    classB: { beaconDr: 2, pingSlotDr: 2, pingSlotFrequencyMHz: null },
    bands: [CN_BAND],
    fuotaBand: CN_BAND,
  },
};

export function listRegions(): readonly Region[] {
  return REGION_NAMES.map((name) => REGIONS[name]);
}

/** Looks a region up by name, case-insensitively ("eu868" works). */
export function getRegion(name: string): Region {
  const key = name.trim().toUpperCase() as RegionName;
  const region = REGIONS[key];
  if (!region) throw new UsageError(`unknown region "${name}"; known regions: ${REGION_NAMES.join(', ')}`);
  return region;
}

export function getDataRate(region: Region | string, dr: number): DataRate {
  const r = typeof region === 'string' ? getRegion(region) : region;
  const rate = r.dataRates.find((d) => d.dr === dr);
  if (!rate) {
    throw new UsageError(`${r.name} has no downlink data rate DR${dr}; downlink DRs: ${r.dataRates.map((d) => d.dr).join(', ')}`);
  }
  return rate;
}

export interface PayloadOptions {
  /** Use the repeater-compatible maximum (default false). */
  repeater?: boolean;
  /** AS923 with DownlinkDwellTime = 1 (default false; ignored elsewhere). */
  dwellTime?: boolean;
}

/** Maximum FRMPayload N of a downlink at this data rate (section 6.2). */
export function maxFrmPayload(region: Region | string, dr: number, options: PayloadOptions = {}): number {
  const r = typeof region === 'string' ? getRegion(region) : region;
  const rate = getDataRate(r, dr);
  const limits = options.dwellTime && rate.dwell ? rate.dwell : rate;
  const n = options.repeater ? limits.maxPayloadRepeater : limits.maxPayload;
  if (n === null) {
    const why = options.dwellTime && rate.dwell ? ' with downlink dwell time' : '';
    throw new UsageError(`${r.name} DR${dr} cannot carry a downlink frame${why}; choose another --dr`);
  }
  return n;
}

/** DataFragment overhead in the FRMPayload: CID (1) + IndexAndN (2). */
export const DATA_FRAGMENT_OVERHEAD = 3;
/** FragSize travels in one byte. */
export const MAX_FRAG_SIZE = 255;

/** Largest TS004 fragment that fits one downlink: N − 3 (section 6.1). */
export function maxFragmentSize(region: Region | string, dr: number, options: PayloadOptions = {}): number {
  return Math.min(MAX_FRAG_SIZE, maxFrmPayload(region, dr, options) - DATA_FRAGMENT_OVERHEAD);
}

/** The band and duty cycle that bound a FUOTA campaign's downlinks in this region. */
export function fuotaDutyCycle(region: Region | string): DutyCycleBand {
  return (typeof region === 'string' ? getRegion(region) : region).fuotaBand;
}
