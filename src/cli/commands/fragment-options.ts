/**
 * Options shared by `fragment` and `simulate` (docs/LORAWAN.md): data rate, fragment size, redundancy,
 * TS004 version and device limits, parsed into FragmentOptions. Bad values are usage errors (exit 2).
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { fromHex, getDataRate, getRegion, type DeviceLimits, type FragmentOptions, type RedundancySpec } from '../../lorawan/index.js';
import { parseInteger } from '../options.js';

export interface PlanCliOptions {
  region?: string;
  dr?: string;
  fragSize?: string;
  repeater?: boolean;
  dwellTime?: boolean;
  redundancy?: string;
  loss?: string;
  confidence?: string;
  carousel?: boolean;
  rounds?: string;
  ts004?: string;
  deviceMaxFrags?: string;
  deviceMaxFragSize?: string;
  deviceMaxLost?: string;
}

/** Adds the planning options to a command. */
export function addPlanOptions(command: Command, lossHelp: string): Command {
  return command
    .option('--region <name>', 'EU868, US915, AU915, AS923, IN865, KR920 or CN470')
    .option('--dr <n>', 'downlink data rate of the fragments (gives the fragment size N − 3 and the airtime)')
    .option('--frag-size <bytes>', 'fragment size (default: the largest for the data rate and device)')
    .option('--repeater', 'use the repeater-compatible maximum payload')
    .option('--dwell-time', 'AS923 with downlink dwell time (400 ms): smaller payloads')
    .option('--redundancy <n|p%|auto>', 'coded fragments: a count, a percentage of the fragments, or auto (from --loss and --confidence)', 'auto')
    .option('--loss <p>', lossHelp)
    .option('--confidence <c>', 'confidence for auto redundancy and the device check, e.g. 99% or 0.99', '99%')
    .option('--carousel', 'no FEC: repeat the uncoded fragments (devices without RAM for the FEC matrix)')
    .option('--rounds <n|auto>', 'carousel rounds', 'auto')
    .option('--ts004 <1|2>', 'TS004 package version of the device: 1 (v1.0.0) or 2 (v2.0.0)', '1')
    .option('--device-max-frags <n>', "device limit: most fragments per session (FRAG_MAX_NB)")
    .option('--device-max-frag-size <bytes>', "device limit: largest fragment (FRAG_MAX_SIZE)")
    .option('--device-max-lost <n>', "device limit: most lost fragments its matrix recovers (FRAG_MAX_REDUNDANCY)");
}

/** A probability written as 30%, 0.3 or 30 %: a fraction in [0, 1). */
export function parseFraction(value: string, name: string, { allowZero = true } = {}): number {
  const trimmed = value.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(trimmed);
  const n = percent ? Number(percent[1]) / 100 : /^\d*\.?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(n) || n >= 1 || n < 0 || (!allowZero && n === 0)) {
    throw new UsageError(`${name} must be a fraction below 1 or a percentage below 100 %, such as 0.3 or 30%, got "${value}"`);
  }
  return n;
}

export function parseRedundancy(value: string): RedundancySpec {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === 'auto') return 'auto';
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(trimmed);
  if (percent) return { percent: Number(percent[1]) };
  return parseInteger(trimmed, '--redundancy (a count, a percentage such as 20%, or auto)', 0, 16383);
}

/** Hex bytes of an exact length; spaces and a 0x prefix are accepted. */
export function parseHexBytes(value: string, name: string, length: number): Uint8Array {
  const bytes = fromHex(value.trim().replace(/^0x/i, '').replace(/[\s:]/g, ''));
  if (!bytes || bytes.length !== length) throw new UsageError(`${name} must be ${length} bytes of hex (${2 * length} digits), got "${value}"`);
  return bytes;
}

export function parseTs004(value: string): 1 | 2 {
  if (value === '1' || value === '2') return Number(value) as 1 | 2;
  throw new UsageError(`--ts004 must be 1 (v1.0.0) or 2 (v2.0.0), got "${value}"`);
}

/** FragmentOptions from the shared options (the caller adds the session fields). */
export function planOptions(opts: PlanCliOptions): FragmentOptions {
  const device: DeviceLimits = {};
  if (opts.deviceMaxFrags !== undefined) device.maxFrags = parseInteger(opts.deviceMaxFrags, '--device-max-frags', 1, 16383);
  if (opts.deviceMaxFragSize !== undefined) device.maxFragSize = parseInteger(opts.deviceMaxFragSize, '--device-max-frag-size', 1, 255);
  if (opts.deviceMaxLost !== undefined) device.maxLost = parseInteger(opts.deviceMaxLost, '--device-max-lost', 0, 16383);
  if ((opts.region === undefined) !== (opts.dr === undefined)) throw new UsageError('--region and --dr go together');
  const options: FragmentOptions = {
    version: parseTs004(opts.ts004 ?? '1'),
    mode: opts.carousel ? 'carousel' : 'fec',
    redundancy: parseRedundancy(opts.redundancy ?? 'auto'),
    rounds: opts.rounds === undefined || opts.rounds === 'auto' ? 'auto' : parseInteger(opts.rounds, '--rounds', 1, 1000),
    confidence: parseFraction(opts.confidence ?? '99%', '--confidence', { allowZero: false }),
    repeater: Boolean(opts.repeater),
    dwellTime: Boolean(opts.dwellTime),
    device,
  };
  // Region and data rate are checked here, with the other usage errors, before any file is looked at.
  if (opts.region !== undefined) options.region = getRegion(opts.region).name;
  if (opts.dr !== undefined) options.dr = getDataRate(options.region!, parseInteger(opts.dr, '--dr', 0, 15)).dr;
  if (opts.fragSize !== undefined) options.fragSize = parseInteger(opts.fragSize, '--frag-size', 1, 255);
  if (opts.loss !== undefined) options.loss = parseFraction(opts.loss, '--loss');
  return options;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${(ms / 1000).toFixed(1)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))} %`;
}
