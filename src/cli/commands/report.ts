/** smartdelta report: sizes, ratios, airtime and campaign cost of an upgrade or a fleet (src/report, docs/REPORT.md). */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { DEFAULT_DICT_SIZE } from '../../pipeline/create-patch.js';
import { buildFleetReport, buildPairReport, renderHtml, renderText, reportJson, type NamedImage, type Painter, type Report } from '../../report/index.js';
import { progressBar } from '../progress.js';
import { checkOutputPath, readInputFile, writeOutputFile } from '../files.js';
import { GAP_FILL_HELP, loadImageFile, parseGapFill, warnUnknownBase } from '../images.js';
import { parseInteger, parseSize } from '../options.js';
import { result } from '../json.js';
import { color, printLine, spinner } from '../output.js';
import { getRegion } from '../../lorawan/index.js';
import { parseFraction, parseRedundancy } from './fragment-options.js';

interface ReportOptions {
  patch?: string;
  fleet?: string[];
  to?: string;
  region: string;
  dr?: string;
  redundancy: string;
  loss: string;
  confidence: string;
  repeater?: boolean;
  dwellTime?: boolean;
  base?: string;
  gapFill?: string;
  dictSize?: string;
  jobs?: string;
  html?: string;
  force?: boolean;
  json?: boolean;
}

/** "0-5", "0,3,5" or "1,3-5": ascending, without duplicates. */
export function parseDataRates(value: string): number[] {
  const drs = new Set<number>();
  for (const part of value.split(',')) {
    const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    if (range) {
      const [from, to] = [parseInteger(range[1]!, '--dr', 0, 15), parseInteger(range[2]!, '--dr', 0, 15)];
      if (from > to) throw new UsageError(`--dr range ${part.trim()} runs backwards`);
      for (let dr = from; dr <= to; dr++) drs.add(dr);
    } else {
      drs.add(parseInteger(part, '--dr (a list such as 0,3,5 or 0-5)', 0, 15));
    }
  }
  return [...drs].sort((a, b) => a - b);
}

const painter: Painter = { bold: (s) => color.bold(s), dim: (s) => color.dim(s), good: (s) => color.green(s), warn: (s) => color.yellow(s) };

function loadNamed(path: string, base: number | undefined, what: string, gapFill: number | undefined): NamedImage {
  const image = loadImageFile(path, base, what, gapFill);
  warnUnknownBase(image, path);
  return { name: path, data: image.data, loadAddress: image.loadAddress };
}

export function register(program: Command): void {
  program
    .command('report')
    .description('sizes, ratios, LoRaWAN airtime and campaign duration of an upgrade (or of a fleet: --fleet ... --to)')
    .argument('[old]', 'the image the devices run now')
    .argument('[new]', 'the image to install')
    .option('--patch <file>', 'report on this existing patch (old -> new) instead of building the pointer-aware one')
    .option('--fleet <images...>', 'every deployed version: one patch each to the image given with --to')
    .option('--to <image>', 'with --fleet: the image to install')
    .option('--region <name>', 'EU868, US915, AU915, AS923, IN865, KR920 or CN470 (a report always has airtime, hence a default)', 'EU868')
    .option('--dr <list>', 'data rates, such as 0-5 or 0,3,5 (default: every downlink data rate of the region)')
    .option('--redundancy <n|p%|auto>', 'coded fragments: a count, a percentage of the fragments, or auto (from --loss and --confidence)', 'auto')
    .option('--loss <p>', 'downlink loss that auto redundancy plans for', '10%')
    .option('--confidence <c>', 'confidence for auto redundancy', '99%')
    .option('--repeater', 'use the repeater-compatible maximum payload')
    .option('--dwell-time', 'AS923 with downlink dwell time (400 ms): smaller payloads')
    .option('--base <address>', 'load address of .bin inputs (default: read from the vector table)')
    .option('--gap-fill <byte>', GAP_FILL_HELP)
    .option('--dict-size <bytes>', `LZMA dictionary of the patches built (default ${DEFAULT_DICT_SIZE / 1024}K, as diff)`)
    .option('--jobs <n>', 'threads for --fleet (default: one per core when the images are 64 KiB or more, else 1)')
    .option('--html <file>', 'also write a self-contained HTML report with charts')
    .option('--force', 'replace an existing HTML file')
    .option('--json', 'print one JSON document with every figure')
    .addHelpText(
      'after',
      `
Examples:
  smartdelta report v1.bin v2.bin --base 0x08000000
  smartdelta report app-1.0.elf app-1.1.elf --patch app-1.0-1.1.sdp --region US915 --dr 8-13 --html report.html
  smartdelta report --fleet v1.0.bin v1.1.bin v1.2.bin --to v2.0.bin --base 0x08000000 --json`,
    )
    .action(async (oldPath: string | undefined, newPath: string | undefined, opts: ReportOptions) => {
      const fleet = opts.fleet !== undefined || opts.to !== undefined;
      if (fleet && (!opts.fleet?.length || opts.to === undefined)) throw new UsageError('--fleet <images...> and --to <image> go together');
      if (fleet && (oldPath !== undefined || newPath !== undefined)) throw new UsageError('give either <old> <new> or --fleet ... --to, not both');
      if (!fleet && (oldPath === undefined || newPath === undefined)) throw new UsageError('report needs <old> and <new> (or --fleet ... --to)');
      if (fleet && opts.patch !== undefined) throw new UsageError('--patch reports on one pair; it does not go with --fleet');
      const base = opts.base !== undefined ? parseInteger(opts.base, '--base', 0, 0xffffffff) : undefined;
      const dictSize = opts.dictSize !== undefined ? parseSize(opts.dictSize, '--dict-size', 4096, 64 * 1024 * 1024) : DEFAULT_DICT_SIZE;
      if (!Number.isInteger(Math.log2(dictSize))) throw new UsageError(`--dict-size must be a power of two, got ${opts.dictSize}`);
      const options = {
        region: getRegion(opts.region).name,
        redundancy: parseRedundancy(opts.redundancy),
        loss: parseFraction(opts.loss, '--loss'),
        confidence: parseFraction(opts.confidence, '--confidence', { allowZero: false }),
        repeater: Boolean(opts.repeater),
        dwellTime: Boolean(opts.dwellTime),
        dictSize,
        ...(opts.dr !== undefined && { drs: parseDataRates(opts.dr) }),
      };
      const gapFill = parseGapFill(opts.gapFill);
      const workers = opts.jobs !== undefined ? parseInteger(opts.jobs, '--jobs', 1, 256) : 'auto';
      const inputs = fleet ? [...opts.fleet!, opts.to!] : [oldPath!, newPath!, ...(opts.patch !== undefined ? [opts.patch] : [])];
      if (opts.html !== undefined) checkOutputPath(opts.html, { force: opts.force, inputs });

      // A fleet counts its patches on a progress bar; one pair has a spinner.
      const bar = fleet ? progressBar(opts.fleet!.length, 'patches', !opts.json) : undefined;
      const progress = bar ?? (await spinner('building the report', !opts.json));
      let report: Report;
      try {
        if (fleet) {
          const deployed = opts.fleet!.map((p) => loadNamed(p, base, 'deployed image', gapFill));
          const target = loadNamed(opts.to!, base, 'new image', gapFill);
          report = await buildFleetReport(deployed, target, { ...options, workers, onDone: (done) => bar?.update(done) });
        } else {
          const oldImage = loadNamed(oldPath!, base, 'old image', gapFill);
          const newImage = loadNamed(newPath!, base, 'new image', gapFill);
          const patch = opts.patch !== undefined ? readInputFile(opts.patch, 'patch') : undefined;
          report = await buildPairReport(oldImage, newImage, { ...options, ...(patch && { patch }) });
        }
      } finally {
        progress.stop();
      }

      const html = opts.html !== undefined ? renderHtml(report) : undefined;
      if (html !== undefined) writeOutputFile(opts.html!, html, { force: opts.force, inputs });
      result({ output: opts.html ?? null, size: html !== undefined ? Buffer.byteLength(html) : null, ...reportJson(report) });
      if (opts.json) return;
      process.stdout.write(renderText(report, painter));
      if (opts.html !== undefined) printLine(`HTML report written to ${opts.html}`);
    });
}
