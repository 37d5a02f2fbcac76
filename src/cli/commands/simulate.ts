/** `smartdelta simulate`: the success rate of a fragmentation plan under random or bursty loss. */
import type { Command } from 'commander';
import { CheckFailedError } from '../../errors.js';
import { burstLoss, fragmentFile, randomLoss, simulateSession, type SimulationResult, type Summary } from '../../lorawan/index.js';
import { readInputFile } from '../files.js';
import { parseInteger } from '../options.js';
import { result } from '../json.js';
import { printLine, spinner, warn } from '../output.js';
import { addPlanOptions, formatPercent, parseFraction, planOptions, type PlanCliOptions } from './fragment-options.js';
import { describeSession } from './fragment.js';

interface SimulateCliOptions extends PlanCliOptions {
  trials: string;
  burst?: string;
  seed: string;
  minSuccess?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('simulate')
    .description('simulate a fragmentation session under random or bursty (Gilbert-Elliott) loss: success rate and fragments needed')
    .argument('<file>', 'the data block that would be sent');
  addPlanOptions(command, `downlink loss rate to simulate (and to plan --redundancy auto), e.g. 30% (default ${DEFAULT_LOSS_TEXT})`)
    .option('--trials <k>', 'number of simulated devices/sessions', '100')
    .option('--burst <len>', 'bursty loss: mean burst length in downlinks (Gilbert-Elliott); default independent loss')
    .option('--seed <n>', 'random seed (same seed, same result)', '1')
    .option('--min-success <p>', 'exit 1 when fewer sessions succeed than this, e.g. 99% (a pipeline gate)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Examples:
  smartdelta simulate patch.sdp --region EU868 --dr 5 --loss 30% --trials 200
  smartdelta simulate patch.sdp --region EU868 --dr 2 --loss 20% --burst 8 --redundancy 40%
  smartdelta simulate patch.sdp --region EU868 --dr 5 --min-success 99%     # exit 1 below 99 %`,
    )
    .action((file: string, opts: SimulateCliOptions) => runSimulate(file, opts));
}

const DEFAULT_LOSS_TEXT = '10%';

/** A success rate: 99%, 0.99, or 100% / 1 (every session must succeed). */
function parseSuccessRate(value: string): number {
  const trimmed = value.trim();
  if (trimmed === '100%' || trimmed === '1') return 1;
  return parseFraction(trimmed, '--min-success');
}

async function runSimulate(file: string, opts: SimulateCliOptions): Promise<void> {
  // The same default loss as fragment and report plan for, so the three commands agree without --loss.
  const lossText = opts.loss ?? DEFAULT_LOSS_TEXT;
  const options = planOptions({ ...opts, loss: lossText });
  const loss = parseFraction(lossText, '--loss');
  const minSuccess = opts.minSuccess !== undefined ? parseSuccessRate(opts.minSuccess) : undefined;
  const trials = parseInteger(opts.trials, '--trials', 1, 1_000_000);
  const seed = parseInteger(opts.seed, '--seed', 0, 0xffffffff);
  const model = opts.burst !== undefined ? burstLoss(loss, parseInteger(opts.burst, '--burst', 1, 100_000)) : randomLoss(loss);
  const data = readInputFile(file);
  const session = fragmentFile(data, options);
  const progress = await spinner(`simulating ${trials} sessions`, !opts.json);
  const simulation = simulateSession(session.params, {
    trials,
    loss: model,
    seed,
    confidence: session.params.confidence ?? 0.99,
    ...(options.device?.maxLost !== undefined ? { maxLost: options.device.maxLost } : {}),
    verifyWith: { data, fragSize: session.params.fragSize },
  });
  progress.stop();
  for (const w of session.warnings) warn(w);
  const figures = {
    ...simulation,
    overhead: simulation.overhead ?? null,
    codedSent: simulation.codedSent ?? null,
    roundsNeeded: simulation.roundsNeeded ?? null,
    recommended: simulation.recommended ?? null,
    dataVerified: simulation.dataVerified ?? null,
  };
  result({ input: file, lossModel: model, ...describeSession(session), simulation: figures, minSuccess: minSuccess ?? null });
  if (!opts.json) printReport(session.params.mode, session.params.nbFrag, session.params.redundancy, session.params.rounds, opts.burst, loss, simulation);
  if (minSuccess !== undefined && simulation.successRate < minSuccess) {
    throw new CheckFailedError(`success rate ${formatPercent(simulation.successRate)} is below --min-success ${formatPercent(minSuccess)}: raise --redundancy or lower the loss`);
  }
}

function printReport(mode: 'fec' | 'carousel', nbFrag: number, redundancy: number, rounds: number, burst: string | undefined, loss: number, r: SimulationResult): void {
  const lossText = `${formatPercent(loss)} ${burst !== undefined ? `bursty loss (mean burst ${burst})` : 'random loss'}`;
  const plan = mode === 'fec' ? `${nbFrag} fragments + ${redundancy} coded` : `${nbFrag} fragments x ${rounds} rounds (carousel)`;
  printLine(`${plan}, ${lossText}, ${r.trials} trials (observed loss ${formatPercent(r.observedLoss)})`);
  printLine(`  success      ${r.successes}/${r.trials} (${formatPercent(r.successRate)})${r.matrixFailures ? `, ${r.matrixFailures} device matrix failures` : ''}`);
  if (r.overhead) printLine(`  overhead     fragments received beyond M: ${formatSummary(r.overhead)}`);
  if (r.codedSent) printLine(`  coded sent   until complete: ${formatSummary(r.codedSent)}`);
  if (r.roundsNeeded) printLine(`  rounds       until complete: ${formatSummary(r.roundsNeeded)}`);
  if (r.incomplete) printLine(`  incomplete   ${r.incomplete} trials did not complete even with extra downlinks`);
  const unit = mode === 'fec' ? 'coded fragments' : 'rounds';
  printLine(
    r.recommended !== undefined
      ? `  recommended  ${r.recommended} ${unit} for ${formatPercent(r.confidence)} of these trials (--${mode === 'fec' ? 'redundancy' : 'rounds'} ${r.recommended})`
      : `  recommended  not reached within the simulated extra ${unit}; raise the redundancy`,
  );
  if (r.dataVerified !== undefined) printLine(`  data check   first trial decoded the real data: ${r.dataVerified ? 'identical' : 'MISMATCH'}`);
}

function formatSummary(s: Summary): string {
  return `mean ${s.mean.toFixed(1)}, p50 ${s.p50}, p90 ${s.p90}, p99 ${s.p99}, max ${s.max}`;
}
