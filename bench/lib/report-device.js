// The device-library section of bench/RESULTS.md (issue 8): measured flash and RAM beside the peers' published figures.
import { CORE_OBJECTS } from './device.js';
import { bytes, header, row } from './markdown.js';
import { PUBLISHED_DEVICE, PUBLISHED_DEVICE_SOURCE } from './published.js';

export function deviceSection(device) {
  const { flash, ram } = device;
  const flashCell = flash.measured
    ? `${bytes(flash.applierText)} B (applier + LZMA + SHA-256, no signature check; ${bytes(flash.linkedText)} B linked with --gc-sections, plus ${bytes(flash.libcText)} B of libc memset/memcpy)`
    : flash.reason;
  const ramCell = !ram.measured
    ? ram.reason
    : `${bytes(ram.patchInfoRam)} B by \`patchInfo().deviceRam.total\`, ${ram.cRam === undefined ? 'no figure' : `${bytes(ram.cRam)} B`} by the C library (apply_cli \`ram=\`)` +
      `${ram.cRam === ram.patchInfoRam ? '' : ' (**they differ**)'}, for the ${bytes(ram.patchSize)}-byte default patch`;
  const lines = [
    ...header(['library', 'flash', 'RAM for an update', 'pointer-aware']),
    row(['smartdelta `device/` (measured here, Cortex-M4 `-Os`)', flashCell, ramCell, 'yes']),
    ...PUBLISHED_DEVICE.map((p) => row([`${p.library} †`, p.flash, p.ram, p.pointerAware])),
    '',
    `† published figures from ${PUBLISHED_DEVICE_SOURCE}, not measured here; they are not for the pybv11 patch.`,
  ];
  if (flash.measured) {
    lines.push('', `Flash: \`${flash.command}\` with ${flash.compiler}, the \`text\` of ` +
      `${CORE_OBJECTS.map((name) => `${name}.o ${bytes(flash.objects[name].text)}`).join(', ')} ` +
      `(data + bss ${bytes(flash.applierDataBss)}); the signature glue sd_patch_sig.o (${bytes(flash.signatureText)} B) is left out as issue 8 asks` +
      `${flash.contextBytes === undefined ? '' : `; \`sizeof(sd_patch_ctx)\` = ${flash.contextBytes} B on the target`}.`);
  }
  if (ram.measured) {
    lines.push('', `RAM: the pybv11 default patch (auto, .bin inputs) applied by the host build of \`device/test/apply_cli.c\` ` +
      `(device/Makefile, gcc with sanitizers), fed in pseudo-random chunks: \`${ram.command}\` gave result=${ram.result}` +
      `${ram.result === 'ok' ? (ram.roundTrip ? ' and exactly the new image' : ' but NOT the new image') : ''}.`);
  }
  lines.push('', 'The RAM is mostly the LZMA window and probabilities and the pointer-aware control table and maps; ' +
    'the breakdown and other dictionary sizes are in [DEVICE-RESULTS.md](DEVICE-RESULTS.md).');
  return lines;
}
