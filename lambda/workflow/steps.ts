import { Logger } from '@aws-lambda-powertools/logger';
import { parsePlatformConfig } from '../../lib/config/load-platform-config';
import { connectTables } from '../core/state-store';
import { ENV } from '../../lib/contract/function-environment';
import { CloudFormationOutputsReader } from './cloudformation-outputs-reader';
import { IamPolicySimulatorPrecheck } from './iam-policy-precheck';
import { S3SpecStore } from './s3-spec-store';
import { StsS3AccessProbe } from './sts-s3-access-probe';
import { runStep } from './workflow-steps';

const logger = new Logger();
const config = parsePlatformConfig(JSON.parse(process.env.SICI_PLATFORM_CONFIG_JSON ?? 'null'), 'bundled platform configuration');
const deps = {
  tables: connectTables(process.env[ENV.stateTable]!, process.env[ENV.auditTable]!),
  config,
  specs: new S3SpecStore(process.env.SICI_SPEC_BUCKET!),
  outputs: new CloudFormationOutputsReader(config),
  access: new StsS3AccessProbe(),
  precheck: new IamPolicySimulatorPrecheck(),
  now: () => new Date(),
};

/** The workflow Lambda: every Lambda task state of the state machine invokes it with `{ step, state }`. */
export async function handler(invocation: { step?: string; state?: { jobId?: string } }) {
  logger.appendKeys({ step: invocation.step, jobId: invocation.state?.jobId });
  try {
    return await runStep(deps, invocation);
  } catch (error) {
    logger.error('step failed', error as Error);
    throw error;
  }
}
