import { Logger } from '@aws-lambda-powertools/logger';
import { parsePlatformConfig } from '../../lib/config/load-platform-config';
import { connectTables } from '../core/state-store';
import { StepFunctionsJobStarter } from '../core/step-functions-job-starter';
import { ENV } from '../../lib/contract/function-environment';
import { CloudFormationOutputsReader } from './cloudformation-outputs-reader';
import { reconcile } from './reconcile';
import { S3SpecStore } from './s3-spec-store';
import { StsS3AccessProbe } from './sts-s3-access-probe';

const logger = new Logger();
const config = parsePlatformConfig(JSON.parse(process.env.SICI_PLATFORM_CONFIG_JSON ?? 'null'), 'bundled platform configuration');
const deps = {
  tables: connectTables(process.env[ENV.stateTable]!, process.env[ENV.auditTable]!),
  config,
  specs: new S3SpecStore(process.env.SICI_SPEC_BUCKET ?? 'unused-by-the-reconciler'),
  outputs: new CloudFormationOutputsReader(config),
  access: new StsS3AccessProbe(),
  now: () => new Date(),
};
const jobStarter = new StepFunctionsJobStarter(process.env[ENV.stateMachineArn]!);

/** Scheduled: re-drives jobs that lost their start and fails jobs that outlived the workflow. */
export async function handler() {
  const result = await reconcile(deps, jobStarter);
  logger.info('reconciled', result);
  return result;
}
