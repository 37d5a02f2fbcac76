/**
 * Builds a complete fragmentation session for a data block (typically a signed patch): the
 * FragSessionSetupReq and every DataFragment downlink, after checking that the device can take it.
 */
import { UsageError } from '../errors.js';
import { FecEncoder, blockLayout } from './encoder.js';
import { dataBlockMic, sha256 } from './mic.js';
import { MAX_FRAGMENT_INDEX, type Ts004Version } from './parity.js';
import { carouselRounds, lostQuantile, planRedundancy } from './planning.js';
import { DATA_FRAGMENT_OVERHEAD, MAX_FRAG_SIZE as MAX_FRAG_BYTES, getRegion, listRegions, maxFragmentSize, type PayloadOptions } from './regions.js';
import { FRAGMENTATION_FPORT, encodeDataFragment, encodeFragSessionSetupReq, type FragSessionSetup } from './session.js';

/** A device's compile-time limits (LoRaMac-node FRAG_MAX_NB, FRAG_MAX_SIZE, FRAG_MAX_REDUNDANCY). */
export interface DeviceLimits {
  maxFrags?: number;
  maxFragSize?: number;
  /** Most lost uncoded fragments the device's matrix can recover. */
  maxLost?: number;
}

/** Coded fragments: a count, a percentage of M (rounded up), or planned from loss and confidence. */
export type RedundancySpec = number | { percent: number } | 'auto';

export const DEFAULT_LOSS = 0.1;
export const DEFAULT_CONFIDENCE = 0.99;

export interface FragmentOptions extends PayloadOptions {
  /** Region and data rate give the fragment size (N − 3) and airtime. */
  region?: string;
  dr?: number;
  /** Default: the largest the data rate (and the device) allows. */
  fragSize?: number;
  /** TS004 package version: 1 (v1.0.0, default) or 2 (v2.0.0). */
  version?: Ts004Version;
  /** 'fec' (default) or 'carousel': the uncoded fragments repeated, for devices without FEC RAM. */
  mode?: 'fec' | 'carousel';
  /** FEC only; default 'auto'. */
  redundancy?: RedundancySpec;
  /** Carousel only: rounds, default 'auto'. */
  rounds?: number | 'auto';
  /** Expected downlink loss (fraction) for 'auto' and the device check; default 0.1 for 'auto'. */
  loss?: number;
  /** Default 0.99. */
  confidence?: number;
  fragIndex?: number;
  mcGroupBitMask?: number;
  blockAckDelay?: number;
  /** 4 bytes, default zeros. */
  descriptor?: Uint8Array;
  fport?: number;
  /** v2 only. */
  sessionCnt?: number;
  ackReception?: boolean;
  /** v2: GenAppKey (LoRaWAN 1.0.x) or AppKey (1.1) for the data-block MIC. */
  genAppKey?: Uint8Array;
  device?: DeviceLimits;
}

export interface SessionParams {
  version: Ts004Version;
  mode: 'fec' | 'carousel';
  fport: number;
  fragIndex: number;
  nbFrag: number;
  fragSize: number;
  padding: number;
  dataSize: number;
  /** Coded fragments sent (0 for a carousel). */
  redundancy: number;
  /** Times each uncoded fragment is sent (1 for FEC). */
  rounds: number;
  /** Loss and confidence used for planning, when a plan was made. */
  loss?: number;
  confidence?: number;
  region?: string;
  dr?: number;
  descriptor: Uint8Array;
  sessionCnt?: number;
  /** v2 data-block MIC as sent (zeros when no key was given). */
  mic?: Uint8Array;
  /** SHA-256 of the data block: not sent on air, carried in fragment files to validate reassembly. */
  sha256: Uint8Array;
}

export interface Downlink {
  /** Over-the-air index N (1-based). */
  index: number;
  coded: boolean;
  /** Carousel round (1-based). */
  round?: number;
  /** FragSize bytes (a view into `command`). */
  payload: Uint8Array;
  /** The DataFragment command: the FRMPayload to send on `fport`. */
  command: Uint8Array;
}

export interface FragmentSession {
  params: SessionParams;
  /** FragSessionSetupReq bytes (CID included): 11 (v1) or 17 (v2). */
  setup: Uint8Array;
  setupFields: FragSessionSetup;
  fragments: Downlink[];
  warnings: string[];
}

export function fragmentFile(data: Uint8Array, options: FragmentOptions = {}): FragmentSession {
  const version = options.version ?? 1;
  if (version !== 1 && version !== 2) throw new UsageError(`TS004 version must be 1 or 2, got ${String(version)}`);
  const mode = options.mode ?? 'fec';
  const device = options.device ?? {};
  const warnings: string[] = [];
  const fragSize = resolveFragSize(options, device);
  const anywhere = largestFragmentAnywhere();
  if ((options.region === undefined || options.dr === undefined) && fragSize > anywhere) {
    // Without a region nothing else checks the size: say so before a campaign is planned on it.
    warnings.push(
      `${fragSize}-byte fragments fit no LoRaWAN downlink: the largest DataFragment any region carries is ${anywhere} bytes (N − 3); ` +
        `give --region and --dr to check the size, or use --frag-size ${anywhere} or less`,
    );
  }
  const layout = blockLayout(data.length, fragSize);
  checkFragmentCount(layout.nbFrag, data.length, fragSize, options, device);

  let redundancy = 0;
  let rounds = 1;
  const planned = mode === 'fec' ? (options.redundancy ?? 'auto') === 'auto' : (options.rounds ?? 'auto') === 'auto';
  const loss = options.loss ?? (planned ? DEFAULT_LOSS : undefined);
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (mode === 'fec') {
    if (layout.nbFrag === 1) {
      throw new UsageError('the data fits in one fragment, whose coded fragments would be empty; use carousel mode or a smaller fragment size');
    }
    redundancy = resolveRedundancy(options.redundancy ?? 'auto', layout.nbFrag, loss ?? DEFAULT_LOSS, confidence);
    checkIndexSpace(layout.nbFrag, redundancy);
    checkMaxLost(layout.nbFrag, device, loss, confidence, warnings);
    if (layout.nbFrag <= 3) warnings.push(`only ${layout.nbFrag} fragments: each coded fragment is a copy of one uncoded fragment`);
    else if (version === 1 && layout.nbFrag < 30) warnings.push(`only ${layout.nbFrag} fragments: v1 parity rows are sparse, expect a few more fragments than M to be needed`);
  } else {
    rounds = options.rounds === undefined || options.rounds === 'auto' ? carouselRounds(layout.nbFrag, loss ?? DEFAULT_LOSS, confidence) : options.rounds;
    if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`carousel rounds must be a positive integer, got ${rounds}`);
  }

  const fragIndex = options.fragIndex ?? 0;
  const descriptor = options.descriptor ?? new Uint8Array(4);
  const setupFields: FragSessionSetup = {
    fragIndex,
    mcGroupBitMask: options.mcGroupBitMask ?? 0,
    nbFrag: layout.nbFrag,
    fragSize,
    fragAlgo: 0,
    blockAckDelay: options.blockAckDelay ?? 0,
    padding: layout.padding,
    descriptor,
  };
  if (version === 2) {
    setupFields.ackReception = options.ackReception ?? false;
    setupFields.sessionCnt = options.sessionCnt ?? 0;
    if (options.genAppKey) {
      setupFields.mic = dataBlockMic(options.genAppKey, { sessionCnt: setupFields.sessionCnt, fragIndex, descriptor, data });
    } else {
      setupFields.mic = new Uint8Array(4);
      warnings.push('TS004 v2 without a GenAppKey/AppKey: the setup carries a zero MIC and the device will report a MIC error');
    }
  }
  const setup = encodeFragSessionSetupReq(setupFields, version);
  const fragments = mode === 'fec' ? fecDownlinks(data, fragSize, version, fragIndex, redundancy) : carouselDownlinks(data, fragSize, fragIndex, rounds);

  const params: SessionParams = {
    version,
    mode,
    fport: options.fport ?? FRAGMENTATION_FPORT,
    fragIndex,
    nbFrag: layout.nbFrag,
    fragSize,
    padding: layout.padding,
    dataSize: data.length,
    redundancy,
    rounds,
    ...(loss !== undefined ? { loss, confidence } : {}),
    ...(options.region !== undefined ? { region: getRegion(options.region).name } : {}),
    ...(options.dr !== undefined ? { dr: options.dr } : {}),
    descriptor,
    ...(version === 2 ? { sessionCnt: setupFields.sessionCnt!, mic: setupFields.mic! } : {}),
    sha256: sha256(data),
  };
  return { params, setup, setupFields, fragments, warnings };
}

function fecDownlinks(data: Uint8Array, fragSize: number, version: Ts004Version, fragIndex: number, redundancy: number): Downlink[] {
  const encoder = new FecEncoder(data, fragSize, version);
  const total = encoder.layout.nbFrag + redundancy;
  const out: Downlink[] = [];
  for (let index = 1; index <= total; index++) {
    const command = encodeDataFragment(fragIndex, index, encoder.fragment(index));
    out.push({ index, coded: index > encoder.layout.nbFrag, payload: command.subarray(3), command });
  }
  return out;
}

function carouselDownlinks(data: Uint8Array, fragSize: number, fragIndex: number, rounds: number): Downlink[] {
  const encoder = new FecEncoder(data, fragSize, 1);
  const commands: Uint8Array[] = [];
  for (let index = 1; index <= encoder.layout.nbFrag; index++) commands.push(encodeDataFragment(fragIndex, index, encoder.fragment(index)));
  const out: Downlink[] = [];
  for (let round = 1; round <= rounds; round++) {
    commands.forEach((command, i) => out.push({ index: i + 1, coded: false, round, payload: command.subarray(3), command }));
  }
  return out;
}

/** The largest fragment any region's fastest downlink data rate carries (no repeater, no dwell time). */
function largestFragmentAnywhere(): number {
  const payloads = listRegions().flatMap((region) => region.dataRates.map((rate) => rate.maxPayload ?? 0));
  return Math.min(MAX_FRAG_BYTES, Math.max(...payloads) - DATA_FRAGMENT_OVERHEAD);
}

function resolveFragSize(options: FragmentOptions, device: DeviceLimits): number {
  const hasRate = options.region !== undefined && options.dr !== undefined;
  const rateMax = hasRate ? maxFragmentSize(options.region!, options.dr!, options) : undefined;
  const where = hasRate ? `${getRegion(options.region!).name} DR${options.dr}` : '';
  if (options.fragSize !== undefined) {
    if (rateMax !== undefined && options.fragSize > rateMax) {
      throw new UsageError(`fragment size ${options.fragSize} does not fit one downlink at ${where}: the maximum is ${rateMax} (N − 3); use --frag-size ${rateMax} or less, or a faster --dr`);
    }
    if (device.maxFragSize !== undefined && options.fragSize > device.maxFragSize) {
      throw new UsageError(`fragment size ${options.fragSize} exceeds the device's limit of ${device.maxFragSize} bytes (--device-max-frag-size); use --frag-size ${device.maxFragSize} or less`);
    }
    return options.fragSize;
  }
  if (rateMax === undefined) throw new UsageError('give a region and data rate (--region, --dr) or a fragment size (--frag-size)');
  return Math.min(rateMax, device.maxFragSize ?? rateMax);
}

function checkFragmentCount(nbFrag: number, dataSize: number, fragSize: number, options: FragmentOptions, device: DeviceLimits): void {
  if (nbFrag > MAX_FRAGMENT_INDEX) {
    throw new UsageError(`${dataSize} bytes in ${fragSize}-byte fragments make ${nbFrag} fragments, above the 14-bit index limit ${MAX_FRAGMENT_INDEX}; use larger fragments`);
  }
  if (device.maxFrags === undefined || nbFrag <= device.maxFrags) return;
  const needed = Math.ceil(dataSize / device.maxFrags);
  const hasRate = options.region !== undefined && options.dr !== undefined;
  const rateMax = hasRate ? maxFragmentSize(options.region!, options.dr!, options) : MAX_FRAG_BYTES;
  const deviceMax = device.maxFragSize ?? MAX_FRAG_BYTES;
  const largest = Math.min(rateMax, deviceMax);
  const base = `${dataSize} bytes make ${nbFrag} fragments of ${fragSize} bytes but the device accepts at most ${device.maxFrags} (--device-max-frags)`;
  if (needed <= largest) throw new UsageError(`${base}; use --frag-size ${needed} or more`);
  const fasterRate = hasRate && rateMax < deviceMax && needed <= Math.min(deviceMax, MAX_FRAG_BYTES) ? `, a faster --dr allowing ${needed}-byte fragments` : '';
  throw new UsageError(
    `${base}, and ${largest}-byte fragments (the largest here) still hold only ${device.maxFrags * largest} bytes; send a smaller file${fasterRate}, or use a device built with a larger FRAG_MAX_NB`,
  );
}

/** Coded fragments for M uncoded ones: a count, a percentage of M rounded up, or planned for the loss (auto). */
export function resolveRedundancy(spec: RedundancySpec, nbFrag: number, loss: number, confidence: number): number {
  if (spec === 'auto') return planRedundancy(nbFrag, loss, confidence);
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0) throw new UsageError(`redundancy must be a non-negative number of coded fragments, got ${spec}`);
    return spec;
  }
  if (!(spec.percent >= 0)) throw new UsageError(`redundancy percentage must be 0 or more, got ${spec.percent}`);
  return Math.ceil((nbFrag * spec.percent) / 100);
}

function checkIndexSpace(nbFrag: number, redundancy: number): void {
  if (nbFrag + redundancy > MAX_FRAGMENT_INDEX) {
    throw new UsageError(
      `${nbFrag} fragments + ${redundancy} coded exceed the 14-bit index limit ${MAX_FRAGMENT_INDEX}; use larger fragments or at most ${MAX_FRAGMENT_INDEX - nbFrag} coded fragments`,
    );
  }
}

function checkMaxLost(nbFrag: number, device: DeviceLimits, loss: number | undefined, confidence: number, warnings: string[]): void {
  if (device.maxLost === undefined) return;
  if (loss === undefined) {
    warnings.push('--device-max-lost was given without --loss: the device matrix limit was not checked');
    return;
  }
  const lost = lostQuantile(nbFrag, loss, confidence);
  if (lost > device.maxLost) {
    const percent = (loss * 100).toFixed(1).replace(/\.0$/, '');
    throw new UsageError(
      `at ${percent} % loss up to ${lost} of the ${nbFrag} uncoded fragments may be lost (${Number((confidence * 100).toFixed(2))} % confidence) but the device's matrix recovers at most ${device.maxLost} (--device-max-lost); use larger fragments (--frag-size) or a faster --dr, a more reliable link (lower --loss), carousel mode (--carousel), or a device built with a larger FRAG_MAX_REDUNDANCY`,
    );
  }
}
