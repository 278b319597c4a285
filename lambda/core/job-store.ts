import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ErrorDetails, OperationType, ProvisioningJob } from '../../lib/contract/api';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import { queryAll, statusIn, updateIf, withoutKeys, type Item, type Tables, type TransactItem } from './tables';
import { jobStatusesLeadingTo } from './transitions';

/**
 * Provisioning jobs in the state table: `JOB#<jobId>` / `JOB`, listed by cluster in gsi1, and,
 * while in flight, in the jobs-in-flight index (gsi2) for the reconciler.
 */

const [CLUSTER_INDEX, IN_FLIGHT_INDEX] = STATE_TABLE_KEYS.indexes;

/** The two partitions of the jobs-in-flight index: accepted jobs not yet started, and jobs the workflow runs. */
export const JOBS_IN_FLIGHT = { PENDING: 'PENDING', RUNNING: 'RUNNING' } as const;
export type InFlightStatus = keyof typeof JOBS_IN_FLIGHT;

export const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'JOB' });

const inFlightSortKey = (job: ProvisioningJob) => `${job.startedAt}#${job.jobId}`;

export function newJob(
  cluster: { clusterId: string; teamId: string },
  jobId: string,
  operationType: OperationType,
  now: string,
  datasourceId?: string,
): ProvisioningJob {
  return {
    jobId,
    clusterId: cluster.clusterId,
    teamId: cluster.teamId,
    operationType,
    status: 'PENDING',
    startedAt: now,
    ...(datasourceId ? { datasourceId } : {}),
  };
}

function jobItem(job: ProvisioningJob): Item {
  return {
    ...jobKey(job.jobId),
    itemType: 'job',
    [CLUSTER_INDEX.partitionKey]: `CLUSTER#${job.clusterId}`,
    [CLUSTER_INDEX.sortKey]: `JOB#${job.startedAt}#${job.jobId}`,
    // Jobs not yet handed to the workflow sit in this partition for the reconciler to re-drive.
    ...(job.status === 'PENDING' ? { [IN_FLIGHT_INDEX.partitionKey]: JOBS_IN_FLIGHT.PENDING, [IN_FLIGHT_INDEX.sortKey]: inFlightSortKey(job) } : {}),
    ...job,
  };
}

/** A new job, as one item of the transaction that accepts it. */
export function putJobItem(tables: Tables, job: ProvisioningJob): TransactItem {
  return { Put: { TableName: tables.stateTable, Item: jobItem(job), ConditionExpression: 'attribute_not_exists(pk)' } };
}

export async function getJob(tables: Tables, jobId: string): Promise<ProvisioningJob | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: jobKey(jobId), ConsistentRead: true }));
  return Item ? withoutKeys<ProvisioningJob>(Item) : undefined;
}

/** Moves a job to RUNNING (and into the running partition); false when it had already left PENDING. */
export async function markJobRunning(tables: Tables, job: ProvisioningJob): Promise<boolean> {
  const from = statusIn(jobStatusesLeadingTo('RUNNING'));
  return updateIf(tables, {
    Key: jobKey(job.jobId),
    UpdateExpression: 'SET #status = :running, #inFlight = :partition, #inFlightSort = :sort',
    ConditionExpression: from.expression,
    ExpressionAttributeNames: { '#status': 'status', '#inFlight': IN_FLIGHT_INDEX.partitionKey, '#inFlightSort': IN_FLIGHT_INDEX.sortKey },
    ExpressionAttributeValues: { ':running': 'RUNNING', ':partition': JOBS_IN_FLIGHT.RUNNING, ':sort': inFlightSortKey(job), ...from.values },
  });
}

/** Ends a job (it leaves the jobs-in-flight index), only along an edge of the transition table. */
export function finishJobItem(
  tables: Tables,
  job: Pick<ProvisioningJob, 'jobId'>,
  status: 'SUCCEEDED' | 'FAILED',
  now: string,
  errorDetails?: ErrorDetails,
): TransactItem {
  const from = statusIn(jobStatusesLeadingTo(status));
  return {
    Update: {
      TableName: tables.stateTable,
      Key: jobKey(job.jobId),
      UpdateExpression: `SET #status = :status, completedAt = :now${errorDetails ? ', errorDetails = :details' : ''} REMOVE #inFlight, #inFlightSort`,
      ConditionExpression: from.expression,
      ExpressionAttributeNames: { '#status': 'status', '#inFlight': IN_FLIGHT_INDEX.partitionKey, '#inFlightSort': IN_FLIGHT_INDEX.sortKey },
      ExpressionAttributeValues: { ':status': status, ':now': now, ...from.values, ...(errorDetails ? { ':details': errorDetails } : {}) },
    },
  };
}

/** The jobs of one partition of the jobs-in-flight index accepted before `before`, oldest first. */
export async function jobsInFlightSince(tables: Tables, status: InFlightStatus, before: Date): Promise<ProvisioningJob[]> {
  const items = await queryAll(tables, {
    IndexName: IN_FLIGHT_INDEX.name,
    KeyConditionExpression: '#pk = :partition AND #sk < :before',
    ExpressionAttributeNames: { '#pk': IN_FLIGHT_INDEX.partitionKey, '#sk': IN_FLIGHT_INDEX.sortKey },
    // `~` sorts after every job id, so jobs accepted in the very millisecond of `before` are included.
    ExpressionAttributeValues: { ':partition': JOBS_IN_FLIGHT[status], ':before': `${before.toISOString()}#~` },
  });
  return items.map((item) => withoutKeys<ProvisioningJob>(item));
}
