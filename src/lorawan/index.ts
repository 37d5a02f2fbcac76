/**
 * LoRaWAN stage: regions and data rates, time on air, TS004 FEC (v1.0.0 and v2.0.0) encode and decode,
 * session commands, the v2 data-block MIC, redundancy planning, carousel mode and loss simulation.
 * docs/LORAWAN.md describes the commands and file formats built on this API.
 */
export {
  REGION_NAMES,
  DATA_FRAGMENT_OVERHEAD,
  MAX_FRAG_SIZE,
  listRegions,
  getRegion,
  getDataRate,
  maxFrmPayload,
  maxFragmentSize,
  fuotaDutyCycle,
  type RegionName,
  type Region,
  type DataRate,
  type DutyCycleBand,
  type PayloadLimits,
  type PayloadOptions,
} from './regions.js';
export {
  DOWNLINK_OVERHEAD_BYTES,
  timeOnAirMs,
  fskTimeOnAirMs,
  downlinkTimeOnAirMs,
  symbolTimeMs,
  lowDataRateOptimizeRequired,
  type LoraAirtimeOptions,
} from './airtime.js';
export { MAX_FRAGMENT_INDEX, prbs23, parityRowColumns, parityRowBits, ParityMatrix, type Ts004Version } from './parity.js';
export { FecEncoder, blockLayout, encodeFragments, type BlockLayout } from './encoder.js';
export { FragmentDecoder, type DecoderOptions, type DecoderStats, type DecoderState, type FragmentOutcome } from './decoder.js';
export { reassemble, type ReassemblyParams, type ReassemblyResult, type ReassemblyFailure, type ReassemblyCheck, type FragmentInput } from './reassemble.js';
export * from './session.js';
export { aesCmac, deriveDataBlockIntKey, dataBlockB0, dataBlockMic, sha256, type DataBlockMicInput } from './mic.js';
export {
  DECODER_MARGIN,
  planRedundancy,
  carouselRounds,
  lostQuantile,
  normalCdf,
  normalQuantile,
  campaignEstimate,
  type CampaignOptions,
  type CampaignEstimate,
} from './planning.js';
export {
  DEFAULT_CONFIDENCE,
  DEFAULT_LOSS,
  fragmentFile,
  resolveRedundancy,
  type FragmentOptions,
  type FragmentSession,
  type SessionParams,
  type Downlink,
  type DeviceLimits,
  type RedundancySpec,
} from './fragmenter.js';
export {
  BINARY_MAGIC,
  BINARY_FORMAT_VERSION,
  serializeSession,
  serializeNdjson,
  serializeBinary,
  parseFragmentFile,
  type FragmentFileFormat,
  type ParsedFragmentFile,
  type ParsedFragment,
} from './fragment-file.js';
export {
  randomLoss,
  burstLoss,
  meanLoss,
  createRng,
  lossPattern,
  simulateSession,
  summarize,
  type LossModel,
  type SimulatedSession,
  type SimulationOptions,
  type SimulationResult,
  type Summary,
} from './simulate.js';
export { toHex, fromHex } from './hex.js';
