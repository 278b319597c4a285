import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { EngineConfig } from '../../lib/contract/platform-names';
import { Cluster as ClusterSchema, type Cluster, type ClusterEvent, type ClusterStatus, type ListClustersQuery, type OperationType, type ProvisioningJob } from '../../lib/contract/api';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import { clusterStatusesLeadingTo, STATUS_WHILE_RUNNING } from './transitions';
import { queryPage, withoutKeys, type Item, type Page, type Tables, type TransactItem } from './state-store';
import { teamKey } from './callers';

/** Clusters, their jobs and their events in the state table (key design in ./tables.ts). */

const [GSI1] = STATE_TABLE_KEYS.indexes;

export const clusterKey = (clusterId: string) => ({ pk: `CLUSTER#${clusterId}`, sk: 'CLUSTER' });
export const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'JOB' });
export const PENDING_JOBS_PARTITION = 'PENDING';

export function clusterItem(cluster: Cluster): Item {
  return {
    ...clusterKey(cluster.clusterId),
    itemType: 'cluster',
    gsi1pk: `TEAM#${cluster.teamId}`,
    gsi1sk: `CLUSTER#${cluster.createdAt}#${cluster.clusterId}`,
    ...cluster,
  };
}

export function jobItem(job: ProvisioningJob): Item {
  return {
    ...jobKey(job.jobId),
    itemType: 'job',
    gsi1pk: `CLUSTER#${job.clusterId}`,
    gsi1sk: `JOB#${job.startedAt}#${job.jobId}`,
    // Jobs not yet handed to the workflow sit in this index for the reconciler to re-drive.
    ...(job.status === 'PENDING' ? { gsi2pk: PENDING_JOBS_PARTITION, gsi2sk: `${job.startedAt}#${job.jobId}` } : {}),
    ...job,
  };
}

export function eventItem(event: ClusterEvent): Item {
  return {
    pk: `CLUSTER#${event.clusterId}`,
    sk: `EVENT#${event.time}#${randomBytes(4).toString('hex')}`,
    itemType: 'event',
    ...event,
  };
}

const put = (tables: Tables, item: Item): TransactItem => ({
  Put: { TableName: tables.stateTable, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
});

/** Items that create a cluster with its CREATE job and first event, taking one unit of the team's quota. */
export function createClusterItems(tables: Tables, cluster: Cluster, job: ProvisioningJob, event: ClusterEvent): TransactItem[] {
  return [
    {
      Update: {
        TableName: tables.stateTable,
        Key: teamKey(cluster.teamId),
        UpdateExpression: 'SET clusterCount = clusterCount + :one',
        ConditionExpression: 'attribute_exists(pk) AND clusterCount < entitlements.maxClusters',
        ExpressionAttributeValues: { ':one': 1 },
      },
    },
    put(tables, clusterItem(cluster)),
    put(tables, jobItem(job)),
    put(tables, eventItem(event)),
  ];
}

/**
 * Items that start a job on an existing cluster: the cluster moves to the job's running status
 * only from a status the transition table allows and only while no other job is in flight.
 * `changes` are set on the cluster in the same write (e.g. the new tier of an UPDATE); `from`
 * narrows the statuses it may start from (datasource jobs need an ACTIVE cluster).
 */
export function startJobItems(
  tables: Tables,
  cluster: Cluster,
  job: ProvisioningJob,
  event: ClusterEvent,
  changes: Partial<Pick<Cluster, 'tier'>> = {},
  from: readonly ClusterStatus[] = clusterStatusesLeadingTo(STATUS_WHILE_RUNNING[job.operationType]),
): TransactItem[] {
  const target = STATUS_WHILE_RUNNING[job.operationType];
  const fromValues = Object.fromEntries(from.map((status, i) => [`:from${i}`, status]));
  return [
    {
      Update: {
        TableName: tables.stateTable,
        Key: clusterKey(cluster.clusterId),
        UpdateExpression: `SET #status = :target, activeJobId = :job, updatedAt = :now${Object.keys(changes).map((name) => `, #${name} = :${name}`).join('')}`,
        ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(activeJobId) AND #status IN (${Object.keys(fromValues).join(', ')})`,
        ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(Object.keys(changes).map((name) => [`#${name}`, name])) },
        ExpressionAttributeValues: {
          ':target': target,
          ':job': job.jobId,
          ':now': job.startedAt,
          ...fromValues,
          ...Object.fromEntries(Object.entries(changes).map(([name, value]) => [`:${name}`, value])),
        },
      },
    },
    put(tables, jobItem(job)),
    put(tables, eventItem(event)),
  ];
}

const CLUSTER_FIELDS = Object.keys(ClusterSchema.shape);

/** A cluster item as the API shows it: the fields of the Cluster document and nothing the platform keeps beside them. */
export const toCluster = (item: Item): Cluster =>
  Object.fromEntries(Object.entries(item).filter(([name]) => CLUSTER_FIELDS.includes(name))) as Cluster;

/** The whole cluster item: the API's fields plus what the workflow keeps on it (engine pins, spec location). */
export type ClusterRecord = Cluster & { enginePins?: EngineConfig; specUri?: string; specVersion?: string };

export async function getClusterRecord(tables: Tables, clusterId: string): Promise<ClusterRecord | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: clusterKey(clusterId), ConsistentRead: true }));
  return Item ? withoutKeys<ClusterRecord>(Item) : undefined;
}

export async function getCluster(tables: Tables, clusterId: string): Promise<Cluster | undefined> {
  const record = await getClusterRecord(tables, clusterId);
  return record ? toCluster(record) : undefined;
}

export async function getJob(tables: Tables, jobId: string): Promise<ProvisioningJob | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: jobKey(jobId), ConsistentRead: true }));
  return Item ? withoutKeys<ProvisioningJob>(Item) : undefined;
}

export function listClustersOfTeam(tables: Tables, teamId: string, query: ListClustersQuery): Promise<Page<Cluster>> {
  const filters: string[] = [];
  const names: Record<string, string> = { '#pk': GSI1.partitionKey, '#sk': GSI1.sortKey };
  const values: Record<string, unknown> = { ':team': `TEAM#${teamId}`, ':prefix': 'CLUSTER#' };
  if (query.status) {
    filters.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = query.status;
  }
  if (query.environment) {
    filters.push('#environment = :environment');
    names['#environment'] = 'environment';
    values[':environment'] = query.environment;
  }
  return queryPage(
    tables,
    {
      partition: { name: GSI1.partitionKey, value: `TEAM#${teamId}` },
      IndexName: GSI1.name,
      KeyConditionExpression: '#pk = :team AND begins_with(#sk, :prefix)',
      ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
    },
    query,
    toCluster,
  );
}

export function listClusterEvents(tables: Tables, clusterId: string, page: { limit: number; nextToken?: string }): Promise<Page<ClusterEvent>> {
  return queryPage(
    tables,
    {
      partition: { name: 'pk', value: `CLUSTER#${clusterId}` },
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `CLUSTER#${clusterId}`, ':prefix': 'EVENT#' },
      ConsistentRead: true,
    },
    page,
    (item) => withoutKeys<ClusterEvent>(item),
  );
}

export function newJob(cluster: Pick<Cluster, 'clusterId' | 'teamId'>, jobId: string, operationType: OperationType, now: string): ProvisioningJob {
  return { jobId, clusterId: cluster.clusterId, teamId: cluster.teamId, operationType, status: 'PENDING', startedAt: now };
}

export const ACCEPTED_EVENT_TYPE = 'JOB_ACCEPTED';

export function jobAcceptedEvent(job: ProvisioningJob, status: ClusterStatus): ClusterEvent {
  return {
    clusterId: job.clusterId,
    time: job.startedAt,
    type: ACCEPTED_EVENT_TYPE,
    message: `${job.operationType} job ${job.jobId} accepted; cluster is ${status}`,
    jobId: job.jobId,
    status,
  };
}
