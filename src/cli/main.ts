/**
 * The smartdelta program: a thin commander shell. Each verb lives in src/cli/commands/<verb>.ts and calls
 * the library; this file only wires them up and turns errors into one line and an exit code.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, SmartDeltaError } from '../errors.js';
import { colorErr } from './output.js';
import { commands } from './commands/index.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('smartdelta')
    .description('Signed, pointer-aware delta patches for ARM Cortex-M firmware, LoRaWAN fragmentation and airtime reports')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const register of commands) register(program);
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 a check failed, 2 usage error, 3 invalid input, 4 I/O error.\nRun "smartdelta <command> --help" for a command\'s options and examples.',
  );
  return program;
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

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    if (err instanceof SmartDeltaError) {
      process.stderr.write(`${colorErr.red('error:')} ${err.message}\n`);
      if (debug) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${colorErr.red('internal error:')} ${message}\n`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return ExitCode.invalidInput;
  }
}
