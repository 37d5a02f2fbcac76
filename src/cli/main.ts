/**
 * The smartdelta program: a thin commander shell. Each verb lives in src/cli/commands/<verb>.ts and calls
 * the library; this file only wires them up and turns errors into one line, an exit code and, with --json,
 * one JSON document (src/cli/json.ts).
 */
import { Command, CommanderError, type Option } from 'commander';
import { ExitCode, SmartDeltaError, UsageError } from '../errors.js';
import { colorErr, printJson, resetStdout } from './output.js';
import { beginRun, errorOf, jsonMode, runDocument } from './json.js';
import { commands } from './commands/index.js';
import { deliverPendingSignals } from './files.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('smartdelta')
    .description('Signed, pointer-aware delta patches for ARM Cortex-M firmware, LoRaWAN fragmentation and airtime reports')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces on errors')
    .showSuggestionAfterError(true)
    .exitOverride()
    // main() prints every error as one line; commander's own output would add a second.
    .configureOutput({ outputError: () => undefined });
  for (const register of commands) register(program);
  deferRequiredOptions(program);
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 a check failed, 2 usage error, 3 invalid input, 4 I/O error.\nRun "smartdelta <command> --help" for a command\'s options and examples.',
  );
  return program;
}

/**
 * commander checks required options before it looks for unknown ones, so `--ouput x` said "required option
 * -o missing" instead of suggesting --output. The required options are checked here instead, in a preAction
 * hook, which runs after the unknown-option check; --help still lists them as declared.
 */
function deferRequiredOptions(program: Command): void {
  const required = new Map<Command, Option[]>();
  for (const command of program.commands) {
    const options = command.options.filter((o) => o.mandatory);
    for (const option of options) option.makeOptionMandatory(false);
    required.set(command, options);
  }
  program.hook('preAction', (_program, command) => {
    // The parsed options are authoritative: a "--json" seen by scanArgs may have been another option's value.
    beginRun(Boolean(command.opts().json));
    for (const option of required.get(command) ?? []) {
      if (command.getOptionValue(option.attributeName()) === undefined) throw new UsageError(`required option '${option.flags}' not specified`);
    }
  });
}

let pipeHandlersInstalled = false;

/**
 * A reader that stops early (`smartdelta --help | head`) is not an error: end quietly. Installed once per
 * process, so that a program calling main() many times does not pile up listeners.
 */
function exitQuietlyOnClosedPipe(): void {
  if (pipeHandlersInstalled) return;
  pipeHandlersInstalled = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

/** The verb and --json, read before parsing so that a parse error can still be answered in JSON. */
function scanArgs(program: Command, argv: string[]): { command: string | null; json: boolean } {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  const head = end < 0 ? args : args.slice(0, end);
  const verb = head.find((a) => !a.startsWith('-'));
  const command = program.commands.some((c) => c.name() === verb) ? verb! : null;
  return { command, json: head.includes('--json') };
}

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const program = buildProgram();
  const debug = argv.includes('--debug');
  const { command, json } = scanArgs(program, argv);
  beginRun(json);
  resetStdout();
  try {
    await program.parseAsync(argv);
    await deliverPendingSignals();
    if (jsonMode()) printJson(runDocument(command, ExitCode.ok));
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')) {
      return ExitCode.ok;
    }
    const failure = describeFailure(err, command);
    process.stderr.write(`${colorErr.red(failure.internal ? 'internal error:' : 'error:')} ${failure.message}${failure.hint}\n`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    if (jsonMode()) printJson(runDocument(command, failure.exitCode, { code: failure.code, message: failure.message }));
    return failure.exitCode;
  }
}

interface Failure {
  exitCode: number;
  code: string;
  message: string;
  /** Appended on stderr only: where to read the usage. */
  hint: string;
  internal: boolean;
}

function describeFailure(err: unknown, command: string | null): Failure {
  const usageHint = ` (run "smartdelta${command ? ` ${command}` : ''} --help" for usage)`;
  if (err instanceof CommanderError) {
    // One line: commander puts its suggestion ("(Did you mean --output?)") on a line of its own.
    const message = err.message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ');
    return { exitCode: ExitCode.usage, code: 'usage', message, hint: usageHint, internal: false };
  }
  if (err instanceof SmartDeltaError) {
    return { exitCode: err.exitCode, ...errorOf(err), hint: '', internal: false };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: ExitCode.invalidInput, code: 'internal', message, hint: '', internal: true };
}
