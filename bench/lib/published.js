// Published figures, typed in by hand: NOT run here. detools and hdiffz are not installed on this machine.
// Sizes: /work/shared/corpus/README.md, "What the peers reach on these pairs" (the same figures appear in
// shared/reference/peers.md section A). Times: shared/reference/peers.md section A (detools on pybv11, median
// wall time with Python start-up).

export const PUBLISHED_SOURCE = '../shared/corpus/README.md ("What the peers reach on these pairs")';
export const PUBLISHED_TIMES_SOURCE = '../shared/reference/peers.md, section A';

/** Patch bytes; null where the figure does not exist (no ELF for shell and synthesizer). */
export const PUBLISHED_SIZES = {
  pybv11: { xz: 184_176, bsdiff: 40_470, detoolsBsdiffLzma: 36_417, detoolsCortexM4: 31_812, detoolsCortexM4Elf: 30_908, hdiffzLzma2: 35_313 },
  shell: { xz: 45_724, bsdiff: 1_613, detoolsBsdiffLzma: 1_742, detoolsCortexM4: 925, detoolsCortexM4Elf: null, hdiffzLzma2: 1_658 },
  synthesizer: { xz: 52_992, bsdiff: 1_056, detoolsBsdiffLzma: 1_121, detoolsCortexM4: 607, detoolsCortexM4Elf: null, hdiffzLzma2: 976 },
};

export const PUBLISHED_COLUMNS = [
  ['detoolsBsdiffLzma', 'detools bsdiff+lzma'],
  ['detoolsCortexM4', 'detools arm-cortex-m4'],
  ['detoolsCortexM4Elf', 'detools arm-cortex-m4 + ELF ranges'],
  ['hdiffzLzma2', 'hdiffz lzma2'],
];

/** detools on pybv11, seconds: median wall time, Python start-up included (peers.md section A). */
export const PUBLISHED_DETOOLS_TIMES_PYBV11 = {
  create: 0.36,
  createDataFormat: 0.52,
  createElfRanges: 1.34,
  apply: 0.19,
  applyDataFormat: 0.86,
};

/** Peers' device libraries: shared/reference/peers.md section C (published, not measured here). */
export const PUBLISHED_DEVICE_SOURCE = '../shared/reference/peers.md, section C';
export const PUBLISHED_DEVICE = [
  { library: "Actility Smart Delta's device library", flash: 'about 4 KB', ram: 'about 2.3 KB (plus a 4 KB swap area in flash)', pointerAware: 'claimed' },
  { library: 'detools C library', flash: '6.5-9 KB', ram: 'not published', pointerAware: 'no (its arm-cortex-m4 patches apply on the host only)' },
];

/** The acceptance figures of issues 2, 4 and 8 (unsigned patch bytes, header included, .bin inputs). */
export const TARGETS = {
  plainAtMostDetools: { pybv11: 36_417, shell: 1_742, synthesizer: 1_121 },
  pointerAware: { pybv11: 20_000, shell: 400, synthesizer: 300 },
  pointerAwareGoal: { pybv11: 16_000, shell: 200, synthesizer: 120 },
  pybv11CreateSeconds: 1.34,
  pybv11ApplySeconds: 1,
  /** Issue 8: applier + LZMA + SHA-256, no signature verification, Cortex-M4 -Os. */
  deviceFlashBytes: 8192,
};
