/**
 * The memory a TS004 device needs to decode a session, after LoRaMac-node's FragDecoder (reference
 * lorawan-ts004.md section 2.4; docs/LORAWAN.md, "Device limits"), for a device built exactly for the
 * session: FRAG_MAX_NB = M, FRAG_MAX_SIZE = S, FRAG_MAX_REDUNDANCY = L.
 *
 *   matrix        ((L >> 3) + 1) * L   the L x L bit matrix over the missing fragments
 *   missing index 2 * M                one u16 per fragment
 *   pivot bitmap  (L >> 3) + 1
 *   stack         (M >> 3) + 1 + S + 2 * ((L >> 3) + 1)   per call
 *   storage       M * S                the fragments themselves, in flash
 */
import type { DecoderRam } from './types.js';

export function ts004DecoderRam(nbFrag: number, fragSize: number, maxLost: number): DecoderRam {
  const rowBytes = (maxLost >> 3) + 1;
  const matrix = rowBytes * maxLost;
  const missingIndex = 2 * nbFrag;
  const pivotBitmap = rowBytes;
  const stack = (nbFrag >> 3) + 1 + fragSize + 2 * rowBytes;
  return { maxLost, matrix, missingIndex, pivotBitmap, stack, ram: matrix + missingIndex + pivotBitmap + stack, storage: nbFrag * fragSize };
}

/**
 * The losses a decoder must be able to repair: as many uncoded fragments as the coded fragments sent could
 * ever replace, at most M. A device sized for fewer fails (MatrixError) on sessions the server expects to work.
 */
export function recoverableLosses(nbFrag: number, redundancy: number): number {
  return Math.min(nbFrag, redundancy);
}
