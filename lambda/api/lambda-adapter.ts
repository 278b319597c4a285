import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { routesOfGroup, type OperationIdOf, type RouteGroup } from '../../lib/contract/routes';
import { CALLER_TTL_MS } from '../core/callers';
import { bundledPlatformConfig, optionalEnv, tablesFromEnv } from '../core/env';
import type { JobStarter } from '../core/job-starter';
import { StepFunctionsJobStarter } from '../core/step-functions-job-starter';
import type { ApiRequest } from './http';
import type { Operations } from './operation';
import { createRouter } from './router';

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
export function lambdaHandler<G extends RouteGroup>(group: G, operations: Operations<OperationIdOf<G>>) {
  const stateMachineArn = optionalEnv('stateMachineArn');
  const route = createRouter(routesOfGroup(group), operations, {
    tables: tablesFromEnv(),
    config: bundledPlatformConfig(),
    jobStarter: stateMachineArn ? new StepFunctionsJobStarter(stateMachineArn) : startsNoJobs,
    now: () => new Date(),
    callerTtlMs: CALLER_TTL_MS,
    warn: (message, detail) => logger.warn(message, detail),
  });

  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    logger.addContext(context);
    const response = await route(toApiRequest(event));
    logger.info('answered', { operation: event.resource, status: response.status, requestId: event.requestContext.requestId });
    return { statusCode: response.status, headers: response.headers, body: response.body };
  };
}

function toApiRequest(event: APIGatewayProxyEvent): ApiRequest {
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value ?? '']));
  const query = Object.fromEntries(
    Object.entries(event.multiValueQueryStringParameters ?? {}).map(([name, values]) => [name, values ?? []]),
  );
  return {
    method: event.httpMethod,
    path: event.path,
    query,
    headers,
    body: event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : undefined,
    principalArn: event.requestContext.identity.userArn ?? undefined,
    sourceIp: event.requestContext.identity.sourceIp,
    requestId: event.requestContext.requestId,
  };
}
