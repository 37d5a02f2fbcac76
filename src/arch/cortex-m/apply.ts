/** The applier's side of the relocation transform: the predicted-source view built from the control table. */
import type { PatchHeader } from '../../container/header.js';
import type { SourceFactory } from '../../delta/apply.js';
import { InvalidInputError } from '../../errors.js';
import { countFlashSegments } from './address-map.js';
import { decodeRelocationParams } from './params.js';
import { relocatingSource } from './predict.js';
import { relocationContext } from './plan.js';

export function cortexMSourceFactory(old: Uint8Array, header: PatchHeader): SourceFactory {
  const params = decodeRelocationParams(header.transformParams);
  return (table) => {
    if (!table) throw new InvalidInputError('corrupt patch: the Cortex-M relocation needs the control-first program layout');
    const found = countFlashSegments(table, params.minSegment);
    if (found !== params.flashSegments) {
      throw new InvalidInputError(`corrupt patch: the control table yields ${found} flash map segments, the header declares ${params.flashSegments}`);
    }
    return relocatingSource(relocationContext(old, header.oldLoadAddress, header.newLoadAddress, params, table));
  };
}
