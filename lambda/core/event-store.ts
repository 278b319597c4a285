import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ClusterEvent, ClusterStatus, ProvisioningJob } from '../../lib/contract/api';
import { clusterPartition } from './cluster-store';
import { queryPage, withoutKeys, type Item, type Page, type PageRequest, type Tables, type TransactItem } from './tables';

/** A cluster's events in the state table: `CLUSTER#<clusterId>` / `EVENT#<time>#<random>`, oldest first. */

const SORT_PREFIX = 'EVENT#';

function eventItem(event: ClusterEvent): Item {
  return { pk: clusterPartition(event.clusterId), sk: `${SORT_PREFIX}${event.time}#${randomBytes(4).toString('hex')}`, itemType: 'event', ...event };
}

/** An event as one item of the transaction that makes the change it reports. */
export function putEventItem(tables: Tables, event: ClusterEvent): TransactItem {
  return { Put: { TableName: tables.stateTable, Item: eventItem(event), ConditionExpression: 'attribute_not_exists(pk)' } };
}

/** Records a cluster event on its own (progress, not a state change). */
export async function recordEvent(
  deps: { readonly tables: Tables; readonly now: () => Date },
  job: Pick<ProvisioningJob, 'clusterId' | 'jobId'>,
  type: string,
  message: string,
): Promise<void> {
  const event: ClusterEvent = { clusterId: job.clusterId, time: deps.now().toISOString(), type, message, jobId: job.jobId };
  await deps.tables.doc.send(new PutCommand({ TableName: deps.tables.stateTable, Item: eventItem(event) }));
}

export function listClusterEvents(tables: Tables, clusterId: string, page: PageRequest): Promise<Page<ClusterEvent>> {
  const partition = clusterPartition(clusterId);
  return queryPage(
    tables,
    {
      partition: { name: 'pk', value: partition },
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': partition, ':prefix': SORT_PREFIX },
      ConsistentRead: true,
    },
    page,
    (item) => withoutKeys<ClusterEvent>(item),
  );
}

const ACCEPTED_EVENT_TYPE = 'JOB_ACCEPTED';

export function jobAcceptedEvent(job: ProvisioningJob, status: ClusterStatus, message?: string): ClusterEvent {
  return {
    clusterId: job.clusterId,
    time: job.startedAt,
    type: ACCEPTED_EVENT_TYPE,
    message: message ?? `${job.operationType} job ${job.jobId} accepted; cluster is ${status}`,
    jobId: job.jobId,
    status,
  };
}
