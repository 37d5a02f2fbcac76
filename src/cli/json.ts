/**
 * The --json contract (docs/JSON.md, docs/schema/output.schema.json): every run with --json prints exactly one
 * JSON document on stdout, on success and on failure. Commands hand their fields to result(); main() adds the
 * envelope (command, ok, exitCode, error, output, size, warnings) and prints the document once, after the
 * command returned or threw, so a failed check never yields two documents or none.
 */
import { ExitCode, type SmartDeltaError } from '../errors.js';
import type { PatchInfo } from '../pipeline/info.js';

/** The error's code in a failure document: one per exit code, stable for scripts. */
export const ERROR_CODES: Record<number, string> = {
  [ExitCode.checkFailed]: 'check-failed',
  [ExitCode.usage]: 'usage',
  [ExitCode.invalidInput]: 'invalid-input',
  [ExitCode.io]: 'io',
};

interface JsonRun {
  fields: Record<string, unknown>;
  warnings: string[];
}

let run: JsonRun | undefined;

/** Starts a run: JSON mode on or off, nothing collected yet. */
export function beginRun(json: boolean): void {
  run = json ? { fields: {}, warnings: [] } : undefined;
}

export function jsonMode(): boolean {
  return run !== undefined;
}

/** A command's fields for the document; later calls add to earlier ones (a check can fail after some are known). */
export function result(fields: Record<string, unknown>): void {
  if (run) Object.assign(run.fields, fields);
}

/** Records a warning for the document; false when not in JSON mode (the caller prints it instead). */
export function recordWarning(line: string): boolean {
  if (!run) return false;
  run.warnings.push(line);
  return true;
}

/** The document of a finished run; `error` is set when it failed. */
export function runDocument(command: string | null, exitCode: number, error?: { code: string; message: string }): Record<string, unknown> {
  const fields = run?.fields ?? {};
  return {
    command,
    ok: exitCode === ExitCode.ok,
    exitCode,
    error: error ?? null,
    output: null,
    size: null,
    ...fields,
    warnings: run?.warnings ?? [],
  };
}

export function errorOf(err: SmartDeltaError): { code: string; message: string } {
  return { code: ERROR_CODES[err.exitCode] ?? 'internal', message: err.message };
}

/**
 * A patch's figures with every optional field present: null where the patch has no value, so that a script
 * tests `x === null` everywhere instead of guessing whether a field is omitted.
 */
export function patchJson(info: PatchInfo): Record<string, unknown> {
  return {
    ...info,
    keyId: info.keyId ?? null,
    versionFrom: info.versionFrom ?? null,
    versionTo: info.versionTo ?? null,
    securityCounter: info.securityCounter ?? null,
    relocation: info.relocation ?? null,
    lzma: info.lzma ?? null,
    inPlace: info.inPlace ?? null,
  };
}
