/**
 * Delivery stage: preparing a file (a signed patch, or an image) for transports other than LoRaWAN (HTTP
 * range downloads, MQTT OTA notices, blocks), a test server for device clients, and the fleet manifest.
 * docs/DELIVERY.md describes the commands built on this API.
 */
export { crc32, crc32Hex } from './crc32.js';
export { DEFAULT_MAX_PARTS, choosePartSize, planHttpRange, formatRangePlan, parseRangeHeader, type RangePart, type RangePlan, type RangePlanOptions, type RangeRequest } from './http-range.js';
export { SIGN_METHODS, otaNotice, type OtaNotice, type OtaNoticeData, type OtaNoticeOptions, type SignMethod } from './mqtt-ota.js';
export { BLOCK_FILE_TYPE, planBlocks, serializeBlocks, formatBlockPlan, reassembleBlocks, type Block, type BlockPlan } from './blocks.js';
export {
  MANIFEST_SCHEMA,
  buildFleetManifest,
  lookupPatch,
  parseFleetManifest,
  checkFleetManifest,
  manifestFailureMessage,
  type FleetManifest,
  type ManifestEntry,
  type ManifestPatch,
  type ManifestInput,
  type ManifestReport,
  type ManifestEntryReport,
  type ManifestCheckOptions,
  type ManifestCheck,
} from './manifest.js';
export { createDeliveryServer, type DeliveryServerOptions, type RequestRecord } from './serve.js';
