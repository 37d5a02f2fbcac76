/** Global setup of the long fuzz run: starts an empty log, and prints the mutations per parser at the end. */
import { existsSync, readFileSync, rmSync } from 'node:fs';

interface Entry {
  file: string;
  parser: string;
  mutations: number;
  ms: number;
}

export default function setup(): () => void {
  const log = process.env.SMARTDELTA_FUZZ_LOG!;
  rmSync(log, { force: true });
  const started = Date.now();
  return () => {
    const entries: Entry[] = existsSync(log)
      ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Entry)
      : [];
    const byParser = new Map<string, { mutations: number; ms: number }>();
    for (const e of entries) {
      const sum = byParser.get(e.parser) ?? { mutations: 0, ms: 0 };
      byParser.set(e.parser, { mutations: sum.mutations + e.mutations, ms: sum.ms + e.ms });
    }
    const total = entries.reduce((n, e) => n + e.mutations, 0);
    const lines = ['', 'fuzz summary (mutated inputs per parser; a failure stops its property and is reported above)'];
    for (const [parser, { mutations, ms }] of [...byParser].sort()) {
      lines.push(`  ${parser.padEnd(10)} ${String(mutations).padStart(8)} mutations  ${(ms / 1000).toFixed(1).padStart(7)} s`);
    }
    lines.push(`  ${'total'.padEnd(10)} ${String(total).padStart(8)} mutations  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s wall clock`);
    process.stdout.write(`${lines.join('\n')}\n`);
    rmSync(log, { force: true });
  };
}
