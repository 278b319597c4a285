import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { bundledPlatformConfig, tablesFromEnv } from '../core/env';
import { LambdaFleetWorkStarter } from '../core/lambda-fleet-work';
import { AwsClusterControl } from './aws-cluster-control';
import { CloudFormationDriftDetector } from './cloudformation-drift-detector';
import { runFleetOperation } from './fleet-worker';

const logger = new Logger();
const config = bundledPlatformConfig();
const deps = { tables: tablesFromEnv(), config, control: new AwsClusterControl(config), drift: new CloudFormationDriftDetector(), now: () => new Date() };

/** What stays of the run's time for the last writes after it stops waiting for jobs. */
const RESERVE_MS = 60_000;

/**
 * Invoked asynchronously with `{ operationId, kind }` by the fleet routes and the auto-suspend
 * schedule. A run that still waits for clusters' jobs near its timeout hands the rest to a new
 * invocation of this function.
 */
export async function handler(event: { operationId: string; kind: string }, context: Context) {
  const deadline = Date.now() + context.getRemainingTimeInMillis() - RESERVE_MS;
  const result = await runFleetOperation({ ...deps, deadline: () => deadline }, event.operationId);
  if (!result.finished) await new LambdaFleetWorkStarter(context.functionName).start({ operationId: event.operationId, kind: event.kind });
  logger.info('fleet operation run', { operationId: event.operationId, kind: event.kind, finished: result.finished });
  return result;
}
