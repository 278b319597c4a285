import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { bundledPlatformConfig } from '../core/env';
import { SecretsManagerIngestTokens } from '../core/secrets-manager-ingest-tokens';
import { ingestOperations } from './ingest-operations';
import { lambdaHandler } from './lambda-adapter';
import { EmfQueryMetrics } from './query-metrics';

const config = bundledPlatformConfig();
const metrics = new EmfQueryMetrics(config.prices);
const serve = lambdaHandler('ingest', ingestOperations(metrics), { ingestTokens: new SecretsManagerIngestTokens(config) });

/**
 * Lambda for the engines' ingest route (POST /clusters/{id}/queries, no IAM authorization: the
 * cluster's bearer token is checked here). Each invocation's metrics are written as it ends.
 */
export async function handler(event: APIGatewayProxyEvent, context: Context) {
  try {
    return await serve(event, context);
  } finally {
    metrics.publish();
  }
}
