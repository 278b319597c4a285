import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ProvisioningJob } from '../../lib/contract/api';
import { PENDING_JOBS_PARTITION } from '../core/cluster-store';
import type { JobStarter } from '../core/job-starter';
import { withoutKeys } from '../core/state-store';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import { RUNNING_JOBS_PARTITION, runStep, type WorkflowDependencies } from './workflow-steps';

const [, GSI2] = STATE_TABLE_KEYS.indexes;

export interface ReconcileOptions {
  /** A job still PENDING this long after it was accepted lost its start: start it again. */
  readonly pendingAfterMs: number;
  /** A job still RUNNING this long after it was accepted outlived the workflow's timeout: fail it. */
  readonly runningTimeoutMs: number;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = { pendingAfterMs: 2 * 60_000, runningTimeoutMs: 2 * 60 * 60_000 + 10 * 60_000 };

/**
 * The reconciler, run on a schedule: nothing stays PENDING or RUNNING forever. Re-driving is safe
 * because a job's execution is named by its id (a second start of a started job is a no-op).
 */
export async function reconcile(deps: WorkflowDependencies, jobStarter: JobStarter, options = DEFAULT_RECONCILE_OPTIONS) {
  const now = deps.now().getTime();
  const pending = await jobsOlderThan(deps, PENDING_JOBS_PARTITION, new Date(now - options.pendingAfterMs));
  for (const job of pending) await jobStarter.start(job);
  const stuck = await jobsOlderThan(deps, RUNNING_JOBS_PARTITION, new Date(now - options.runningTimeoutMs));
  for (const job of stuck) {
    await runStep(deps, {
      step: 'failJob',
      state: {
        jobId: job.jobId,
        failedState: 'Reconciler',
        error: { Error: 'States.Timeout', Cause: `no workflow finished the job within ${Math.round(options.runningTimeoutMs / 60_000)} minutes` },
      },
    });
  }
  return { restarted: pending.map((job) => job.jobId), failed: stuck.map((job) => job.jobId) };
}

async function jobsOlderThan(deps: WorkflowDependencies, partition: string, before: Date): Promise<ProvisioningJob[]> {
  const jobs: ProvisioningJob[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.tables.doc.send(
      new QueryCommand({
        TableName: deps.tables.stateTable,
        IndexName: GSI2.name,
        KeyConditionExpression: '#pk = :partition AND #sk < :before',
        ExpressionAttributeNames: { '#pk': GSI2.partitionKey, '#sk': GSI2.sortKey },
        // `~` sorts after every job id, so jobs accepted in the very millisecond of `before` are included.
        ExpressionAttributeValues: { ':partition': partition, ':before': `${before.toISOString()}#~` },
        ExclusiveStartKey: start,
      }),
    );
    jobs.push(...(page.Items ?? []).map((item) => withoutKeys<ProvisioningJob>(item)));
    start = page.LastEvaluatedKey;
  } while (start);
  return jobs;
}
