// The acceptance figures of issues 2 and 4, checked against what this run measured.
import { TARGETS } from './published.js';

const n = (x) => x.toLocaleString('en-US');

export function checkTargets(pairs) {
  const checks = [];
  const byId = Object.fromEntries(pairs.map((p) => [p.id, p]));
  const sizeCheck = (what, pairId, size, limit, goal = false) =>
    checks.push({ what: `${pairId}: ${what}`, measured: `${n(size)} B`, limit: `<= ${n(limit)} B`, pass: size <= limit, goal });

  for (const [pairId, limit] of Object.entries(TARGETS.plainAtMostDetools)) {
    if (byId[pairId]) sizeCheck('plain patch no larger than detools bsdiff+lzma', pairId, byId[pairId].smartdelta.none.size, limit);
  }
  for (const [pairId, limit] of Object.entries(TARGETS.pointerAware)) {
    if (byId[pairId]) sizeCheck('pointer-aware (auto) patch, .bin inputs', pairId, byId[pairId].smartdelta.auto.size, limit);
  }
  for (const [pairId, limit] of Object.entries(TARGETS.pointerAwareGoal)) {
    if (byId[pairId]) sizeCheck('pointer-aware (auto), the goal beyond the target', pairId, byId[pairId].smartdelta.auto.size, limit, true);
  }
  const pyb = byId.pybv11;
  if (pyb) {
    checks.push({ what: 'pybv11: pointer-aware with the ELF files no larger than without', measured: 'no ELF option in createPatch', limit: `<= ${n(pyb.smartdelta.auto.size)} B`, pass: null, goal: false });
    const create = pyb.smartdelta.auto.createMs / 1000;
    const apply = pyb.smartdelta.auto.applyMs / 1000;
    checks.push({ what: 'pybv11: create time, auto (median, in-process)', measured: `${create.toFixed(2)} s (CPU ${(pyb.smartdelta.auto.createCpuMs / 1000).toFixed(2)} s)`, limit: `<= ${TARGETS.pybv11CreateSeconds} s (detools + ELF ranges)`, pass: create <= TARGETS.pybv11CreateSeconds, goal: false });
    checks.push({ what: 'pybv11: apply time, auto (median, in-process)', measured: `${apply.toFixed(2)} s`, limit: `< ${TARGETS.pybv11ApplySeconds} s`, pass: apply < TARGETS.pybv11ApplySeconds, goal: false });
  }
  for (const pair of pairs.filter((p) => p.group === 'fixtures')) {
    const { none, auto } = pair.smartdelta;
    checks.push({ what: `${pair.id}: pointer-aware smaller than plain`, measured: `${n(auto.size)} B vs ${n(none.size)} B`, limit: '<', pass: auto.size < none.size, goal: false });
  }
  return checks;
}
