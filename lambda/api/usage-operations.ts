import pLimit from 'p-limit';
import { chargebackOf } from '../core/chargeback';
import { everyCluster } from '../core/every-cluster';
import { priceTables } from '../core/price-tables';
import { notFound } from '../core/problems';
import { getQueryRecord, listQueryRecords } from '../core/query-store';
import { hoursOfMonth } from '../core/usage-hours';
import { usageRange } from '../core/usage-range';
import { usageReport } from '../core/usage-report';
import { usageWindows, type UsageWindow } from '../core/usage-store';
import { chargebackCsv } from './chargeback-csv';
import { ownCluster } from './cluster-operations';
import type { OperationContext, OperationResult, Operations } from './operation';

/** Clusters whose windows a chargeback reads at once. */
const CHARGEBACK_READS_AT_ONCE = 8;

async function getClusterUsage(context: OperationContext<'getClusterUsage'>): Promise<OperationResult<'getClusterUsage'>> {
  const { deps, query } = context;
  const range = usageRange(query, deps.now());
  const cluster = await ownCluster(context);
  const windows = await usageWindows(deps.tables, cluster.clusterId, range.firstHour, range.lastHour);
  const prices = await priceTables(deps.tables, windows.map((window) => window.priceVersion));
  return { status: 200, body: usageReport(cluster.clusterId, { from: range.from, to: range.to, granularity: query.granularity }, windows, prices) };
}

async function listQueries(context: OperationContext<'listQueries'>): Promise<OperationResult<'listQueries'>> {
  const cluster = await ownCluster(context);
  return { status: 200, body: await listQueryRecords(context.deps.tables, cluster.clusterId, context.query, context.deps.now()) };
}

async function getQuery(context: OperationContext<'getQuery'>): Promise<OperationResult<'getQuery'>> {
  const cluster = await ownCluster(context);
  const record = await getQueryRecord(context.deps.tables, cluster.clusterId, context.params.queryId, context.deps.now());
  if (!record) throw notFound(`Query ${context.params.queryId} of cluster ${cluster.clusterId}`);
  return { status: 200, body: record };
}

/** Every team's charge for a month: the windows of every cluster (DELETED ones too) in the month. */
async function getChargeback(context: OperationContext<'getChargeback'>): Promise<OperationResult<'getChargeback'>> {
  const { tables } = context.deps;
  const { month } = context.query;
  const { first, last } = hoursOfMonth(month);
  const reads = pLimit(CHARGEBACK_READS_AT_ONCE);
  const windowsByCluster = new Map<string, UsageWindow[]>();
  await Promise.all(
    (await everyCluster(tables)).map((cluster) => reads(async () => windowsByCluster.set(cluster.clusterId, await usageWindows(tables, cluster.clusterId, first, last)))),
  );
  const prices = await priceTables(tables, [...windowsByCluster.values()].flat().map((window) => window.priceVersion));
  const chargeback = chargebackOf(month, windowsByCluster, prices);
  return { status: 200, body: chargeback, csv: chargebackCsv(chargeback) };
}

export const usageOperations: Operations<'getClusterUsage' | 'listQueries' | 'getQuery' | 'getChargeback'> = {
  getClusterUsage,
  listQueries,
  getQuery,
  getChargeback,
};
