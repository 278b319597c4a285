import type * as z from 'zod';
import { PROBLEM_TYPE_BASE, type Problem } from '../../lib/contract/api';
import { fieldErrors, type FieldError } from '../../lib/contract/validation-messages';
import type { Refusal } from './entitlements';

/**
 * RFC 9457 problem details: the only shape in which SICI's API reports an error. Throw a
 * `ProblemError` anywhere in a handler; the router turns it into an `application/problem+json`
 * answer. Details never carry stack traces or internal names.
 */

export type { FieldError };

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
    this.name = 'ProblemError';
  }

  toProblem(instance?: string, requestId?: string): Problem {
    return {
      type: PROBLEM_TYPE_BASE + this.slug,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(instance ? { instance } : {}),
      ...(requestId ? { requestId } : {}),
      ...(this.errors?.length ? { errors: this.errors } : {}),
    };
  }
}

export const validationProblem = (where: string, issues: z.core.$ZodIssue[]) =>
  new ProblemError(
    400,
    'validation',
    'Invalid request',
    `The ${where} does not match the schema: ${issues.length} problem(s), see errors.`,
    // Worded by lib/contract/validation-messages, as the configuration's and the TenantSpec's errors are.
    fieldErrors(issues, where),
  );

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ProblemError(400, 'bad-request', 'Bad request', detail, errors);

export const unauthenticated = (detail: string) => new ProblemError(403, 'unauthenticated', 'Not authenticated', detail);

/** A request with no valid credentials for a route that takes a bearer token (answered 401, as RFC 6750 says). */
export const invalidToken = (detail: string) => new ProblemError(401, 'invalid-token', 'Invalid token', detail);

export const forbidden = (detail: string) => new ProblemError(403, 'forbidden', 'Forbidden', detail);

export const notEntitled = (detail: string, field?: string) =>
  new ProblemError(403, 'not-entitled', 'Not entitled', detail, field ? [{ field, message: detail }] : undefined);

export const notFound = (what: string) => new ProblemError(404, 'not-found', 'Not found', `${what} does not exist or is not yours.`);

export const routeNotFound = (method: string, path: string) =>
  new ProblemError(404, 'no-such-route', 'No such route', `${method} ${path} is not a route of this API.`);

export const methodNotAllowed = (method: string, path: string, allowed: string[]) =>
  new ProblemError(405, 'method-not-allowed', 'Method not allowed', `${path} accepts ${allowed.join(', ')}, not ${method}.`);

export const conflict = (detail: string) => new ProblemError(409, 'conflict', 'Conflict', detail);

/** A dependency the route needs is not configured or not reachable; nothing was changed. */
export const unavailable = (detail: string) => new ProblemError(503, 'unavailable', 'Service unavailable', detail);

/** A fleet route's selector named no cluster the action applies to: nothing was changed. */
export const selectorMatchedNothing = (selector: string, wanted: string) =>
  new ProblemError(422, 'selector-matched-nothing', 'Selector matched nothing', `The selector (${selector}) matches no ${wanted} cluster; nothing was changed.`, [
    { field: 'body.selector', message: `matches no ${wanted} cluster` },
  ]);

export const payloadTooLarge = (limit: number) =>
  new ProblemError(413, 'payload-too-large', 'Payload too large', `The body exceeds ${limit} bytes.`);

export const unsupportedMediaType = () =>
  new ProblemError(415, 'unsupported-media-type', 'Unsupported media type', 'Send the body as application/json.');

export const idempotencyKeyReused = () =>
  new ProblemError(
    422,
    'idempotency-key-reused',
    'Idempotency key reused',
    'This Idempotency-Key was already used with a different request; use a new key for a new request.',
  );

export const internalError = () =>
  new ProblemError(500, 'internal', 'Internal error', 'The request could not be completed; it is safe to retry. Quote the requestId to the platform team.');

/** What the API answers when the entitlements refuse a request (see ./entitlements.ts). */
export function refusalProblem(refusal: Refusal): ProblemError {
  const field = refusal.field ? `body.${refusal.field}` : undefined;
  if (refusal.rule === 'offered') return badRequest(refusal.detail, field ? [{ field, message: refusal.expected ?? refusal.detail }] : undefined);
  return notEntitled(refusal.detail, field);
}
