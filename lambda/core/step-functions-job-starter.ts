import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ProvisioningJob } from '../../lib/contract/api';
import type { JobStarter } from './job-starter';

/** Starts the job workflow with the job id as execution name: starting the same job twice is a no-op. */
export class StepFunctionsJobStarter implements JobStarter {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client = new SFNClient({}),
  ) {}

  async start(job: ProvisioningJob): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: job.jobId, input: JSON.stringify({ jobId: job.jobId }) }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }
}
