/**
 * The applier's side of the relocation transform: the predicted-source view whose maps are searched where the
 * patch is stored (the control table's segments, the value map records), as a device does.
 */
import type { PatchHeader } from '../../container/header.js';
import type { PatchTables } from '../../container/tables.js';
import type { SourceView } from '../../delta/source.js';
import { relocatingSource } from './predict.js';

export function cortexMSource(old: Uint8Array, header: PatchHeader, tables: PatchTables): SourceView {
  return relocatingSource({
    old,
    oldBase: header.oldLoadAddress,
    newBase: header.newLoadAddress,
    recognize: header.recognize,
    flash: { shiftAt: (o) => tables.control.flashShift(o) },
    ram: tables.ram,
    ramStart: tables.ram.start,
    ramEnd: tables.ram.end,
    constants: tables.constants,
    constStart: tables.constants.start,
    constEnd: tables.constants.end,
  });
}
