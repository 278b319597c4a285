import type { QueryRecord } from '../../lib/contract/usage';
import type { ClusterCaller } from '../core/callers';
import { recordPriceTable } from '../core/price-tables';
import { queryRecordExpiry, queryRecordOf, queryUsageOf } from '../core/query-records';
import { recordQuery } from '../core/query-store';
import type { OperationContext, OperationResult, Operations } from './operation';

/** Where the ingest route reports each counted query (CloudWatch metrics in AWS, see ./query-metrics.ts). */
export interface QueryMetrics {
  queryCounted(cluster: ClusterCaller, record: QueryRecord): void;
}

/**
 * The ingest route: a cluster's engine reports a completed query. The router has authenticated the
 * cluster by its token; the record and its hour's usage are written for that cluster, together or
 * not at all, and a replay of a query already recorded changes nothing (202 with `counted: false`).
 */
export function ingestOperations(metrics?: QueryMetrics): Operations<'ingestQueryEvent'> {
  async function ingestQueryEvent(context: OperationContext<'ingestQueryEvent'>): Promise<OperationResult<'ingestQueryEvent'>> {
    const { deps, caller, body } = context;
    const record = queryRecordOf(body, caller);
    const counted = await recordQuery(deps.tables, record, {
      expiresAt: queryRecordExpiry(record, deps.config.queryRecordRetentionDays),
      usage: queryUsageOf(record),
      priceVersion: await recordPriceTable(deps.tables, deps.config.prices),
    });
    if (counted) metrics?.queryCounted(caller, record);
    return { status: 202, body: { queryId: record.queryId, counted } };
  }
  return { ingestQueryEvent };
}
