import * as z from 'zod';
import { ClusterId, TeamId } from './ids';
import { InstanceTypeName } from './platform-names';

/**
 * The documents of usage, query history and billing: what a cluster used in each hour, the record
 * of each query it ran, and what each team is charged. One zod schema each, as in ./api.ts.
 */

const Timestamp = z.iso.datetime().meta({ description: 'UTC time, ISO 8601', example: '2026-11-22T08:00:00.000Z' });

// ---- Usage -----------------------------------------------------------------------------------

export const USAGE_GRANULARITIES = ['hour', 'day', 'month'] as const;
export const UsageGranularity = z.enum(USAGE_GRANULARITIES).meta({ id: 'UsageGranularity' });
export type UsageGranularity = z.infer<typeof UsageGranularity>;

/** The longest range a usage query may cover, in days, per granularity: 744 hourly, 400 daily or 36 monthly windows. */
export const MAX_USAGE_RANGE_DAYS: Readonly<Record<UsageGranularity, number>> = { hour: 31, day: 400, month: 3 * 366 };

export const UsageQuery = z.strictObject({
  from: Timestamp.optional().meta({ description: 'Start of the range (inclusive; default: 30 days before `to`); an hour counts when it starts in the range' }),
  to: Timestamp.optional().meta({ description: 'End of the range (exclusive; default: now)' }),
  granularity: UsageGranularity.default('day'),
});
export type UsageQuery = z.infer<typeof UsageQuery>;

/** The default range of a usage query: the 30 days before `to`. */
export const DEFAULT_USAGE_RANGE_DAYS = 30;

export const Money = z
  .strictObject({ currency: z.literal('USD'), amount: z.number().nonnegative().meta({ description: 'To the micro-dollar (6 decimals)' }) })
  .meta({ id: 'Money' });

/** What a cluster used in one time window, and its estimated cost (priced with the table in force when each hour was recorded). */
export const UsageRecord = z
  .strictObject({
    clusterId: ClusterId,
    timeWindow: z.strictObject({ start: Timestamp, end: Timestamp }),
    cpuUsage: z.strictObject({
      vcpuHours: z.number().nonnegative().meta({ description: "vCPU-hours of the cluster's nodes, from Container Insights" }),
      queryCpuSeconds: z.number().nonnegative().meta({ description: 'CPU time of its queries, from their completion events' }),
    }),
    memoryUsage: z.strictObject({ gibHours: z.number().nonnegative().meta({ description: 'GiB-hours of node memory in use, from Container Insights' }) }),
    nodeHours: z.record(InstanceTypeName, z.number().nonnegative()).meta({ description: 'Node-hours by EC2 instance type' }),
    clusterHours: z.number().nonnegative().meta({ description: 'Hours the cluster ran (its shared infrastructure is priced per hour)' }),
    queryCount: z.number().int().nonnegative(),
    failedQueryCount: z.number().int().nonnegative(),
    dataScanned: z.strictObject({ bytes: z.number().int().nonnegative() }),
    estimatedCost: Money,
  })
  .meta({ id: 'UsageRecord' });
export type UsageRecord = z.infer<typeof UsageRecord>;

export const UsageReport = z
  .strictObject({
    clusterId: ClusterId,
    from: Timestamp,
    to: Timestamp,
    granularity: UsageGranularity,
    windows: z.array(UsageRecord).meta({ description: 'One record per window with any usage, oldest first' }),
    totals: UsageRecord.meta({ description: 'The whole range as one window' }),
  })
  .meta({ id: 'UsageReport' });
export type UsageReport = z.infer<typeof UsageReport>;

// ---- Query history ---------------------------------------------------------------------------

export const QUERY_STATES = ['FINISHED', 'FAILED'] as const;
export const QueryState = z.enum(QUERY_STATES).meta({ id: 'QueryState' });

/** A Trino query id, e.g. `20261201_081500_00012_abcde`. */
export const QueryId = z.string().regex(/^[0-9]{8}_[0-9]{6}_[0-9]{5}_[a-z0-9]{5}$/, 'a Trino query id such as 20261201_081500_00012_abcde');

/** How much of a query's text a record keeps (a longer text is cut and flagged). */
export const QUERY_TEXT_MAX_CHARACTERS = 16_384;

export const QueryRecord = z
  .strictObject({
    queryId: QueryId,
    clusterId: ClusterId,
    teamId: TeamId,
    user: z.string().meta({ description: 'The signed-in user the query ran as' }),
    principal: z.string().optional().meta({ description: 'The authenticated principal, when it differs from the user' }),
    source: z.string().optional().meta({ description: 'The client, e.g. trino-cli or trino-jdbc' }),
    catalog: z.string().optional(),
    schema: z.string().optional(),
    state: QueryState,
    error: z.strictObject({ code: z.string(), type: z.string() }).optional().meta({ description: 'Why it FAILED: the error code name and type' }),
    createTime: Timestamp,
    executionStartTime: Timestamp.optional(),
    endTime: Timestamp,
    wallTimeMs: z.number().nonnegative(),
    queuedTimeMs: z.number().nonnegative(),
    cpuTimeMs: z.number().nonnegative(),
    peakMemoryBytes: z.number().int().nonnegative(),
    physicalInputBytes: z.number().int().nonnegative(),
    physicalInputRows: z.number().int().nonnegative(),
    outputBytes: z.number().int().nonnegative(),
    query: z.string().meta({ description: `The query text, cut at ${QUERY_TEXT_MAX_CHARACTERS} characters` }),
    queryTruncated: z.boolean(),
  })
  .meta({ id: 'QueryRecord' });
export type QueryRecord = z.infer<typeof QueryRecord>;

// ---- Chargeback ------------------------------------------------------------------------------

export const ChargebackQuery = z.strictObject({
  month: z
    .string()
    .regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, 'a month such as 2026-11')
    .meta({ description: 'The month to charge (UTC), YYYY-MM' }),
});

export const TeamCharge = z
  .strictObject({
    teamId: TeamId,
    clusters: z.number().int().nonnegative().meta({ description: 'Clusters with usage in the month' }),
    nodeHours: z.number().nonnegative(),
    queries: z.number().int().nonnegative(),
    dataScannedBytes: z.number().int().nonnegative(),
    cost: Money,
  })
  .meta({ id: 'TeamCharge' });

export const Chargeback = z
  .strictObject({
    month: z.string(),
    teams: z.array(TeamCharge),
    total: Money,
  })
  .meta({ id: 'Chargeback', description: 'What each team is charged for a month; CSV (RFC 4180, a header row) with Accept: text/csv' });
export type Chargeback = z.infer<typeof Chargeback>;

// ---- Metrics ---------------------------------------------------------------------------------

/**
 * The CloudWatch metrics SICI emits (embedded metric format) for each cluster: the ingest function
 * one data point per counted query, the node-usage collector one per cluster and hour (emitted again
 * when an hour is collected again: graph those with the Maximum statistic over one hour).
 */
export const USAGE_METRICS = {
  namespace: 'SICI/Usage',
  /** The one dimension set of every data point (no Powertools `service` dimension). */
  dimensions: ['Environment', 'TeamId', 'ClusterId'],
  ingest: {
    queries: 'Queries',
    failedQueries: 'FailedQueries',
    dataScanned: 'DataScannedBytes',
    cpuSeconds: 'QueryCpuSeconds',
    /** TiB scanned × the scannedTiB price in force (USD). */
    estimatedScanCost: 'EstimatedScanCostUSD',
  },
  collector: {
    nodeHours: 'NodeHours',
    vcpuHours: 'VcpuHours',
    gibHours: 'GibHours',
    clusterHours: 'ClusterHours',
    /** Node-hours and cluster hours priced with the table in force (USD); with EstimatedScanCostUSD, the estimated cost. */
    estimatedInfrastructureCost: 'EstimatedInfrastructureCostUSD',
  },
} as const;
