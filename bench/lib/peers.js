// The peers that run on this machine, on the same flash bytes as smartdelta: each creates a patch from files,
// applies it back, and the result is compared byte for byte. Times are wall clock, process start included.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sameBytes, timeRuns } from './stats.js';

function findProgram(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function run(program, args, { stdoutFile } = {}) {
  const child = spawnSync(program, args, { maxBuffer: 64 << 20 });
  if (child.status !== 0) {
    throw new Error(`${path.basename(program)} ${args.join(' ')} exited ${child.status}: ${String(child.stderr).trim()}`);
  }
  if (stdoutFile) writeFileSync(stdoutFile, child.stdout);
}

/**
 * Command lines per peer; `files` = {old, new, patch, out}. `label` is how the tool was invoked, for the report.
 * xz compresses the whole new image (what sending it without a delta costs), in the default .xz container.
 */
const EXTERNAL_PEERS = [
  {
    id: 'bsdiff',
    label: 'bsdiff (Debian, bzip2)',
    program: 'bsdiff',
    companion: 'bspatch',
    invocation: 'bsdiff old new patch; bspatch old out patch',
    create: (p, f) => run(p.program, [f.old, f.new, f.patch]),
    apply: (p, f) => run(p.companion, [f.old, f.out, f.patch]),
  },
  {
    id: 'xdelta3',
    label: 'xdelta3 -9',
    program: 'xdelta3',
    invocation: 'xdelta3 -9 -e -f -s old new patch; xdelta3 -d -f -s old patch out',
    create: (p, f) => run(p.program, ['-9', '-e', '-f', '-s', f.old, f.new, f.patch]),
    apply: (p, f) => run(p.program, ['-d', '-f', '-s', f.old, f.patch, f.out]),
  },
  {
    id: 'zstd',
    label: 'zstd -19 --patch-from',
    program: 'zstd',
    invocation: 'zstd -19 -q -f --patch-from=old new -o patch; zstd -d -q -f --patch-from=old patch -o out',
    create: (p, f) => run(p.program, ['-19', '-q', '-f', `--patch-from=${f.old}`, f.new, '-o', f.patch]),
    apply: (p, f) => run(p.program, ['-d', '-q', '-f', `--patch-from=${f.old}`, f.patch, '-o', f.out]),
  },
  {
    id: 'xz',
    label: 'xz -9e (full new image)',
    program: 'xz',
    invocation: 'xz -9e -c new > patch; xz -d -c patch > out',
    create: (p, f) => run(p.program, ['-9e', '-c', f.new], { stdoutFile: f.patch }),
    apply: (p, f) => run(p.program, ['-d', '-c', f.patch], { stdoutFile: f.out }),
  },
];

export const PEER_IDS = [...EXTERNAL_PEERS.map((p) => p.id), 'bsdiff-node'];

/** Availability and versions, once per bench run. */
export function detectPeers() {
  const found = {};
  for (const peer of EXTERNAL_PEERS) {
    const program = findProgram(peer.program);
    const companion = peer.companion ? findProgram(peer.companion) : undefined;
    found[peer.id] = program && (!peer.companion || companion) ? { ...peer, program, companion } : undefined;
  }
  return found;
}

export function peerVersions(found) {
  const first = (program, args) => {
    const child = spawnSync(program, args, { encoding: 'utf8' });
    return `${child.stdout}${child.stderr}`.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'unknown';
  };
  const debian = (pkg) => {
    const child = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
    return child.status === 0 ? `Debian package ${pkg} ${child.stdout}` : 'version unknown';
  };
  const versions = {};
  if (found.bsdiff) versions.bsdiff = debian('bsdiff');
  if (found.xdelta3) versions.xdelta3 = first(found.xdelta3.program, ['-V']);
  if (found.zstd) versions.zstd = first(found.zstd.program, ['--version']);
  if (found.xz) versions.xz = first(found.xz.program, ['--version']);
  versions['bsdiff-node'] = bsdiffNodeVersion();
  return versions;
}

function bsdiffNodeVersion() {
  try {
    const require = createRequire(import.meta.url);
    return `npm bsdiff-node ${require('bsdiff-node/package.json').version}`;
  } catch {
    return 'not installed';
  }
}

async function measureFiles(id, label, files, newData, runs, create, apply) {
  const created = await timeRuns(create, { runs, warmup: 0 });
  const size = readFileSync(files.patch).length;
  const applied = await timeRuns(apply, { runs, warmup: 0 });
  const roundTrip = sameBytes(new Uint8Array(readFileSync(files.out)), newData);
  return { tool: id, label, size, ratio: newData.length / size, createMs: created.medianMs, applyMs: applied.medianMs, createTimesMs: created.times, applyTimesMs: applied.times, roundTrip };
}

export async function measurePeer(found, id, files, newData, runs) {
  if (id === 'bsdiff-node') return measureBsdiffNode(files, newData, runs);
  const peer = found[id];
  if (!peer) return { tool: id, label: EXTERNAL_PEERS.find((p) => p.id === id).label, missing: true };
  const result = await measureFiles(id, peer.label, files, newData, runs, () => peer.create(peer, files), () => peer.apply(peer, files));
  return { ...result, invocation: peer.invocation };
}

/** bsdiff-node: the npm binding of bsdiff (file based, bzip2 like Debian's), run in-process. */
async function measureBsdiffNode(files, newData, runs) {
  let bsdiff;
  try {
    bsdiff = (await import('bsdiff-node')).default;
  } catch {
    return { tool: 'bsdiff-node', label: 'bsdiff-node (npm)', missing: true };
  }
  const result = await measureFiles('bsdiff-node', 'bsdiff-node (npm)', files, newData, runs,
    () => bsdiff.diff(files.old, files.new, files.patch),
    () => bsdiff.patch(files.old, files.out, files.patch));
  return { ...result, invocation: "import bsdiff from 'bsdiff-node'; await bsdiff.diff(old, new, patch); await bsdiff.patch(old, out, patch)" };
}
