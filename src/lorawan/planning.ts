/**
 * Redundancy planning and campaign airtime (reference sections 2.6, 6.2 and 6.5).
 *
 * FEC rule: the smallest total T = M + R such that, with independent loss p, the number of fragments
 * received reaches M + 8 with the requested confidence (normal approximation of the binomial):
 *   (1 − p)·T − z·sqrt(p(1 − p)·T) ≥ M + 8,   z = the one-sided normal quantile of the confidence.
 * The +8 margin covers the fragments the decoder needs beyond M (measured mean 1.3–2.9, p99 up to +13
 * at small M). Bursty loss needs more: check with simulate.
 */
import { UsageError } from '../errors.js';
import { downlinkTimeOnAirMs } from './airtime.js';
import { blockLayout } from './encoder.js';
import { DATA_FRAGMENT_OVERHEAD, fuotaDutyCycle, getRegion, maxFragmentSize, type PayloadOptions } from './regions.js';

/** Fragments beyond M the FEC plan reserves for the decoder's overhead. */
export const DECODER_MARGIN = 8;

/** Standard normal CDF via erfc (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = poly * Math.exp(-z * z);
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** One-sided normal quantile: z with normalCdf(z) = confidence (bisection; 0.99 → 2.326). */
export function normalQuantile(confidence: number): number {
  checkProbability('confidence', confidence, true);
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < confidence) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function checkProbability(name: string, value: number, open = false): void {
  const ok = Number.isFinite(value) && (open ? value > 0 && value < 1 : value >= 0 && value < 1);
  if (!ok) throw new UsageError(`${name} must be ${open ? 'between 0 and 1 (exclusive)' : 'from 0 up to (not including) 1'}, got ${value}`);
}

/** Coded fragments to send for M uncoded fragments at loss p and the given confidence (rule above). */
export function planRedundancy(nbFrag: number, loss: number, confidence: number): number {
  checkProbability('loss', loss);
  const z = normalQuantile(confidence);
  const target = nbFrag + DECODER_MARGIN;
  const enough = (t: number): boolean => (1 - loss) * t - z * Math.sqrt(loss * (1 - loss) * t) >= target;
  // Closed form in u = sqrt(T): (1 − p)·u² − z·sqrt(p(1 − p))·u − target = 0, then settle on the integer.
  const a = 1 - loss;
  const b = z * Math.sqrt(loss * (1 - loss));
  const u = (b + Math.sqrt(b * b + 4 * a * target)) / (2 * a);
  let total = Math.max(nbFrag, Math.ceil(u * u));
  while (total > nbFrag && enough(total - 1)) total--;
  while (!enough(total)) total++;
  return total - nbFrag;
}

/** Carousel without FEC: rounds k such that every fragment arrives at least once: (1 − p^k)^M ≥ c. */
export function carouselRounds(nbFrag: number, loss: number, confidence: number): number {
  checkProbability('loss', loss);
  checkProbability('confidence', confidence, true);
  if (loss === 0) return 1;
  for (let rounds = 1; rounds < 1000; rounds++) {
    if (nbFrag * Math.log1p(-(loss ** rounds)) >= Math.log(confidence)) return rounds;
  }
  throw new UsageError(`loss ${loss} is too high for a carousel`);
}

/** Lost uncoded fragments not exceeded with the given confidence (normal approximation). */
export function lostQuantile(nbFrag: number, loss: number, confidence: number): number {
  checkProbability('loss', loss);
  const z = normalQuantile(confidence);
  return Math.min(nbFrag, Math.ceil(nbFrag * loss + z * Math.sqrt(nbFrag * loss * (1 - loss))));
}

export interface CampaignOptions extends PayloadOptions {
  region: string;
  dr: number;
  /** Default: the largest fragment for the data rate. */
  fragSize?: number;
  /** Coded fragments (FEC) or, for a carousel, leave 0 and set rounds. Default 0. */
  redundancy?: number;
  /** Carousel rounds (each sends all M fragments). Default 1. */
  rounds?: number;
  /** Override the region's FUOTA duty cycle (fraction); null: no limit. */
  dutyCycle?: number | null;
}

export interface CampaignEstimate {
  region: string;
  dr: number;
  dataSize: number;
  fragSize: number;
  nbFrag: number;
  padding: number;
  redundancy: number;
  rounds: number;
  /** DataFragment downlinks sent. */
  downlinks: number;
  /** FRMPayload of one DataFragment (3 + FragSize). */
  frmPayloadBytes: number;
  timeOnAirPerFragmentMs: number;
  totalAirtimeMs: number;
  /** The duty cycle that applies (fraction), or null when the band has none. */
  dutyCycle: number | null;
  dutyCycleBand: string;
  /** Airtime ÷ duty cycle: the shortest campaign the regulation allows (one gateway, one band). */
  campaignDurationMs: number;
  /** Fragments per hour the duty cycle allows (back-to-back transmission when there is no limit). */
  fragmentsPerHour: number;
}

/**
 * Airtime and duration of a FUOTA campaign for a data block of `dataSize` bytes (the FragSessionSetupReq
 * and status exchanges are unicast and not counted).
 */
export function campaignEstimate(dataSize: number, options: CampaignOptions): CampaignEstimate {
  const region = getRegion(options.region);
  const fragSize = options.fragSize ?? maxFragmentSize(region, options.dr, options);
  const limit = maxFragmentSize(region, options.dr, options);
  if (fragSize > limit) throw new UsageError(`fragment size ${fragSize} exceeds ${limit}, the maximum at ${region.name} DR${options.dr}`);
  const layout = blockLayout(dataSize, fragSize);
  const redundancy = options.redundancy ?? 0;
  const rounds = options.rounds ?? 1;
  const downlinks = layout.nbFrag * rounds + redundancy;
  const frmPayloadBytes = DATA_FRAGMENT_OVERHEAD + fragSize;
  const timeOnAirPerFragmentMs = downlinkTimeOnAirMs(region, options.dr, frmPayloadBytes);
  const totalAirtimeMs = downlinks * timeOnAirPerFragmentMs;
  const band = fuotaDutyCycle(region);
  const dutyCycle = options.dutyCycle === undefined ? band.dutyCycle : options.dutyCycle;
  return {
    region: region.name,
    dr: options.dr,
    dataSize,
    fragSize,
    nbFrag: layout.nbFrag,
    padding: layout.padding,
    redundancy,
    rounds,
    downlinks,
    frmPayloadBytes,
    timeOnAirPerFragmentMs,
    totalAirtimeMs,
    dutyCycle,
    dutyCycleBand: band.name,
    campaignDurationMs: dutyCycle ? totalAirtimeMs / dutyCycle : totalAirtimeMs,
    fragmentsPerHour: (3_600_000 * (dutyCycle ?? 1)) / timeOnAirPerFragmentMs,
  };
}
