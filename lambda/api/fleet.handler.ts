import { optionalEnv } from '../core/env';
import { LambdaFleetWorkStarter } from '../core/lambda-fleet-work';
import { StepFunctionsUpgradeStarter } from '../core/step-functions-upgrade-starter';
import { fleetViewOperations } from './fleet-view-operations';
import { lambdaHandler } from './lambda-adapter';
import { suspensionOperations } from './suspension-operations';
import { upgradeOperations } from './upgrade-operations';

const worker = optionalEnv('fleetWorkerFunction');
const upgrades = optionalEnv('upgradeStateMachineArn');

/** Lambda for the platform team's fleet routes (/fleet/…) and suspending or resuming one cluster. */
export const handler = lambdaHandler(
  'fleet',
  { ...suspensionOperations, ...upgradeOperations, ...fleetViewOperations },
  {
    ...(worker ? { fleetWork: new LambdaFleetWorkStarter(worker) } : {}),
    ...(upgrades ? { upgrades: new StepFunctionsUpgradeStarter(upgrades) } : {}),
  },
);
