/**
 * The report model (docs/REPORT.md): every figure of `smartdelta report`, computed from the real bytes and the
 * LoRaWAN model, as plain JSON-ready data. The renderers (text, JSON, HTML) only format it.
 */
import type { InPlaceInfo } from '../pipeline/info.js';
import type { DeviceRam } from '../pipeline/ram.js';
import type { RedundancySpec } from '../lorawan/index.js';

/** What could be sent to the device: the full image raw or compressed, or one of the deltas. */
export type DeliverableKind = 'raw' | 'compressed' | 'plain' | 'pointer-aware' | 'patch';

export interface ImageSummary {
  /** File name (or any label the caller gives). */
  name: string;
  size: number;
  loadAddress: number;
  sha256: string;
}

export interface LzmaSettings {
  lc: number;
  lp: number;
  pb: number;
  dictSize: number;
}

export interface Deliverable {
  kind: DeliverableKind;
  label: string;
  /** The real byte length of what would be sent. */
  size: number;
  /** New image size / size: how many times smaller than the raw image. */
  ratio: number;
  /** The delta the campaign figures call "delta": the given --patch, else the smaller of the two built. */
  sent: boolean;
  /** Patches only: what `smartdelta info` says about them. */
  patch?: {
    transform: 'plain' | 'cortex-m';
    signed: boolean;
    lzma?: LzmaSettings;
    /** RAM the device needs to apply it (docs/FORMAT.md, "Device RAM"). */
    applyRam: DeviceRam;
    /** In-place patches: the flash they need (slot, scratch, progress record; docs/DEVICE.md "Single slot"). */
    inPlace?: InPlaceInfo;
  };
  /** The compressed full image only: the codec settings, copied from the delta sent. */
  lzma?: LzmaSettings;
}

/** TS004 decoder memory, LoRaMac-node's FragDecoder model (docs/REPORT.md, "Decoder RAM"). */
export interface DecoderRam {
  /** Lost uncoded fragments the matrix is sized for: min(M, coded fragments sent). */
  maxLost: number;
  matrix: number;
  missingIndex: number;
  pivotBitmap: number;
  stack: number;
  /** matrix + missingIndex + pivotBitmap + stack. */
  ram: number;
  /** M x FragSize bytes of fragment storage (flash, not RAM). */
  storage: number;
}

/** One deliverable sent at one data rate. */
export interface CampaignFigures {
  kind: DeliverableKind;
  dataSize: number;
  /** M: uncoded fragments. */
  nbFrag: number;
  padding: number;
  /** Coded fragments sent (FEC). */
  redundancy: number;
  downlinks: number;
  totalAirtimeMs: number;
  /** Airtime ÷ the band's duty cycle: the shortest campaign the regulation allows. */
  campaignDurationMs: number;
  /** M + coded fragments exceed TS004's 14-bit fragment index: this cannot be sent in one session. */
  exceedsIndexLimit: boolean;
  decoder: DecoderRam;
}

export interface Saving {
  airtimeMs: number;
  /** Fraction of the baseline's airtime saved (0.9 = 90 % less). */
  airtimeFraction: number;
  durationMs: number;
  durationFraction: number;
}

export interface DataRateRow {
  dr: number;
  modulation: 'LORA' | 'FSK';
  sf?: number;
  bandwidthKHz?: number;
  /** FSK airtime is an estimate (the reference table has no FSK figures). */
  airtimeEstimate: boolean;
  fragSize: number;
  /** One DataFragment downlink: 13 + 3 + FragSize bytes of PHYPayload. */
  timeOnAirPerFragmentMs: number;
  /** In the order of PairReport.deliverables. */
  figures: CampaignFigures[];
  /** The delta sent against the full image compressed with the same codec settings. */
  saving: Saving;
  /** The delta sent against the raw full image. */
  savingVsRaw: Saving;
}

export interface CampaignSettings {
  region: string;
  /** The band FUOTA downlinks use by default (the RX2 frequency) and its duty cycle (null: no limit). */
  band: string;
  dutyCycle: number | null;
  bandNote?: string;
  redundancy: RedundancySpec;
  /** Loss and confidence that `auto` plans for. */
  loss: number;
  confidence: number;
  repeater: boolean;
  dwellTime: boolean;
}

/** Where in the new image the bytes a patch carries are: changed from the copied (or predicted) old bytes, or literal. */
export interface ChangeMap {
  kind: DeliverableKind;
  newSize: number;
  /** Bytes per cell (the last cell may be shorter). */
  cellSize: number;
  /** Per cell: bytes of copy blocks that differ from the old bytes as copied (plain) or predicted (pointer-aware). */
  differing: number[];
  /** Per cell: literal bytes (not copied from the old image at all). */
  literal: number[];
  /** Per cell: total bytes (cellSize, or less for the last). */
  bytes: number[];
  totals: { copied: number; differing: number; literal: number };
}

export interface PairReport {
  kind: 'pair';
  old: ImageSummary;
  new: ImageSummary;
  /** raw, compressed, plain, then pointer-aware or the given patch (when available). */
  deliverables: Deliverable[];
  /** Kind of the delta sent (the one marked `sent`). */
  delta: DeliverableKind;
  notes: string[];
  campaign: CampaignSettings;
  rows: DataRateRow[];
  /** Data rates left out, and why. */
  skipped: Array<{ dr: number; reason: string }>;
  /** RAM to apply the delta sent; the decoder RAM is per data rate in `rows`. */
  applyRam: DeviceRam;
  changeMaps: ChangeMap[];
}

export interface FleetReport {
  kind: 'fleet';
  to: ImageSummary;
  campaign: CampaignSettings;
  /** One entry per deployed version, in the order given. */
  entries: PairReport[];
}

export type Report = PairReport | FleetReport;
