/**
 * Report stage (docs/REPORT.md): sizes, ratios, airtime and campaign cost of an upgrade, or of a whole fleet,
 * as a model and three renderings (terminal text, JSON, self-contained HTML).
 */
export * from './types.js';
export { buildPairReport, summarize, type NamedImage, type PairReportOptions } from './build.js';
export { buildFleetReport, fleetWorkers, POOL_MIN_IMAGE_SIZE, type FleetOptions } from './fleet.js';
export { campaignSettings, dataRateRows, DEFAULT_REGION, DEFAULT_LOSS, DEFAULT_CONFIDENCE, type CampaignOptions } from './campaign.js';
export { ts004DecoderRam, recoverableLosses } from './decoder-ram.js';
export { changeMap, DEFAULT_MAP_CELLS } from './change-map.js';
export { renderText, NO_COLOR, type Painter } from './render-text.js';
export { reportJson, REPORT_SCHEMA } from './render-json.js';
export { renderHtml } from './render-html.js';
