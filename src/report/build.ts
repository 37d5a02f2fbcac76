/**
 * Builds the report of one upgrade (old -> new): the deliverables with their real sizes, the campaign figures
 * per data rate and the change maps. Bytes in, model out: no files, no printing.
 */
import { createHash } from 'node:crypto';
import { looksLikeCortexM } from '../arch/cortex-m/detect.js';
import { compressLzma } from '../codec/lzma.js';
import { createPatch } from '../pipeline/create-patch.js';
import { DEFAULT_DICT_SIZE, type ImageInput } from '../pipeline/create-patch.js';
import { patchInfo } from '../pipeline/info.js';
import { CheckFailedError } from '../errors.js';
import { campaignSettings, checkCampaignOptions, dataRateRows, type CampaignOptions } from './campaign.js';
import { changeMap, DEFAULT_MAP_CELLS } from './change-map.js';
import type { Deliverable, DeliverableKind, ImageSummary, LzmaSettings, PairReport } from './types.js';

export interface NamedImage extends ImageInput {
  name: string;
}

export interface PairReportOptions extends CampaignOptions {
  /** An existing patch to report on instead of building the pointer-aware one (the plain one is still built). */
  patch?: Uint8Array;
  /** LZMA dictionary of the patches built (default DEFAULT_DICT_SIZE, as `diff`). */
  dictSize?: number;
  /** Cells of the change maps (default 128). */
  mapCells?: number;
}

/** lc/lp/pb for the full image when the delta sent is not LZMA-compressed: the first set `diff` tries. */
const FALLBACK_LZMA: LzmaSettings = { lc: 0, lp: 2, pb: 2, dictSize: DEFAULT_DICT_SIZE };

const LABELS: Record<DeliverableKind, string> = {
  raw: 'new image (raw)',
  compressed: 'full image, LZMA',
  plain: 'plain delta',
  'pointer-aware': 'pointer-aware delta',
  patch: 'given patch',
};

export function summarize(image: NamedImage): ImageSummary {
  return { name: image.name, size: image.data.length, loadAddress: image.loadAddress, sha256: createHash('sha256').update(image.data).digest('hex') };
}

function deliverable(kind: DeliverableKind, size: number, newSize: number): Deliverable {
  return { kind, label: LABELS[kind], size, ratio: newSize / size, sent: false };
}

function patchDeliverable(kind: DeliverableKind, bytes: Uint8Array, newSize: number): Deliverable {
  const info = patchInfo(bytes);
  const d = deliverable(kind, bytes.length, newSize);
  d.patch = { transform: info.transform, signed: info.signed, applyRam: info.deviceRam, ...(info.inPlace && { inPlace: info.inPlace }) };
  if (info.lzma) d.patch.lzma = { lc: info.lzma.lc, lp: info.lzma.lp, pb: info.lzma.pb, dictSize: info.lzma.window };
  return d;
}

/** The given patch must be the upgrade being reported on. */
function checkPatchFits(bytes: Uint8Array, oldImage: ImageInput, newImage: ImageInput): void {
  const info = patchInfo(bytes);
  const newSha = createHash('sha256').update(newImage.data).digest('hex');
  if (info.new.sha256 !== newSha || info.new.size !== newImage.data.length) {
    throw new CheckFailedError(`the patch builds another image (${info.new.size} bytes, SHA-256 ${info.new.sha256.slice(0, 16)}…) than the new image given`);
  }
  if (info.old.size !== oldImage.data.length) {
    throw new CheckFailedError(`the patch applies to a ${info.old.size}-byte image, the old image given has ${oldImage.data.length} bytes`);
  }
}

/**
 * The image bytes as a plain Uint8Array view: a Node Buffer's slice() is a view, not a copy, and code that
 * copies with slice() before writing would otherwise write into the caller's image.
 */
function asPlainUint8Array<T extends NamedImage>(image: T): T {
  const d = image.data;
  return Object.getPrototypeOf(d) === Uint8Array.prototype ? image : { ...image, data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
}

export async function buildPairReport(oldInput: NamedImage, newInput: NamedImage, options: PairReportOptions = {}): Promise<PairReport> {
  checkCampaignOptions(options);
  const oldImage = asPlainUint8Array(oldInput);
  const newImage = asPlainUint8Array(newInput);
  const newSize = newImage.data.length;
  const dictSize = options.dictSize ?? DEFAULT_DICT_SIZE;
  const notes: string[] = [];
  if (options.patch) checkPatchFits(options.patch, oldImage, newImage);

  const plain = (await createPatch(oldImage, newImage, { arch: 'none', dictSize })).bytes;
  const deltas: Array<{ kind: DeliverableKind; bytes: Uint8Array }> = [{ kind: 'plain', bytes: plain }];
  if (options.patch) {
    deltas.push({ kind: 'patch', bytes: options.patch });
  } else if (looksLikeCortexM(oldImage) && looksLikeCortexM(newImage)) {
    deltas.push({ kind: 'pointer-aware', bytes: (await createPatch(oldImage, newImage, { arch: 'cortex-m', dictSize })).bytes });
  } else {
    notes.push('the images do not look like Cortex-M Thumb code: no pointer-aware delta');
  }

  const deltaDeliverables = deltas.map((d) => patchDeliverable(d.kind, d.bytes, newSize));
  // The delta sent: the given patch, else the smaller one (what `diff --arch auto` aims for).
  const sent = options.patch ? deltaDeliverables[1]! : deltaDeliverables.reduce((a, b) => (b.size < a.size ? b : a));
  sent.sent = true;
  if (!options.patch && sent.patch && !sent.patch.signed) notes.push('the deltas built here are unsigned; a signature adds 73 bytes (docs/SIGNING.md)');

  // The delta's lc/lp/pb; its window may be smaller than its dictionary (a short program): the full image
  // gets the dictionary asked for, as `diff` would use on it.
  const lzma = sent.patch?.lzma ? { ...sent.patch.lzma, dictSize: Math.max(sent.patch.lzma.dictSize, dictSize) } : FALLBACK_LZMA;
  if (!sent.patch?.lzma) notes.push(`the delta sent is not LZMA-compressed: the full image uses lc=${lzma.lc} lp=${lzma.lp} pb=${lzma.pb}`);
  const compressed = deliverable('compressed', (await compressLzma(newImage.data, lzma)).length, newSize);
  compressed.lzma = { ...lzma };
  const deliverables = [deliverable('raw', newSize, newSize), compressed, ...deltaDeliverables];

  const campaign = campaignSettings(options);
  const { rows, skipped } = dataRateRows(deliverables, campaign, options);
  const cells = options.mapCells ?? DEFAULT_MAP_CELLS;
  const changeMaps = [];
  for (const d of deltas) changeMaps.push(await changeMap(d.kind, oldImage.data, newImage.data, d.bytes, cells));

  return {
    kind: 'pair',
    old: summarize(oldImage),
    new: summarize(newImage),
    deliverables,
    delta: sent.kind,
    notes,
    campaign,
    rows,
    skipped,
    applyRam: sent.patch!.applyRam,
    changeMaps,
  };
}
