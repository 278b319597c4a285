import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Datasource, DatasourceStatus, ListDatasourcesQuery } from '../../lib/contract/api';
import type { TenantDatasource } from '../../lib/contract/tenant-spec';
import { clusterPartition } from './cluster-store';
import { queryAll, queryPage, statusIn, withoutKeys, type Item, type Page, type Tables, type TransactItem } from './tables';
import { datasourceStatusesLeadingTo } from './transitions';

/** A cluster's datasources in the state table: `CLUSTER#<clusterId>` / `DATASOURCE#<datasourceId>` (see lib/contract/tables.ts). */

const SORT_PREFIX = 'DATASOURCE#';

export const datasourceKey = (clusterId: string, datasourceId: string) => ({ pk: clusterPartition(clusterId), sk: `${SORT_PREFIX}${datasourceId}` });

/** A datasource as stored: the API document without its links, which follow from its ids. */
export type DatasourceRecord = Omit<Datasource, 'links'>;

/** Datasources that are, or are about to be, part of the cluster's TenantSpec. */
export const DEPLOYED_DATASOURCE_STATUSES: readonly DatasourceStatus[] = ['PENDING', 'ACTIVE'];
/** Datasources that hold their bucket and prefixes on the cluster (a new one may not overlap them). */
export const LIVE_DATASOURCE_STATUSES: readonly DatasourceStatus[] = ['PENDING', 'ACTIVE', 'DELETING'];

/** A new datasource, as one item of the transaction that starts its ADD_DATASOURCE job. */
export function putDatasourceItem(tables: Tables, ds: DatasourceRecord): TransactItem {
  const item: Item = { ...datasourceKey(ds.clusterId, ds.datasourceId), itemType: 'datasource', ...ds };
  return { Put: { TableName: tables.stateTable, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
}

/** The API document of a stored datasource: the record and its links. */
export function datasourceDocument(record: DatasourceRecord): Datasource {
  return { ...record, links: { setup: `/clusters/${record.clusterId}/datasources/${record.datasourceId}/setup` } };
}

export const toDatasource = (item: Item): Datasource => datasourceDocument(withoutKeys<DatasourceRecord>(item));

export async function getDatasource(tables: Tables, clusterId: string, datasourceId: string): Promise<Datasource | undefined> {
  const { Item } = await tables.doc.send(
    new GetCommand({ TableName: tables.stateTable, Key: datasourceKey(clusterId, datasourceId), ConsistentRead: true }),
  );
  return Item ? toDatasource(Item) : undefined;
}

export function listDatasources(tables: Tables, clusterId: string, query: ListDatasourcesQuery): Promise<Page<Datasource>> {
  return queryPage(
    tables,
    {
      partition: { name: 'pk', value: clusterPartition(clusterId) },
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ...(query.status ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } } : {}),
      ExpressionAttributeValues: { ':pk': clusterPartition(clusterId), ':prefix': SORT_PREFIX, ...(query.status ? { ':status': query.status } : {}) },
      ConsistentRead: true,
    },
    query,
    toDatasource,
  );
}

/** Every datasource of a cluster in the given statuses (a cluster has few: at most 20 are live at a time). */
export async function datasourcesOfCluster(tables: Tables, clusterId: string, statuses: readonly DatasourceStatus[]): Promise<Datasource[]> {
  const items = await queryAll(tables, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': clusterPartition(clusterId), ':prefix': SORT_PREFIX },
    ConsistentRead: true,
  });
  return items.map(toDatasource).filter((ds) => statuses.includes(ds.status));
}

/** The TenantSpec's view of a datasource: what the engine and the Starburst role are generated from. */
export function toTenantDatasource(ds: DatasourceRecord): TenantDatasource {
  return {
    id: ds.datasourceId,
    type: ds.type,
    externalAccountId: ds.externalAccountId,
    roleArn: ds.roleArn,
    externalId: ds.externalId,
    bucketArn: ds.bucketArn,
    prefixes: ds.prefixes,
    region: ds.region,
    accessMode: ds.accessMode,
  };
}

/**
 * Moves a datasource to `target`, only along an edge of the transition table, and only while job
 * `jobId` holds it; with `claim`, only while no job holds it, and then `jobId` takes it; with
 * `unheld`, only while no job holds it (a datasource that goes with its cluster).
 */
export function moveDatasource(
  tables: Tables,
  ds: Pick<DatasourceRecord, 'clusterId' | 'datasourceId'>,
  target: DatasourceStatus,
  options: { jobId: string; now: string; claim?: boolean; unheld?: boolean; reason?: string },
): TransactItem {
  const from = statusIn(datasourceStatusesLeadingTo(target));
  const holder = options.claim || options.unheld ? 'attribute_not_exists(activeJobId)' : 'activeJobId = :job';
  const set = ['#status = :target', 'updatedAt = :now', ...(options.claim ? ['activeJobId = :job'] : []), ...(options.reason ? ['statusReason = :reason'] : [])];
  const remove = [
    ...(options.claim || options.unheld || target === 'PENDING' || target === 'DELETING' ? [] : ['activeJobId']),
    ...(options.reason || target === 'FAILED' ? [] : ['statusReason']),
  ];
  return {
    Update: {
      TableName: tables.stateTable,
      Key: datasourceKey(ds.clusterId, ds.datasourceId),
      UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ConditionExpression: `attribute_exists(pk) AND ${holder} AND ${from.expression}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':target': target,
        ':now': options.now,
        ...(options.claim || !options.unheld ? { ':job': options.jobId } : {}),
        ...from.values,
        ...(options.reason ? { ':reason': options.reason } : {}),
      },
    },
  };
}
