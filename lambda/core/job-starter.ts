import type { ProvisioningJob } from '../../lib/contract/api';

/**
 * Where an accepted job goes to run: the Step Functions workflow in AWS (execution name = job id,
 * so a second start of the same job is a no-op), the local runtime on one machine. A job whose
 * start fails stays PENDING in the state table, where the reconciler finds and re-drives it.
 */
export interface JobStarter {
  start(job: ProvisioningJob): Promise<void>;
}
