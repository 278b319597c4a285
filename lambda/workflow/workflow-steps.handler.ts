import { Logger } from '@aws-lambda-powertools/logger';
import { bundledPlatformConfig, requiredEnv, tablesFromEnv } from '../core/env';
import { SecretsManagerIngestTokens } from '../core/secrets-manager-ingest-tokens';
import { CloudFormationOutputsReader } from './cloudformation-outputs-reader';
import { IamPolicySimulatorPrecheck } from './iam-policy-precheck';
import { S3SpecStore } from './s3-spec-store';
import { StsS3AccessProbe } from './sts-s3-access-probe';
import { runStep, type WorkflowDependencies } from './workflow-steps';

const logger = new Logger();
const config = bundledPlatformConfig();
const deps: WorkflowDependencies = {
  tables: tablesFromEnv(),
  config,
  specs: new S3SpecStore(requiredEnv('specBucket')),
  outputs: new CloudFormationOutputsReader(config),
  access: new StsS3AccessProbe(),
  precheck: new IamPolicySimulatorPrecheck(),
  ingestTokens: new SecretsManagerIngestTokens(config),
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
