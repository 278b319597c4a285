import { Logger } from '@aws-lambda-powertools/logger';
import { bundledPlatformConfig, requiredEnv, tablesFromEnv } from '../core/env';
import { LambdaFleetWorkStarter } from '../core/lambda-fleet-work';
import { autoSuspendIdleClusters } from './auto-suspend';

const logger = new Logger();
const deps = {
  tables: tablesFromEnv(),
  config: bundledPlatformConfig(),
  fleetWork: new LambdaFleetWorkStarter(requiredEnv('fleetWorkerFunction')),
  now: () => new Date(),
};

/** Scheduled: suspends the clusters idle past their environment's `autoSuspendAfterIdleHours`. */
export async function handler() {
  const result = await autoSuspendIdleClusters(deps);
  logger.info('auto-suspend', { ...result });
  return result;
}
