import { STATUS_CODES } from 'node:http';
import { CliError, EXIT } from './errors';

/**
 * An error answer of the API, shown as one line: `error: <status> <title>: <detail>`, then its
 * field errors (`  body.tier: …`). SICI answers RFC 9457 problem+json; API Gateway itself answers
 * `{ "message": … }` (for example a missing or wrong signature), and anything else is shown as text.
 */

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** What the command line reads from an error answer. */
export interface ProblemSummary {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors: readonly FieldError[];
  readonly requestId?: string;
}

/** The most of a non-JSON error body shown. */
const MAX_TEXT = 300;

export function summarizeProblem(status: number, body: unknown): ProblemSummary {
  const fallbackTitle = STATUS_CODES[status] ?? 'Error';
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
    const errors = Array.isArray(record.errors)
      ? record.errors.flatMap((entry: unknown) => {
          if (typeof entry !== 'object' || entry === null) return [];
          const { field, message } = entry as Record<string, unknown>;
          return typeof message === 'string' ? [{ field: typeof field === 'string' ? field : '(request)', message }] : [];
        })
      : [];
    return {
      status,
      title: text(record.title) ?? fallbackTitle,
      detail: text(record.detail) ?? text(record.message) ?? text(record.Message),
      errors,
      requestId: text(record.requestId),
    };
  }
  const detail = typeof body === 'string' && body.trim() !== '' ? oneLine(body).slice(0, MAX_TEXT) : undefined;
  return { status, title: fallbackTitle, detail, errors: [] };
}

/** The problem as the lines the command line prints (the first one is the `error:` line). */
export function problemLines(summary: ProblemSummary): string[] {
  const head = `error: ${summary.status} ${clean(summary.title)}${summary.detail ? `: ${clean(summary.detail)}` : ''}`;
  const fields = summary.errors.map((error) => `  ${clean(error.field)}: ${clean(error.message)}`);
  // A server error is worth reporting: its request id finds it in the logs.
  const request = summary.status >= 500 && summary.requestId ? [`  request id: ${clean(summary.requestId)}`] : [];
  return [head, ...fields, ...request];
}

/** The API answered an error status: exit 1. */
export class ApiError extends CliError {
  readonly problem: ProblemSummary;

  constructor(
    readonly status: number,
    /** The answer's body: parsed JSON when it was JSON, else its text. */
    readonly body: unknown,
  ) {
    const problem = summarizeProblem(status, body);
    const [head, ...details] = problemLines(problem);
    super(head.replace(/^error: /, ''), EXIT.apiError, details.map((line) => line.replace(/^ {2}/, '')));
    this.name = 'ApiError';
    this.problem = problem;
  }
}

/** Text from the server or the user, safe to print on a terminal: no control characters (escape sequences), one line. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex -- the point: control characters are replaced
  return oneLine(text).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
