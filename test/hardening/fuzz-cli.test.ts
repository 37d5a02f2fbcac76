/**
 * Fuzzing the command line (issue 7): random argument lists for every verb, built from the real options with
 * good, bad and boundary values, input files of every kind (valid, garbage, empty, missing, a directory),
 * and output paths that exist, equal an input, or cannot be written. Each run goes through main(argv) in
 * this process. Whatever happens: an exit code 0-4; on failure exactly one "error:" line, no stack trace, no
 * internal error, and no output file left behind; with --json and success, one JSON document on stdout; never
 * a temporary file; never a file outside the temporary directory.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPatch } from '../../src/container/sign.js';
import { encodePrivateKeyPem, encodePublicKeyPem, generatePrivateKey } from '../../src/crypto/index.js';
import { fragmentFile, serializeSession } from '../../src/lorawan/index.js';
import { createPatch } from '../../src/pipeline/create-patch.js';
import { errorOutputProblem, runCli, tempFilesIn } from './cli-run.js';
import { FuzzTally, fuzzRuns, REPO } from './harness.js';
import { fixtureBin, smallPair } from './patch-seeds.js';

const tally = new FuzzTally('fuzz-cli');
const dir = mkdtempSync(join(tmpdir(), 'smartdelta-fuzz-cli-'));
const at = (name: string): string => join(dir, name);
const inputs = new Map<string, Uint8Array>();
let repoListing: string[] = [];

beforeAll(async () => {
  repoListing = readdirSync(REPO).sort();
  const small = smallPair(3);
  const oldFixture = fixtureBin('v1.0.0');
  const newFixture = fixtureBin('v1.0.1');
  const key = generatePrivateKey();
  const patch = (await createPatch({ data: oldFixture, loadAddress: 0x0800_0000 }, { data: newFixture, loadAddress: 0x0800_0000 }, { arch: 'cortex-m', securityCounter: 4 })).bytes;
  const session = fragmentFile(patch, { fragSize: 40, redundancy: 4 });
  const files: Record<string, Uint8Array | string> = {
    'small-old.bin': small.old,
    'small-new.bin': small.new,
    'old.bin': oldFixture,
    'new.bin': newFixture,
    'old.elf': new Uint8Array(readFileSync(join(REPO, 'fixtures/build/v1.0.0/firmware.elf'))),
    'old.hex': new Uint8Array(readFileSync(join(REPO, 'fixtures/build/v1.0.0/firmware.hex'))),
    'patch.sdp': patch,
    'signed.sdp': signPatch(patch, key),
    'key.pem': encodePrivateKeyPem(key.seed),
    'pub.pem': encodePublicKeyPem(key.publicKey),
    'frag.ndjson': serializeSession(session, 'ndjson'),
    'frag.bin': serializeSession(session, 'binary'),
    'garbage.bin': Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff),
    'empty': new Uint8Array(0),
    'sig.hex': 'ab'.repeat(64),
  };
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    writeFileSync(at(name), bytes);
    inputs.set(name, bytes);
  }
  chmodSync(at('key.pem'), 0o600);
  mkdirSync(at('sub'));
  mkdirSync(at('out'));
});

/** Exit codes per verb, printed with SMARTDELTA_FUZZ_STATS=1 to see how deep the runs go. */
const outcomes = new Map<string, number>();

afterAll(() => {
  if (process.env.SMARTDELTA_FUZZ_STATS) console.log([...outcomes].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
  tally.flush();
  rmSync(dir, { recursive: true, force: true });
});

const IN = ['small-old.bin', 'small-new.bin', 'old.bin', 'new.bin', 'old.elf', 'old.hex', 'patch.sdp', 'signed.sdp', 'key.pem', 'pub.pem', 'frag.ndjson', 'frag.bin', 'garbage.bin', 'empty', 'sub', 'missing.bin'];
const OUT = ['out/a', 'out/b.pem', 'patch.sdp', 'old.bin', 'nodir/x.bin', 'sub', 'out/c.sdp', 'key.pem'];
const INTS = ['0', '1', '2', '7', '201', '-1', '0x10', '0x08000000', '0xffffffff', '4294967296', 'abc', '', '1.5', '1e3', ' 3 '];
const SIZES = ['4K', '16K', '64K', '1M', '0', '3000', '64M', '128M', 'x'];
const FRACTIONS = ['0', '0.1', '10%', '30%', '1', '100%', '-5%', '2', 'abc'];
const HEX = ['00112233', '0011223344556677', '00112233445566778899aabbccddeeff', 'zz', ''];

type Value = { kind: 'in' } | { kind: 'out' } | { kind: 'pick'; values: readonly string[] } | { kind: 'flag' };
const pick = (values: readonly string[]): Value => ({ kind: 'pick', values });
const flag: Value = { kind: 'flag' };
const fragmentOptions: Record<string, Value> = {
  '--region': pick(['EU868', 'US915', 'AS923', 'eu868', 'MARS']),
  '--dr': pick(INTS),
  '--frag-size': pick(INTS),
  '--repeater': flag,
  '--dwell-time': flag,
  '--redundancy': pick(['auto', '0', '5', '20%', '16384', 'x']),
  '--loss': pick(FRACTIONS),
  '--confidence': pick(FRACTIONS),
  '--carousel': flag,
  '--rounds': pick(['auto', '1', '3', '0', '1001']),
  '--ts004': pick(['1', '2', '3']),
  '--device-max-frags': pick(INTS),
  '--device-max-frag-size': pick(INTS),
  '--device-max-lost': pick(INTS),
};

interface Verb {
  positional: number;
  pool: readonly string[];
  options: Record<string, Value>;
}

const VERBS: Record<string, Verb> = {
  diff: {
    positional: 2,
    pool: ['small-old.bin', 'small-new.bin', 'garbage.bin', 'empty', 'missing.bin', 'sub', 'patch.sdp'],
    options: {
      '-o': { kind: 'out' }, '--base': pick(INTS), '--old-base': pick(INTS), '--new-base': pick(INTS),
      '--arch': pick(['auto', 'none', 'cortex-m', 'x86']), '--old-elf': { kind: 'in' }, '--new-elf': { kind: 'in' },
      '--dict-size': pick(SIZES), '--max-ram': pick(SIZES), '--version-from': pick(['1.0', '', 'x'.repeat(65), 'ü']),
      '--version-to': pick(['2.0', '']), '--security-counter': pick(INTS), '-k': { kind: 'in' }, '--force': flag, '--json': flag,
    },
  },
  apply: { positional: 2, pool: IN, options: { '-o': { kind: 'out' }, '--base': pick(INTS), '--pub': { kind: 'in' }, '--force': flag, '--json': flag } },
  info: { positional: 1, pool: IN, options: { '--json': flag } },
  keygen: { positional: 0, pool: IN, options: { '-o': { kind: 'out' }, '--pub-out': { kind: 'out' }, '--force': flag, '--json': flag } },
  getpub: { positional: 0, pool: IN, options: { '-k': { kind: 'in' }, '-e': pick(['pem', 'raw', 'hex', 'c', 'der']), '-o': { kind: 'out' }, '--force': flag, '--json': flag } },
  sign: {
    positional: 1,
    pool: IN,
    options: {
      '-k': { kind: 'in' }, '--pub': { kind: 'in' }, '--emit-message': { kind: 'out' }, '--signature': pick(['sig.hex', 'ab'.repeat(64), 'zz', 'garbage.bin']),
      '-o': { kind: 'out' }, '--force': flag, '--json': flag,
    },
  },
  verify: { positional: 1, pool: IN, options: { '--pub': { kind: 'in' }, '--old': { kind: 'in' }, '--new': { kind: 'in' }, '--min-counter': pick(INTS), '--manifest': { kind: 'in' }, '--json': flag } },
  fragment: {
    positional: 1,
    pool: IN,
    options: {
      ...fragmentOptions, '-o': { kind: 'out' }, '--format': pick(['ndjson', 'binary', 'xml']), '--frag-index': pick(['0', '3', '4']),
      '--descriptor': pick(HEX), '--mc-group-mask': pick(INTS), '--block-ack-delay': pick(INTS), '--session-cnt': pick(INTS),
      '--gen-app-key': pick(HEX), '--ack-reception': flag, '--fport': pick(INTS), '--force': flag, '--json': flag,
    },
  },
  reassemble: {
    positional: 1,
    pool: IN,
    options: { '-o': { kind: 'out' }, '--gen-app-key': pick(HEX), '--device-max-lost': pick(INTS), '--drop': pick(FRACTIONS), '--seed': pick(INTS), '--force': flag, '--json': flag },
  },
  simulate: {
    positional: 1,
    pool: IN,
    options: { ...fragmentOptions, '--trials': pick(['1', '3', '0', '1000001', 'x']), '--burst': pick(['1', '4', '0', 'x']), '--seed': pick(INTS), '--json': flag },
  },
  // Issue 15 (docs/DELIVERY.md); `serve` is not fuzzed here: it runs until a signal (test/delivery/cli.test.ts).
  package: {
    positional: 1,
    pool: IN,
    options: {
      '--transport': pick(['http-range', 'mqtt-ota', 'blocks', 'pigeon']), '-o': { kind: 'out' }, '--device-buffer': pick(SIZES), '--part-size': pick(SIZES),
      '--max-parts': pick(INTS), '--url': pick(['https://u.example/p.sdp', 'ftp://u.example/p', '']), '--sign-method': pick(['SHA256', 'MD5', 'md5', 'CRC32']),
      '--firmware-version': pick(['2.0', '', 'x'.repeat(65), 'ü']), '--module': pick(['MCU', '']), '--message-id': pick(INTS), '--block-size': pick(SIZES),
      '--force': flag, '--json': flag,
    },
  },
  manifest: {
    positional: 1,
    pool: IN,
    options: { '--old': { kind: 'in' }, '--to': { kind: 'in' }, '-o': { kind: 'out' }, '--gap-fill': pick(['0xff', '0', '256']), '--force': flag, '--json': flag },
  },
};

/** A valid command line per verb: most generated commands start from it, so the options reach the real work. */
const BASES: Record<string, string[][]> = {
  diff: [['small-old.bin'], ['small-new.bin'], ['-o', 'out/a']],
  apply: [['old.bin'], ['patch.sdp'], ['-o', 'out/a']],
  info: [['patch.sdp']],
  keygen: [['-o', 'out/k.pem']],
  getpub: [['-k', 'key.pem']],
  sign: [['patch.sdp'], ['-k', 'key.pem'], ['-o', 'out/s.sdp']],
  verify: [['signed.sdp'], ['--pub', 'pub.pem']],
  fragment: [['patch.sdp'], ['-o', 'out/f.ndjson']],
  reassemble: [['frag.ndjson'], ['-o', 'out/p.sdp']],
  simulate: [['patch.sdp'], ['--loss', '10%'], ['--trials', '3']],
  package: [['signed.sdp'], ['--transport', 'http-range'], ['--device-buffer', '1K']],
  manifest: [['signed.sdp'], ['--old', 'old.bin'], ['-o', 'out/m.json']],
};
const FILE_OPTIONS = new Set(['-o', '-k', '--pub', '--pub-out', '--old', '--new', '--old-elf', '--new-elf', '--emit-message']);

/** A random argv: a valid base or random positionals, a random subset of the verb's options, shuffled, with some noise. */
const argvArb: fc.Arbitrary<string[]> = fc
  .tuple(
    fc.constantFrom(...Object.keys(VERBS)),
    fc.nat({ max: 9 }),
    fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 5 }),
    fc.constantFrom('', '', '', '--nope', '--json', '--debug', '--help', 'stray'),
    fc.nat(),
  )
  .map(([verb, baseDice, positionalPicks, optionPicks, noise, shuffle]) => {
    const spec = VERBS[verb]!;
    const args: string[][] = [];
    if (baseDice < 6) {
      for (const group of BASES[verb]!) args.push(group.length === 1 ? [at(group[0]!)] : [group[0]!, FILE_OPTIONS.has(group[0]!) ? at(group[1]!) : group[1]!]);
    } else {
      const positionals = shuffle % 5 === 0 ? spec.positional + (shuffle % 2 ? 1 : -1) : spec.positional;
      for (let i = 0; i < Math.max(0, positionals); i++) args.push([at(spec.pool[positionalPicks[i]! % spec.pool.length]!)]);
    }
    const names = Object.keys(spec.options);
    for (const [nameIndex, valueIndex] of optionPicks) {
      const name = names[nameIndex % names.length]!;
      const value = spec.options[name]!;
      if (value.kind === 'flag') args.push([name]);
      else if (value.kind === 'in') args.push([name, at(IN[valueIndex % IN.length]!)]);
      else if (value.kind === 'out') args.push([name, name === '--emit-message' && valueIndex % 3 === 0 ? '-' : at(OUT[valueIndex % OUT.length]!)]);
      else {
        const v = value.values[valueIndex % value.values.length]!;
        args.push([name, name === '--signature' && !v.startsWith('ab') && v !== 'zz' ? at(v) : v]);
      }
    }
    if (noise) args.push([noise]);
    // Shuffle the argument groups (an option keeps its value).
    for (let i = args.length - 1; i > 0; i--) {
      const j = (shuffle >>> (i % 16)) % (i + 1);
      [args[i], args[j]] = [args[j]!, args[i]!];
    }
    return [verb, ...args.flat()];
  });

/** Puts the inputs back and removes everything else, so each run starts from the same files. */
function restoreFiles(): void {
  for (const [name, bytes] of inputs) {
    const path = at(name);
    if (!existsSync(path) || statSync(path).isDirectory() || !Buffer.from(readFileSync(path)).equals(Buffer.from(bytes))) {
      rmSync(path, { recursive: true, force: true });
      writeFileSync(path, bytes);
    }
  }
  chmodSync(at('key.pem'), 0o600);
  for (const name of readdirSync(dir)) {
    if (!inputs.has(name) && name !== 'sub' && name !== 'out') rmSync(at(name), { recursive: true, force: true });
  }
  rmSync(at('out'), { recursive: true, force: true });
  mkdirSync(at('out'));
  if (!existsSync(at('sub')) || !statSync(at('sub')).isDirectory()) {
    rmSync(at('sub'), { force: true });
    mkdirSync(at('sub'));
  }
}

/** The output paths a command line names, with whether they existed before the run. */
function outputsOf(argv: readonly string[]): Array<{ path: string; existed: boolean }> {
  const outputs: Array<{ path: string; existed: boolean }> = [];
  argv.forEach((arg, i) => {
    if (['-o', '--output', '--pub-out', '--emit-message'].includes(arg) && argv[i + 1] && argv[i + 1] !== '-') {
      outputs.push({ path: argv[i + 1]!, existed: existsSync(argv[i + 1]!) });
    }
  });
  return outputs;
}

async function checkRun(argv: string[]): Promise<void> {
  restoreFiles();
  const outputs = outputsOf(argv);
  // Relative paths (a stray token taken as a file name) land in the temporary directory, never in the repo.
  const cwd = process.cwd();
  process.chdir(dir);
  let run: Awaited<ReturnType<typeof runCli>>;
  try {
    run = await runCli(argv, { SMARTDELTA_KEY_PASSPHRASE: undefined });
  } finally {
    process.chdir(cwd);
  }
  tally.add('cli');
  const key = `${argv[0]} exit ${run.code}`;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  const context = `smartdelta ${argv.join(' ')}\nexit ${run.code}\nstdout: ${run.stdout.slice(0, 400)}\nstderr: ${run.stderr.slice(0, 400)}`;
  if (![0, 1, 2, 3, 4].includes(run.code)) throw new Error(`unexpected exit code: ${context}`);
  if (run.code !== 0 && !argv.includes('--help')) {
    // --debug adds the stack trace on purpose.
    const problem = argv.includes('--debug') ? undefined : errorOutputProblem(run);
    if (problem) throw new Error(`${problem}\n${context}`);
    for (const output of outputs) {
      if (!output.existed && existsSync(output.path)) throw new Error(`a failed run left its output ${output.path}\n${context}`);
    }
  }
  if (run.code === 0 && argv.includes('--json') && !argv.includes('--help')) {
    try {
      JSON.parse(run.stdout);
    } catch {
      throw new Error(`--json did not print exactly one JSON document\n${context}`);
    }
  }
  for (const sub of [dir, at('out'), at('sub')]) {
    if (existsSync(sub) && statSync(sub).isDirectory() && tempFilesIn(sub).length > 0) throw new Error(`temporary file left in ${sub}\n${context}`);
  }
}

describe('the command line under random arguments', () => {
  it('a valid command of each kind succeeds (the baseline the fuzzer varies)', async () => {
    restoreFiles();
    expect((await runCli(['apply', at('old.bin'), at('signed.sdp'), '-o', at('out/new.bin'), '--pub', at('pub.pem'), '--json'])).code).toBe(0);
    expect((await runCli(['verify', at('signed.sdp'), '--pub', at('pub.pem'), '--old', at('old.elf'), '--min-counter', '4'])).code).toBe(0);
    expect((await runCli(['reassemble', at('frag.bin'), '-o', at('out/p.sdp')])).code).toBe(0);
    expect(readFileSync(at('out/p.sdp'))).toEqual(readFileSync(at('patch.sdp')));
  });

  it('random argument lists: exit codes, one error line, no partial or temporary files', async () => {
    await fc.assert(fc.asyncProperty(argvArb, checkRun), { numRuns: fuzzRuns(150) });
  });

  it('wrote nothing outside its temporary directory', () => {
    expect(readdirSync(REPO).sort()).toEqual(repoListing);
  });
});
