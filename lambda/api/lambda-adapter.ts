import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { routesOfGroup, type OperationIdOf, type RouteGroup } from '../../lib/contract/routes';
import { CALLER_TTL_MS } from '../core/callers';
import { bundledPlatformConfig, optionalEnv, tablesFromEnv } from '../core/env';
import type { JobStarter } from '../core/job-starter';
import { StepFunctionsJobStarter } from '../core/step-functions-job-starter';
import type { ApiRequest } from './http';
import type { Dependencies, Operations } from './operation';
import { badRequest } from '../core/problems';
import { createRouter, problemResponse } from './router';

const logger = new Logger();

/** Only the clusters function starts jobs (the stack gives it the state machine); the others never call this. */
const startsNoJobs: JobStarter = {
  async start(job) {
    throw new Error(`This function has no state machine to start job ${job.jobId}`);
  },
};

/**
 * The Lambda entry of one route group: validates the bundled platform configuration once per
 * cold start, then serves API Gateway proxy events through the shared router.
 */
export function lambdaHandler<G extends RouteGroup>(
  group: G,
  operations: Operations<OperationIdOf<G>>,
  extra: Pick<Dependencies, 'ingestTokens' | 'fleetWork' | 'upgrades'> = {},
) {
  const stateMachineArn = optionalEnv('stateMachineArn');
  const route = createRouter(routesOfGroup(group), operations, {
    ...extra,
    tables: tablesFromEnv(),
    config: bundledPlatformConfig(),
    jobStarter: stateMachineArn ? new StepFunctionsJobStarter(stateMachineArn) : startsNoJobs,
    now: () => new Date(),
    callerTtlMs: CALLER_TTL_MS,
    warn: (message, detail) => logger.warn(message, detail),
  });

  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    logger.addContext(context);
    const body = bodyOf(event);
    const response =
      body === NOT_UTF8
        ? problemResponse(badRequest('The body is not valid UTF-8.', [{ field: 'body', message: 'not valid UTF-8' }]), { path: event.path, requestId: event.requestContext.requestId })
        : await route(toApiRequest(event, body));
    logger.info('answered', { operation: event.resource, status: response.status, requestId: event.requestContext.requestId });
    return { statusCode: response.status, headers: response.headers, body: response.body };
  };
}

/** A record keyed by names the client chose: without a prototype, so no name means anything but itself. */
function clientRecord<T>(entries: Array<[string, T]>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, Object.fromEntries(entries));
}

const NOT_UTF8 = Symbol('not UTF-8');

/** The body as text; a base64 body (binary media) is decoded strictly, never with replacement characters. */
function bodyOf(event: APIGatewayProxyEvent): string | undefined | typeof NOT_UTF8 {
  if (!event.body) return undefined;
  if (!event.isBase64Encoded) return event.body;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(event.body, 'base64'));
  } catch {
    return NOT_UTF8;
  }
}

function toApiRequest(event: APIGatewayProxyEvent, body: string | undefined): ApiRequest {
  const headers = clientRecord(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value ?? '']));
  const query = clientRecord(Object.entries(event.multiValueQueryStringParameters ?? {}).map(([name, values]) => [name, values ?? []]));
  return {
    method: event.httpMethod,
    path: event.path,
    query,
    headers,
    body,
    principalArn: event.requestContext.identity.userArn ?? undefined,
    sourceIp: event.requestContext.identity.sourceIp,
    requestId: event.requestContext.requestId,
  };
}
