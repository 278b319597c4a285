import type { QueryCompletedEvent } from '../../lib/contract/query-completed-event';
import { QUERY_TEXT_MAX_CHARACTERS, type QueryRecord } from '../../lib/contract/usage';
import { DAY_MS } from './usage-hours';
import type { QueryUsage } from './usage-store';

/**
 * What SICI keeps of a completed query: the record of who ran what, when, on which cluster (the
 * query-activity audit), and what it adds to its hour's usage. The cluster is the one whose ingest
 * token sent the event, never one the event names.
 */

/** The record of a completed query reported by `cluster`'s engine. */
export function queryRecordOf(event: QueryCompletedEvent, cluster: { clusterId: string; teamId: string }): QueryRecord {
  const { metadata, statistics, context, failureInfo } = event;
  const text = queryText(metadata.query);
  return {
    queryId: metadata.queryId,
    clusterId: cluster.clusterId,
    teamId: cluster.teamId,
    user: context.user,
    ...(context.principal !== undefined ? { principal: context.principal } : {}),
    ...(context.source !== undefined ? { source: context.source } : {}),
    ...(context.catalog !== undefined ? { catalog: context.catalog } : {}),
    ...(context.schema !== undefined ? { schema: context.schema } : {}),
    state: metadata.queryState,
    ...(failureInfo ? { error: { code: failureInfo.errorCode.name, type: failureInfo.errorCode.type } } : {}),
    createTime: utc(event.createTime),
    executionStartTime: utc(event.executionStartTime),
    endTime: utc(event.endTime),
    wallTimeMs: statistics.wallTime,
    queuedTimeMs: statistics.queuedTime,
    cpuTimeMs: statistics.cpuTime,
    peakMemoryBytes: statistics.peakUserMemoryBytes,
    physicalInputBytes: statistics.physicalInputBytes,
    physicalInputRows: statistics.physicalInputRows,
    outputBytes: statistics.outputBytes,
    query: text,
    queryTruncated: text.length < metadata.query.length,
  };
}

/** The first QUERY_TEXT_MAX_CHARACTERS characters (UTF-16 code units) of a query, never half of a surrogate pair. */
function queryText(query: string): string {
  if (query.length <= QUERY_TEXT_MAX_CHARACTERS) return query;
  const highSurrogate = /[\uD800-\uDBFF]/.test(query[QUERY_TEXT_MAX_CHARACTERS - 1]);
  return query.slice(0, highSurrogate ? QUERY_TEXT_MAX_CHARACTERS - 1 : QUERY_TEXT_MAX_CHARACTERS);
}

/** An instant as every SICI document writes it: ISO 8601, UTC, milliseconds. */
const utc = (instant: string) => new Date(instant).toISOString();

/** What the query adds to the usage window of the hour it ended in. */
export const queryUsageOf = (record: QueryRecord): QueryUsage => ({
  failed: record.state === 'FAILED',
  cpuMs: record.cpuTimeMs,
  scannedBytes: record.physicalInputBytes,
});

/** When DynamoDB expires the record (epoch seconds): `retentionDays` after the query ended. */
export const queryRecordExpiry = (record: QueryRecord, retentionDays: number): number => Math.floor((Date.parse(record.endTime) + retentionDays * DAY_MS) / 1000);
