import * as z from 'zod';
import type { OperationId, Route, RouteDefinition } from '../../lib/contract/routes';
import { appendAudit, auditEntity, auditPut, type AuditOutcome } from '../core/audit-log';
import { CallerCache, resolveCaller, type Caller } from '../core/callers';
import { authenticateCluster } from '../core/ingest-tokens';
import { findStoredAnswer, idempotencyClaim, type StoredAnswer } from '../core/idempotency';
import {
  badRequest,
  forbidden,
  idempotencyKeyReused,
  invalidToken,
  internalError,
  methodNotAllowed,
  payloadTooLarge,
  ProblemError,
  routeNotFound,
  unauthenticated,
  unsupportedMediaType,
  validationProblem,
} from '../core/problems';
import { MAX_BODY_BYTES, type ApiRequest, type ApiResponse } from './http';
import type { AuditDraft, Dependencies, OperationContext, OperationResult, Operations } from './operation';

/** Thrown by an operation that finds its answer already given (a concurrent idempotent retry). */
export class Replay extends Error {
  constructor(readonly answer: StoredAnswer) {
    super('replayed');
  }
}

/** A context as the router builds it, before the route's types are attached. */
type RoutedContext = Omit<OperationContext<OperationId>, 'caller' | 'params' | 'query' | 'body'> & {
  caller: Caller;
  params: Record<string, string>;
  query: unknown;
  body: unknown;
};

/**
 * An operation as the router calls it. The router authorizes the caller for the route's access
 * and parses params, query and body with the route's own schemas, so the context it builds is the
 * one the operation is typed for (`OperationContext<Id>`); this is the one place that says so.
 */
type RoutedOperation = (context: RoutedContext) => Promise<OperationResult>;

interface CompiledRoute {
  route: RouteDefinition;
  operation: RoutedOperation;
  pattern: RegExp;
  paramNames: string[];
}

/**
 * Turns requests into operation calls for a set of routes of the route table: matches the path,
 * authenticates the caller against the team registry, parses every part of the request with the
 * route's zod schemas, replays idempotent answers, audits every mutating call exactly once, and
 * answers every error as RFC 9457 problem+json. No client input reaches an operation unparsed.
 */
export function createRouter(routes: readonly Route[], operations: Partial<Operations>, deps: Dependencies) {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const operation = operations[route.operationId] as unknown as RoutedOperation | undefined;
    if (!operation) throw new Error(`No operation implements ${route.operationId}`);
    const paramNames: string[] = [];
    const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      paramNames.push(name);
      return '([^/]+)';
    });
    return { route, operation, pattern: new RegExp(`^${source}/?$`), paramNames };
  });

  const callers = new CallerCache(deps.callerTtlMs ?? 0);

  return async function handle(request: ApiRequest): Promise<ApiResponse> {
    const time = deps.now().toISOString();
    let caller: Caller | undefined;
    let matched: CompiledRoute | undefined;
    /** What the call acts on: its route with the ids it named, once they parsed as ids SICI issues. */
    let entity: string | undefined;
    let audited = false;
    const draft = (): AuditDraft => ({
      actor: caller?.principal ?? request.principalArn ?? 'anonymous',
      ...(caller?.kind === 'team' ? { teamId: caller.team.teamId } : caller?.kind === 'cluster' ? { teamId: caller.teamId } : {}),
      action: matched!.route.operationId,
      time,
      sourceIp: request.sourceIp,
      requestId: request.requestId,
    });
    const record = async (outcome: AuditOutcome, status: number, metadata: Record<string, unknown> = {}) => {
      if (!matched?.route.mutating || audited) return;
      audited = true;
      // Until its ids parse, a call is recorded against its collection: a path the client chose never
      // becomes a key (its first characters are kept in the metadata).
      const details = entity ? metadata : { ...metadata, path: boundedPath(request.path) };
      await appendAudit(deps.tables, { ...draft(), entity: entity ?? collectionOf(matched.route.path), outcome, status, ...(Object.keys(details).length ? { metadata: details } : {}) });
    };

    try {
      const candidates = compiled.filter((c) => c.pattern.test(request.path));
      if (candidates.length === 0) throw routeNotFound(request.method, request.path);
      matched = candidates.find((c) => c.route.method === request.method);
      if (!matched) throw methodNotAllowed(request.method, request.path, candidates.map((c) => c.route.method));
      const { route, operation } = matched;

      const maxBodyBytes = route.maxBodyBytes ?? MAX_BODY_BYTES;
      if (Buffer.byteLength(request.body ?? '', 'utf8') > maxBodyBytes) throw payloadTooLarge(maxBodyBytes);

      const rawParams = Object.fromEntries(
        matched.paramNames.map((name, i) => [name, decodeSegment(matched!.pattern.exec(request.path)![i + 1])]),
      );
      if (route.access === 'cluster') {
        // A cluster's engine: its bearer token names the cluster; SigV4 plays no part.
        const params = parseParams(route, rawParams);
        caller = await authenticateCluster(deps.tables, params.clusterId, request.headers.authorization, deps.ingestTokens);
        if (!caller) throw invalidToken(`The bearer token is not an ingest token of cluster ${params.clusterId}.`);
      } else {
        const principal = request.principalArn;
        caller = await callers.resolve(principal ?? '', Date.now(), () => resolveCaller(deps.tables, deps.config.admins, principal));
        authorize(route, caller);
      }
      const params = parseParams(route, rawParams);
      entity = auditEntity(params, collectionOf(route.path));
      const query = parseQuery(route, request.query);
      const body = parseBody(route, request);

      const idempotency =
        route.idempotent && caller.kind !== 'unknown'
          ? idempotencyClaim(scopeOf(caller), request.headers['idempotency-key'], { method: route.method, path: request.path, body })
          : undefined;
      if (idempotency) {
        const stored = await findStoredAnswer(deps.tables, idempotency, deps.now());
        if (stored) {
          if (stored.fingerprint !== idempotency.fingerprint) throw idempotencyKeyReused();
          throw new Replay(stored);
        }
      }

      const context: RoutedContext = {
        deps,
        request,
        caller,
        params,
        query,
        body,
        time,
        idempotency,
        audit(entity, metadata) {
          audited = true; // written by the operation's transaction, which commits or throws
          return auditPut(deps.tables, { ...draft(), entity, outcome: 'SUCCEEDED', status: route.success.status, ...(metadata ? { metadata } : {}) });
        },
      };
      const result = await operation(context).catch((error) => {
        audited = false; // the transaction holding the record did not commit
        throw error;
      });
      if (!route.auditsOnlyRefusals) await record('SUCCEEDED', result.status);
      return route.csv && result.csv !== undefined && acceptsCsv(request) ? csvResponse(result.csv, request, result.headers) : jsonResponse(result, request);
    } catch (error) {
      if (error instanceof Replay) {
        await record('REPLAYED', error.answer.status, { idempotencyKey: request.headers['idempotency-key'] });
        return { status: error.answer.status, headers: { ...error.answer.headers, 'idempotency-replayed': 'true', 'x-request-id': request.requestId }, body: error.answer.body };
      }
      const problem = error instanceof ProblemError ? error : internalError();
      if (!(error instanceof ProblemError)) {
        deps.warn('Unhandled error', { requestId: request.requestId, error: String((error as Error)?.stack ?? error) });
      }
      try {
        await record(problem.status >= 500 ? 'FAILED' : 'REFUSED', problem.status, { problem: problem.slug });
      } catch (auditError) {
        deps.warn('Audit record not written', { requestId: request.requestId, error: String(auditError) });
        return problemResponse(internalError(), request);
      }
      return problemResponse(problem, request);
    }
  };
}

/** `/clusters/{clusterId}/events` → `clusters`. */
const collectionOf = (path: string) => path.split('/')[1];

const AUDITED_PATH_CHARACTERS = 256;

function boundedPath(path: string): string {
  return path.length <= AUDITED_PATH_CHARACTERS ? path : `${path.slice(0, AUDITED_PATH_CHARACTERS)}… (${path.length} characters)`;
}

function scopeOf(caller: Exclude<Caller, { kind: 'unknown' }>): string {
  if (caller.kind === 'team') return `TEAM#${caller.team.teamId}`;
  return caller.kind === 'cluster' ? `CLUSTER#${caller.clusterId}` : `ADMIN#${caller.principal}`;
}

/** Whether the caller asked for CSV (`Accept: text/csv`, before any JSON it also accepts). */
function acceptsCsv(request: ApiRequest): boolean {
  const accepted = (request.headers.accept ?? '').split(',').map((part) => part.split(';')[0].trim().toLowerCase());
  const csv = accepted.indexOf('text/csv');
  const json = accepted.indexOf('application/json');
  return csv >= 0 && (json < 0 || csv < json);
}

function csvResponse(text: string, request: ApiRequest, headers: Record<string, string> = {}): ApiResponse {
  return { status: 200, headers: { ...headers, 'content-type': 'text/csv; charset=utf-8', 'x-request-id': request.requestId }, body: text };
}

function authorize(route: RouteDefinition, caller: Caller): void {
  if (caller.kind === 'unknown') {
    throw unauthenticated(`${caller.principal} is not registered with SICI: ask the platform team to add it to your team.`);
  }
  if (route.access === 'admin' && caller.kind !== 'admin') throw forbidden('This route is for platform admins.');
  if (caller.kind === 'cluster') throw forbidden('This route is for SigV4-signed principals, not clusters.');
  if (route.access === 'teamOrAdmin') return;
  if (route.access === 'team' && caller.kind !== 'team') {
    throw forbidden('This route acts for a team; platform admins are not members of a team.');
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function parseParams(route: RouteDefinition, raw: Record<string, string>): Record<string, string> {
  if (!route.params) return {};
  const result = route.params.safeParse(raw);
  if (result.success) return result.data as Record<string, string>;
  if (route.createsAtPath) throw validationProblem('path', result.error.issues);
  throw new ProblemError(404, 'not-found', 'Not found', `${route.path} names nothing that exists: ${Object.values(raw).join(', ')}.`);
}

function parseQuery(route: RouteDefinition, raw: Record<string, string[]>): unknown {
  const repeated = Object.entries(raw).filter(([, values]) => values.length > 1);
  if (repeated.length) {
    throw badRequest('A query parameter was given more than once.', repeated.map(([name]) => ({ field: `query.${name}`, message: 'given more than once' })));
  }
  const single = Object.fromEntries(Object.entries(raw).map(([name, values]) => [name, values[0]]));
  const schema = route.query ?? z.strictObject({});
  const result = schema.safeParse(single);
  if (!result.success) throw validationProblem('query', result.error.issues);
  return result.data;
}

function parseBody(route: RouteDefinition, request: ApiRequest): unknown {
  const text = request.body ?? '';
  if (!route.body) {
    if (text.trim() !== '') throw badRequest(`${route.method} ${route.path} takes no body.`, [{ field: 'body', message: 'must be empty' }]);
    return undefined;
  }
  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json') throw unsupportedMediaType();
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw badRequest(`The body is not valid JSON (${(error as Error).message}).`, [{ field: 'body', message: 'not valid JSON' }]);
  }
  const result = route.body.safeParse(document);
  if (!result.success) throw validationProblem('body', result.error.issues);
  return result.data;
}

function jsonResponse(result: OperationResult, request: ApiRequest): ApiResponse {
  return {
    status: result.status,
    headers: { 'content-type': 'application/json', 'x-request-id': request.requestId, ...result.headers },
    body: JSON.stringify(result.body),
  };
}

export function problemResponse(problem: ProblemError, request: Pick<ApiRequest, 'path' | 'requestId'>): ApiResponse {
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', 'x-request-id': request.requestId },
    body: JSON.stringify(problem.toProblem(request.path, request.requestId)),
  };
}
