import { Logger } from '@aws-lambda-powertools/logger';
import { requiredEnv, tablesFromEnv } from '../core/env';
import { StepFunctionsJobStarter } from '../core/step-functions-job-starter';
import { reconcile } from './reconciler';

const logger = new Logger();
const deps = { tables: tablesFromEnv(), now: () => new Date() };
const jobStarter = new StepFunctionsJobStarter(requiredEnv('stateMachineArn'));

/** Scheduled: re-drives jobs that lost their start and fails jobs that outlived the workflow. */
export async function handler() {
  const result = await reconcile(deps, jobStarter);
  logger.info('reconciled', result);
  return result;
}
