import { Logger } from '@aws-lambda-powertools/logger';
import { optionalEnv, requiredEnv, tablesFromEnv } from '../core/env';
import { LambdaFleetWorkStarter } from '../core/lambda-fleet-work';
import { StepFunctionsJobStarter } from '../core/step-functions-job-starter';
import { StepFunctionsUpgradeStarter } from '../core/step-functions-upgrade-starter';
import { reconcileFleet } from './fleet-reconciler';
import { reconcile } from './reconciler';

const logger = new Logger();
const deps = { tables: tablesFromEnv(), now: () => new Date() };
const jobStarter = new StepFunctionsJobStarter(requiredEnv('stateMachineArn'));
// Set once the stack gives the reconciler the fleet (ProvisioningWorkflow.reconcileFleet).
const fleetWorker = optionalEnv('fleetWorkerFunction');
const upgradeStateMachine = optionalEnv('upgradeStateMachineArn');
const fleet =
  fleetWorker && upgradeStateMachine
    ? { ...deps, fleetWork: new LambdaFleetWorkStarter(fleetWorker), upgrades: new StepFunctionsUpgradeStarter(upgradeStateMachine) }
    : undefined;

/**
 * Scheduled: re-drives jobs that lost their start and fails jobs that outlived the workflow; then
 * fleet operations that lost their worker and upgrade runs that lost their execution.
 */
export async function handler() {
  const jobs = await reconcile(deps, jobStarter);
  const result = fleet ? { ...jobs, ...(await reconcileFleet(fleet)) } : jobs;
  logger.info('reconciled', result);
  return result;
}
