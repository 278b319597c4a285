/**
 * How the `sici` command line ends: its exit codes, and the errors that carry them. An error is
 * shown as one line (`error: …`) with its details indented below it, never as a stack trace.
 */

export const EXIT = {
  ok: 0,
  /** The API refused the request or failed (4xx, 5xx), or something unexpected happened. */
  apiError: 1,
  /** An unknown command or option, a missing or malformed argument. */
  usage: 2,
  /** The job followed with --wait failed. */
  jobFailed: 3,
  /** The API could not be reached, or the request could not be signed (no credentials, unknown profile). */
  unreachable: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** For `sici --help` (and README): what each exit code means. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  success',
  '  1  the API refused the request or failed (4xx/5xx; the problem is printed), or an unexpected error',
  '  2  usage error: an unknown command or option, a missing or malformed argument',
  '  3  the job (or fleet operation) followed with --wait failed (its failed step and cause are printed)',
  '  4  the API could not be reached, or the request could not be signed (no credentials, unknown profile)',
].join('\n');

/** An error the command line reports as `error: <message>`, then `details` (one per line, indented by two spaces), and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad arguments: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, EXIT.usage, details);
    this.name = 'UsageError';
  }
}

/** Cannot reach the endpoint, or cannot sign for it: exit 4. */
export class ConnectionError extends CliError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, EXIT.unreachable, details);
    this.name = 'ConnectionError';
  }
}
