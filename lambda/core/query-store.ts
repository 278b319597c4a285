import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ListQueriesQuery } from '../../lib/contract/routes';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import type { QueryRecord } from '../../lib/contract/usage';
import { equalityFilters, queryPage, transact, TransactionConflict, withoutKeys, type Page, type Tables } from './tables';
import { hourOf } from './usage-hours';
import { countQueryItem, type QueryUsage } from './usage-store';

/**
 * Query records in the state table: `QUERY#<clusterId>#<queryId>` / `QUERY`, one partition each,
 * listed newest first by cluster in gsi1 (`QUERIES#<clusterId>` / `<endTime>#<queryId>`), expired by
 * DynamoDB's TTL (key design in lib/contract/tables.ts).
 */

const [HISTORY_INDEX] = STATE_TABLE_KEYS.indexes;
const { ttlAttribute } = STATE_TABLE_KEYS;

const queryKey = (clusterId: string, queryId: string) => ({ pk: `QUERY#${clusterId}#${queryId}`, sk: 'QUERY' });
const historyPartition = (clusterId: string) => `QUERIES#${clusterId}`;

/** Transactions lost to a concurrent one on the same items (the same query posted twice at once) are tried again this often. */
const CONFLICT_RETRIES = 3;

/**
 * Records a completed query and counts it in the usage window of the hour it ended in, together or
 * not at all. Resolves false when the query was recorded before (a replay): nothing is counted again.
 */
export async function recordQuery(
  tables: Tables,
  record: QueryRecord,
  options: { expiresAt: number; usage: QueryUsage; priceVersion: string },
): Promise<boolean> {
  const items = [
    {
      Put: {
        TableName: tables.stateTable,
        Item: {
          ...queryKey(record.clusterId, record.queryId),
          itemType: 'query',
          [HISTORY_INDEX.partitionKey]: historyPartition(record.clusterId),
          [HISTORY_INDEX.sortKey]: `${record.endTime}#${record.queryId}`,
          [ttlAttribute]: options.expiresAt,
          ...record,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    countQueryItem(tables, { clusterId: record.clusterId, teamId: record.teamId, hour: hourOf(record.endTime) }, options.usage, options.priceVersion),
  ];
  for (let attempt = 0; ; attempt++) {
    try {
      await transact(tables, items);
      return true;
    } catch (error) {
      if (error instanceof TransactionConflict && error.failedIndexes.includes(0)) return false;
      if (!lostToConcurrentTransaction(error) || attempt === CONFLICT_RETRIES) throw error;
    }
  }
}

function lostToConcurrentTransaction(error: unknown): boolean {
  const { name, CancellationReasons } = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  return name === 'TransactionCanceledException' && (CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict');
}

const nowSeconds = (now: Date) => Math.floor(now.getTime() / 1000);

/** One query record of the cluster, unless it has expired (DynamoDB removes expired items within days, not at once). */
export async function getQueryRecord(tables: Tables, clusterId: string, queryId: string, now: Date): Promise<QueryRecord | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: queryKey(clusterId, queryId) }));
  if (!Item || (Item[ttlAttribute] as number) <= nowSeconds(now)) return undefined;
  return withoutKeys<QueryRecord>(Item);
}

/** A page of the cluster's query records, newest first: a key-condition Query on the end time, filtered by user and state. */
export function listQueryRecords(tables: Tables, clusterId: string, query: ListQueriesQuery, now: Date): Promise<Page<QueryRecord>> {
  const names: Record<string, string> = { '#pk': HISTORY_INDEX.partitionKey, '#expires': ttlAttribute };
  const values: Record<string, unknown> = { ':pk': historyPartition(clusterId), ':now': nowSeconds(now) };
  // Sort keys are `<endTime>#<queryId>` with the end time in fixed-width ISO 8601: a key is at or
  // after `from` exactly when its query ended at or after it, and before `to` likewise.
  let range = '';
  if (query.from) values[':from'] = new Date(query.from).toISOString();
  if (query.to) values[':to'] = new Date(query.to).toISOString();
  if (query.from && query.to) range = ' AND #sk BETWEEN :from AND :to';
  else if (query.from) range = ' AND #sk >= :from';
  else if (query.to) range = ' AND #sk < :to';
  if (range) names['#sk'] = HISTORY_INDEX.sortKey;
  const equal = equalityFilters(query, ['user', 'state']);
  const filters = ['#expires > :now', ...equal.clauses];
  Object.assign(names, equal.names);
  Object.assign(values, equal.values);
  return queryPage(
    tables,
    {
      partition: { name: HISTORY_INDEX.partitionKey, value: historyPartition(clusterId) },
      IndexName: HISTORY_INDEX.name,
      KeyConditionExpression: `#pk = :pk${range}`,
      FilterExpression: filters.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
    },
    query,
    (item) => withoutKeys<QueryRecord>(item),
  );
}

/** When the cluster's newest recorded query ended (one item of the history index), or undefined if it has none. */
export async function lastQueryEndTime(tables: Tables, clusterId: string): Promise<string | undefined> {
  const { Items } = await tables.doc.send(
    new QueryCommand({
      TableName: tables.stateTable,
      IndexName: HISTORY_INDEX.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': HISTORY_INDEX.partitionKey },
      ExpressionAttributeValues: { ':pk': historyPartition(clusterId) },
      ScanIndexForward: false,
      Limit: 1,
    }),
  );
  return Items?.[0]?.endTime as string | undefined;
}
