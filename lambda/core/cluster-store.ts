import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Cluster as ClusterSchema, type Cluster, type ClusterStatus, type ListClustersQuery, type ProvisioningJob } from '../../lib/contract/api';
import type { EngineConfig } from '../../lib/contract/platform-names';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import type { SpecLocation } from '../../lib/contract/workflow';
import { nthTenantCidr } from './cidr-allocation';
import { equalityFilters, queryAll, queryPage, statusIn, updateIf, withoutKeys, type Item, type Page, type Tables, type TransactItem } from './tables';
import { clusterStatusesLeadingTo, STATUS_WHILE_RUNNING } from './transitions';

/**
 * Clusters in the state table: `CLUSTER#<clusterId>` / `CLUSTER`, listed by team in gsi1 (key
 * design in lib/contract/tables.ts); the cluster's events and datasources share its partition.
 */

const [TEAM_INDEX, , FLEET_INDEX] = STATE_TABLE_KEYS.indexes;

/** The fleet index's one partition: every cluster of every team (see ./fleet-selection.ts). */
export const FLEET_PARTITION = 'FLEET';

/** A cluster's keys in the fleet index: by environment, then creation. */
export const fleetIndexKeys = (cluster: Pick<Cluster, 'clusterId' | 'environment' | 'createdAt'>) => ({
  [FLEET_INDEX.partitionKey]: FLEET_PARTITION,
  [FLEET_INDEX.sortKey]: `${cluster.environment}#${cluster.createdAt}#${cluster.clusterId}`,
});

/** The partition of a cluster, its events and its datasources. */
export const clusterPartition = (clusterId: string) => `CLUSTER#${clusterId}`;
export const clusterKey = (clusterId: string) => ({ pk: clusterPartition(clusterId), sk: 'CLUSTER' });
const teamClusters = (teamId: string) => `TEAM#${teamId}`;

/** The whole cluster item: the API's fields plus what the workflow keeps on it (engine pins, spec location). */
export type ClusterRecord = Cluster & {
  enginePins?: EngineConfig;
  specUri?: string;
  specVersion?: string;
  ingestTokenDigests?: string[];
  /** The version of SICI's source (package.json) of the cluster's last successful deploy. */
  sourceVersion?: string;
};

/** What a job may change on its cluster when it starts (the new tier of an UPDATE; the engine pins an upgrade moves it to). */
export type ClusterChanges = Partial<Pick<ClusterRecord, 'tier' | 'enginePins'>>;

/** A new cluster, as one item of the transaction that creates it with its CREATE job. */
export function putClusterItem(tables: Tables, cluster: Cluster): TransactItem {
  const item: Item = {
    ...clusterKey(cluster.clusterId),
    itemType: 'cluster',
    [TEAM_INDEX.partitionKey]: teamClusters(cluster.teamId),
    [TEAM_INDEX.sortKey]: `CLUSTER#${cluster.createdAt}#${cluster.clusterId}`,
    ...fleetIndexKeys(cluster),
    ...cluster,
  };
  return { Put: { TableName: tables.stateTable, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
}

/**
 * A job takes its cluster: the cluster moves to the job's running status only from a status the
 * transition table allows and only while no other job is in flight. `changes` are set in the same
 * write; `from` narrows the statuses it may start from (datasource jobs need an ACTIVE cluster).
 */
export function holdClusterItem(
  tables: Tables,
  cluster: Pick<Cluster, 'clusterId'>,
  job: ProvisioningJob,
  changes: ClusterChanges = {},
  from: readonly ClusterStatus[] = clusterStatusesLeadingTo(STATUS_WHILE_RUNNING[job.operationType]),
): TransactItem {
  const allowed = statusIn(from);
  const changed = Object.entries(changes);
  return {
    Update: {
      TableName: tables.stateTable,
      Key: clusterKey(cluster.clusterId),
      UpdateExpression: `SET #status = :target, activeJobId = :job, updatedAt = :now${changed.map(([name]) => `, #${name} = :${name}`).join('')}`,
      ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(activeJobId) AND ${allowed.expression}`,
      ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(changed.map(([name]) => [`#${name}`, name])) },
      ExpressionAttributeValues: {
        ':target': STATUS_WHILE_RUNNING[job.operationType],
        ':job': job.jobId,
        ':now': job.startedAt,
        ...allowed.values,
        ...Object.fromEntries(changed.map(([name, value]) => [`:${name}`, value])),
      },
    },
  };
}

/** The job that holds a cluster lets it go, moving it to `target` along an edge of the transition table. */
export function releaseClusterItem(tables: Tables, clusterId: string, job: Pick<ProvisioningJob, 'jobId'>, target: ClusterStatus, now: string): TransactItem {
  const allowed = statusIn(clusterStatusesLeadingTo(target));
  return {
    Update: {
      TableName: tables.stateTable,
      Key: clusterKey(clusterId),
      UpdateExpression: 'SET #status = :target, updatedAt = :now REMOVE activeJobId',
      ConditionExpression: `activeJobId = :job AND ${allowed.expression}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':target': target, ':now': now, ':job': job.jobId, ...allowed.values },
    },
  };
}

const CLUSTER_FIELDS = Object.keys(ClusterSchema.shape);

/** A cluster item as the API shows it: the fields of the Cluster document and nothing the platform keeps beside them. */
export const toCluster = (item: Item): Cluster =>
  Object.fromEntries(Object.entries(item).filter(([name]) => CLUSTER_FIELDS.includes(name))) as Cluster;

export async function getClusterRecord(tables: Tables, clusterId: string): Promise<ClusterRecord | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: clusterKey(clusterId), ConsistentRead: true }));
  return Item ? withoutKeys<ClusterRecord>(Item) : undefined;
}

export async function getCluster(tables: Tables, clusterId: string): Promise<Cluster | undefined> {
  const record = await getClusterRecord(tables, clusterId);
  return record ? toCluster(record) : undefined;
}

export function listClustersOfTeam(tables: Tables, teamId: string, query: ListClustersQuery): Promise<Page<Cluster>> {
  const filters = equalityFilters(query, ['status', 'environment']);
  return queryPage(
    tables,
    {
      partition: { name: TEAM_INDEX.partitionKey, value: teamClusters(teamId) },
      IndexName: TEAM_INDEX.name,
      KeyConditionExpression: '#pk = :team AND begins_with(#sk, :prefix)',
      ...(filters.clauses.length ? { FilterExpression: filters.clauses.join(' AND ') } : {}),
      ExpressionAttributeNames: { '#pk': TEAM_INDEX.partitionKey, '#sk': TEAM_INDEX.sortKey, ...filters.names },
      ExpressionAttributeValues: { ':team': teamClusters(teamId), ':prefix': 'CLUSTER#', ...filters.values },
      ScanIndexForward: false,
    },
    query,
    toCluster,
  );
}

/** Every cluster of a team that is not DELETED (a team has at most its quota of them). */
export async function liveClustersOfTeam(tables: Tables, teamId: string): Promise<Cluster[]> {
  const items = await queryAll(tables, {
    IndexName: TEAM_INDEX.name,
    KeyConditionExpression: '#pk = :team AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': TEAM_INDEX.partitionKey, '#sk': TEAM_INDEX.sortKey },
    ExpressionAttributeValues: { ':team': teamClusters(teamId), ':prefix': 'CLUSTER#' },
  });
  return items.map(toCluster).filter((cluster) => cluster.status !== 'DELETED');
}

/**
 * The cluster's VPC CIDR, allocated once: the next block of the environment's counter, kept on the
 * cluster. A retry that finds a CIDR allocated by an earlier attempt keeps that one (the counter's
 * extra block is never reused: see ./cidr-allocation.ts).
 */
export async function allocateVpcCidr(tables: Tables, cluster: Pick<Cluster, 'clusterId' | 'environment'>, pool: string): Promise<string> {
  const { Attributes } = await tables.doc.send(
    new UpdateCommand({
      TableName: tables.stateTable,
      Key: { pk: `CIDR#${cluster.environment}`, sk: 'COUNTER' },
      UpdateExpression: 'ADD allocated :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const candidate = nthTenantCidr(pool, (Attributes!.allocated as number) - 1);
  const kept = await updateIf(tables, {
    Key: clusterKey(cluster.clusterId),
    UpdateExpression: 'SET vpcCidr = :cidr',
    ConditionExpression: 'attribute_not_exists(vpcCidr)',
    ExpressionAttributeValues: { ':cidr': candidate },
  });
  return kept ? candidate : (await getClusterRecord(tables, cluster.clusterId))!.vpcCidr!;
}

/** Where the cluster's newest TenantSpec is; the engine pins are kept from the first spec on (until an upgrade moves them). */
export async function recordTenantSpec(tables: Tables, clusterId: string, location: SpecLocation, engine: EngineConfig): Promise<void> {
  await tables.doc.send(
    new UpdateCommand({
      TableName: tables.stateTable,
      Key: clusterKey(clusterId),
      UpdateExpression: 'SET specUri = :uri, specVersion = :version, enginePins = if_not_exists(enginePins, :engine)',
      ExpressionAttributeValues: { ':uri': location.uri, ':version': location.version, ':engine': engine },
    }),
  );
}

/** What the deployed stack reports; a field it no longer reports is removed rather than kept stale. */
export type DeployedFields = Pick<Cluster, 'endpoint'> & Partial<Pick<ClusterRecord, 'vpcId' | 'eksClusterArn' | 'iamRoleArn' | 'sourceVersion'>>;

export async function recordDeployment(tables: Tables, clusterId: string, fields: DeployedFields): Promise<void> {
  const known = Object.entries(fields).filter(([, value]) => value !== undefined);
  const unknown = Object.entries(fields).filter(([, value]) => value === undefined);
  await tables.doc.send(
    new UpdateCommand({
      TableName: tables.stateTable,
      Key: clusterKey(clusterId),
      UpdateExpression: `SET ${known.map(([name]) => `${name} = :${name}`).join(', ')}${unknown.length ? ` REMOVE ${unknown.map(([name]) => name).join(', ')}` : ''}`,
      ExpressionAttributeValues: Object.fromEntries(known.map(([name, value]) => [`:${name}`, value])),
    }),
  );
}
