/**
 * Rewrites the golden patches and their info JSON from the fixtures: `npx tsx test/golden/regenerate.ts`.
 * Only for a deliberate change of the bytes a patch holds (see README.md); prints what changed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { applyPatch } from '../../src/pipeline/apply.js';
import { patchInfo } from '../../src/pipeline/info.js';
import { fixture } from '../pipeline/fixtures.js';
import { GOLDEN_CASES, infoFile, infoJson, patchFile } from './cases.js';

for (const c of GOLDEN_CASES) {
  const old = fixture(c.from);
  const target = fixture(c.to);
  const { bytes } = await createPatch(old, target, c.options);
  const result = await applyPatch(old.data, bytes);
  if (!Buffer.from(result).equals(Buffer.from(target.data))) throw new Error(`${c.name}: the new patch does not round-trip`);
  const file = patchFile(c);
  const before = existsSync(file) ? readFileSync(file) : undefined;
  const status = !before ? 'new' : before.equals(bytes) ? 'unchanged' : `changed (${before.length} -> ${bytes.length} bytes)`;
  writeFileSync(file, bytes);
  writeFileSync(infoFile(c), infoJson(patchInfo(bytes)));
  console.log(`${path.basename(file)}: ${bytes.length} bytes, ${status}`);
}
