/**
 * Exit codes shared by every command (docs/CLI.md, "Exit codes").
 * A library caller sees the same codes on the thrown SmartDeltaError.
 */
export const ExitCode = {
  ok: 0,
  /** A check failed: signature, hash, wrong base image, not enough fragments. */
  checkFailed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** An input file is invalid, corrupt or unsupported. */
  invalidInput: 3,
  /** A file could not be read or written. */
  io: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: the CLI prints its message as one line and exits with its code. */
export class SmartDeltaError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'SmartDeltaError';
  }
}

export class CheckFailedError extends SmartDeltaError {
  constructor(message: string) {
    super(message, ExitCode.checkFailed);
    this.name = 'CheckFailedError';
  }
}

export class UsageError extends SmartDeltaError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'UsageError';
  }
}

export class InvalidInputError extends SmartDeltaError {
  constructor(message: string) {
    super(message, ExitCode.invalidInput);
    this.name = 'InvalidInputError';
  }
}

export class IoError extends SmartDeltaError {
  constructor(message: string) {
    super(message, ExitCode.io);
    this.name = 'IoError';
  }
}
