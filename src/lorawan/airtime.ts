/**
 * Time on air of LoRa and FSK frames (reference section 6.4: SX127x datasheet / AN1200.13 formula, which
 * matches LoRaMac-node's SX126x code) and of LoRaWAN downlinks.
 */
import { UsageError } from '../errors.js';
import { getDataRate, getRegion, type Region } from './regions.js';

export interface LoraAirtimeOptions {
  /** Coding rate 1..4 for 4/5..4/8 (default 1: 4/5, as LoRaWAN uses). */
  codingRate?: number;
  /** Programmed preamble symbols (default 8, as LoRaWAN uses). */
  preambleSymbols?: number;
  /** Payload CRC on (default false: LoRaWAN downlinks carry no payload CRC). */
  crc?: boolean;
  /** Implicit header (default false: LoRaWAN uses the explicit header). */
  implicitHeader?: boolean;
  /** Low-data-rate optimisation; default: on when the symbol time exceeds 16 ms. */
  lowDataRateOptimize?: boolean;
}

/** Symbol time in ms. */
export function symbolTimeMs(sf: number, bandwidthKHz: number): number {
  return 2 ** sf / bandwidthKHz;
}

/** The mandatory rule: on when Tsym > 16 ms (SF11/SF12 at 125 kHz, SF12 at 250 kHz). */
export function lowDataRateOptimizeRequired(sf: number, bandwidthKHz: number): boolean {
  return symbolTimeMs(sf, bandwidthKHz) > 16;
}

/** LoRa time on air in ms of a PHY payload of `payloadBytes` bytes. */
export function timeOnAirMs(payloadBytes: number, sf: number, bandwidthKHz: number, options: LoraAirtimeOptions = {}): number {
  if (!Number.isInteger(sf) || sf < 5 || sf > 12) throw new UsageError(`spreading factor must be 5..12, got ${sf}`);
  if (!(bandwidthKHz > 0)) throw new UsageError(`bandwidth must be positive, got ${bandwidthKHz} kHz`);
  if (!Number.isInteger(payloadBytes) || payloadBytes < 0 || payloadBytes > 255) {
    throw new UsageError(`LoRa payload must be 0..255 bytes, got ${payloadBytes}`);
  }
  const cr = options.codingRate ?? 1;
  const crc = options.crc ? 1 : 0;
  const ih = options.implicitHeader ? 1 : 0;
  const tsym = symbolTimeMs(sf, bandwidthKHz);
  if (sf <= 6) {
    // SX126x SF5/SF6: at least 12 preamble symbols, +6.25 symbols, no header offset and no LDRO.
    const preamble = Math.max(options.preambleSymbols ?? 12, 12);
    const symbols = 8 + Math.max(Math.ceil((8 * payloadBytes - 4 * sf + 16 * crc + 20 * (1 - ih)) / (4 * sf)) * (cr + 4), 0);
    return (preamble + 6.25 + symbols) * tsym;
  }
  const de = (options.lowDataRateOptimize ?? lowDataRateOptimizeRequired(sf, bandwidthKHz)) ? 1 : 0;
  const preamble = options.preambleSymbols ?? 8;
  const numerator = 8 * payloadBytes - 4 * sf + 28 + 16 * crc - 20 * ih;
  const symbols = 8 + Math.max(Math.ceil(numerator / (4 * (sf - 2 * de))) * (cr + 4), 0);
  return (preamble + 4.25 + symbols) * tsym;
}

/**
 * FSK time on air in ms, LoRaWAN framing as in LoRaMac-node: 5-byte preamble, 3-byte sync word, 1-byte
 * length, CRC-16. Not part of the reference table (its FSK rows are blank): an estimate.
 */
export function fskTimeOnAirMs(payloadBytes: number, bitrate = 50_000): number {
  const framingBytes = 5 + 3 + 1 + 2;
  return ((framingBytes + payloadBytes) * 8 * 1000) / bitrate;
}

/** Downlink PHYPayload overhead: MHDR 1 + DevAddr 4 + FCtrl 1 + FCnt 2 + FPort 1 + MIC 4 (no FOpts). */
export const DOWNLINK_OVERHEAD_BYTES = 13;

/**
 * Time on air of one downlink carrying `frmPayloadBytes` on FPort (section 6.1): explicit header, no CRC,
 * CR 4/5, 8-symbol preamble for LoRa.
 */
export function downlinkTimeOnAirMs(region: Region | string, dr: number, frmPayloadBytes: number): number {
  const rate = getDataRate(typeof region === 'string' ? getRegion(region) : region, dr);
  const phyPayload = DOWNLINK_OVERHEAD_BYTES + frmPayloadBytes;
  if (rate.modulation === 'FSK') return fskTimeOnAirMs(phyPayload, rate.bitrate);
  return timeOnAirMs(phyPayload, rate.sf!, rate.bandwidthKHz!);
}
