import { ExitCode } from './exit-codes';

/**
 * Every expected failure of the command is a CliError: main prints its
 * message as one line (plus `details`, one per line) and exits with its code.
 * Anything else is a bug and is reported as such, still without a stack
 * unless VULNZERO_DEBUG is set.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code: string,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags, arguments or files: exit 2. `hint` names the help to read. */
export class UsageError extends CliError {
  constructor(message: string, details: string[] = []) {
    super(message, ExitCode.usage, 'usage', details);
  }
}

/** The gateway answered with an error status. */
export class GatewayError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    exitCode: ExitCode,
    details: string[] = [],
    readonly requestId?: string,
  ) {
    super(message, exitCode, `http_${status}`, details);
  }
}

/** The gateway could not be reached (DNS, refused, reset, TLS). */
export class NetworkError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.failed, 'network');
  }
}

/** --timeout ran out while following a task. */
export class WaitTimeoutError extends CliError {
  constructor(message: string, details: string[]) {
    super(message, ExitCode.timeout, 'timeout', details);
  }
}
