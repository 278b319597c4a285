import { Logger } from '@aws-lambda-powertools/logger';
import { bundledPlatformConfig, requiredEnv, tablesFromEnv } from '../core/env';
import { StepFunctionsJobStarter } from '../core/step-functions-job-starter';
import { runUpgradeStep, type UpgradeStepsDependencies } from './upgrade-steps';

const logger = new Logger();
const deps: UpgradeStepsDependencies = {
  tables: tablesFromEnv(),
  config: bundledPlatformConfig(),
  jobStarter: new StepFunctionsJobStarter(requiredEnv('stateMachineArn')),
  now: () => new Date(),
  warn: (message, detail) => logger.warn(message, detail),
};

/** The upgrade-steps Lambda: every Lambda task state of the fleet upgrade state machine invokes it with `{ step, state }`. */
export async function handler(invocation: { step?: string; state?: { upgradeId?: string; clusterId?: string } }) {
  logger.appendKeys({ step: invocation.step, upgradeId: invocation.state?.upgradeId, clusterId: invocation.state?.clusterId });
  try {
    return await runUpgradeStep(deps, invocation);
  } catch (error) {
    logger.error('upgrade step failed', error as Error);
    throw error;
  }
}
