/**
 * The smartdelta library: the same operations as the CLI, as typed functions over bytes (no files, no
 * printing). See README.md, "Library".
 */
export * from './errors.js';
export { createPatch, type CreatePatchOptions } from './pipeline/create-patch.js';
export type { Arch, CreatedPatch, ImageInput } from './pipeline/create-patch.js';
export { applyPatch, checkBaseImage } from './pipeline/apply.js';
export { patchInfo, type PatchInfo } from './pipeline/info.js';
export { deviceRam, type DeviceRam } from './pipeline/ram.js';
export type { InPlaceGeometry, PatchHeader } from './container/header.js';
export { applyInPlace, type InPlaceOutcome } from './inplace/apply.js';
export { applyTwoSlot } from './inplace/two-slot.js';
export { MemoryFlash, type FlashArea, type SlotFlash } from './inplace/flash.js';
export { MemoryCells, ProgressJournal, RECORD_SIZE, type Progress, type ProgressCells } from './inplace/progress.js';
export { parsePatch, signingMessage, withSignature, type ParsedPatch } from './container/patch-file.js';
export { attachSignature, signingMessageFor, signPatch } from './container/sign.js';
export {
  requireValidSignature,
  verifyFailureMessage,
  verifyPatch,
  verifySignature,
  type VerifyCheck,
  type VerifyOptions,
  type VerifyReport,
} from './pipeline/verify.js';
export { detectFormat, loadImage, type FirmwareImage } from './image/index.js';
export * as keys from './crypto/index.js';
export * as lorawan from './lorawan/index.js';
export * as report from './report/index.js';
export * as delivery from './delivery/index.js';
export * as thumb2 from './arch/cortex-m/thumb2.js';
