import * as z from 'zod';
import {
  ClusterEventPage,
  ClusterPage,
  Cluster,
  CreateClusterRequest,
  CreateDatasourceRequest,
  Datasource,
  DatasourcePage,
  DatasourceSetup,
  ListDatasourcesQuery,
  JobAccepted,
  ListClustersQuery,
  PageQuery,
  ProvisioningJob,
  PutTeamRequest,
  UpdateClusterRequest,
  Team,
  TeamChange,
  TeamPage,
  Timestamp,
  page,
} from './api';
import { INGEST_EVENT_MAX_BYTES, IngestAnswer, QueryCompletedEvent } from './query-completed-event';
import { Chargeback, ChargebackQuery, QueryId, QueryRecord, QueryState, UsageQuery, UsageReport } from './usage';
import {
  AuditPage,
  DriftCheckRequest,
  DriftReport,
  FleetClusterPage,
  FleetOperation,
  FleetOperationAccepted,
  ListAuditQuery,
  ListFleetClustersQuery,
  ResumeRequest,
  ShutdownRequest,
  StartUpgradeRequest,
  SuspendClusterRequest,
  UpgradeAccepted,
  UpgradeRun,
} from './fleet';
import { ClusterId, DatasourceId, FleetOperationId, JobId, TeamId, UpgradeId } from './ids';

/**
 * The route table of SICI's REST API: the one list of operations that the API Gateway resources,
 * the Lambda routers, the local control plane and the OpenAPI document are all made from.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Which Lambda function serves a route (one per API resource). */
export type RouteGroup = 'clusters' | 'jobs' | 'teams' | 'usage' | 'ingest' | 'fleet' | 'audit';

export interface RouteDefinition {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** Path template with `{param}` segments, as in API Gateway and OpenAPI. */
  readonly path: string;
  readonly group: RouteGroup;
  /**
   * `team`: any registered principal (SigV4), scoped to its team; `admin`: platform admins only;
   * `cluster`: a tenant cluster's engine, authenticated by that cluster's ingest token (a bearer
   * token, not SigV4); `teamOrAdmin`: the owning team's principals or platform admins.
   */
  readonly access: 'team' | 'admin' | 'cluster' | 'teamOrAdmin';
  readonly summary: string;
  /** What the operation does and answers, in a few sentences, for the API reference. @default the summary */
  readonly description?: string;
  /** Schemas of the path parameters; a value that fails them is answered 404 (it cannot exist). */
  readonly params?: z.ZodObject;
  /** Path parameters that name a resource the call creates: a bad value there is a 400, not a 404. */
  readonly createsAtPath?: boolean;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Whether the route changes state: such calls are audited, allowed or refused. */
  readonly mutating: boolean;
  /** Only refusals are audited (the ingest route: each accepted call is a query record, the query-activity audit). */
  readonly auditsOnlyRefusals?: boolean;
  /** The answer can also be CSV (RFC 4180, a header row) for `Accept: text/csv`. */
  readonly csv?: boolean;
  /** Accepts an `Idempotency-Key` header. */
  readonly idempotent?: boolean;
  /** The largest body the route takes, in bytes (413 beyond). @default 64 KiB, the API's limit (lambda/api/http.ts) */
  readonly maxBodyBytes?: number;
  readonly success: { readonly status: number; readonly description: string; readonly schema: z.ZodType };
  /** Error statuses the route can answer besides 400, 403 and 415 (answered by every route). */
  readonly errors: readonly number[];
}

const ClusterIdParam = z.strictObject({ clusterId: ClusterId });
const DatasourceParams = z.strictObject({ clusterId: ClusterId, datasourceId: DatasourceId });
const JobIdParam = z.strictObject({ jobId: JobId });
const TeamIdParam = z.strictObject({ teamId: TeamId });
const QueryParams = z.strictObject({ clusterId: ClusterId, queryId: QueryId });
const FleetOperationIdParam = z.strictObject({ operationId: FleetOperationId });
const UpgradeIdParam = z.strictObject({ upgradeId: UpgradeId });
/** Per-cluster progress of a fleet operation or an upgrade run is paged. */
const ProgressPageQuery = PageQuery;
const UpgradePage = page(UpgradeAccepted.omit({ links: true }), 'UpgradePage');

export const ListQueriesQuery = PageQuery.extend({
  user: z.string().min(1).max(256).optional().meta({ description: 'Only queries of this user' }),
  state: QueryState.optional(),
  from: Timestamp.optional().meta({ description: 'Only queries that ended at or after this time' }),
  to: Timestamp.optional().meta({ description: 'Only queries that ended before this time' }),
}).superRefine((query, ctx) => {
  if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to)) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
});
export type ListQueriesQuery = z.infer<typeof ListQueriesQuery>;
const QueryPage = page(QueryRecord, 'QueryPage');

export const ROUTES = [
  {
    operationId: 'createCluster',
    method: 'POST',
    path: '/clusters',
    group: 'clusters',
    access: 'team',
    summary: "Create a dedicated cluster for the caller's team",
    description:
      "Starts a CREATE job for a cluster of the team in an environment and tier it is entitled to (403 otherwise, with the reason; also past its maxClusters). Answers 202 at once, with the job in Location and the cluster PROVISIONING; follow GET /jobs/{jobId} or the cluster's events until it is ACTIVE (endpoint set) or FAILED. A retry with the same Idempotency-Key returns the first answer; the same key with another body is 422.",
    body: CreateClusterRequest,
    mutating: true,
    idempotent: true,
    success: { status: 202, description: 'Creation accepted; Location is the job', schema: JobAccepted },
    errors: [409, 422],
  },
  {
    operationId: 'listClusters',
    method: 'GET',
    path: '/clusters',
    group: 'clusters',
    access: 'team',
    summary: "List the caller's team's clusters, newest first",
    description:
      "The clusters of the caller's team, newest first, DELETED ones included for the record. Filter by status or environment; page with limit (1-100) and the nextToken of the previous page.",
    query: ListClustersQuery,
    mutating: false,
    success: { status: 200, description: 'A page of clusters', schema: ClusterPage },
    errors: [],
  },
  {
    operationId: 'getCluster',
    method: 'GET',
    path: '/clusters/{clusterId}',
    group: 'clusters',
    access: 'team',
    summary: 'Show one cluster',
    description:
      "One cluster of the caller's team: status, tier, environment, endpoint once ACTIVE, the job in flight, and its suspension or last drift check when there is one. Another team's cluster is 404, as a missing one.",
    params: ClusterIdParam,
    mutating: false,
    success: { status: 200, description: 'The cluster', schema: Cluster },
    errors: [404],
  },
  {
    operationId: 'updateCluster',
    method: 'PATCH',
    path: '/clusters/{clusterId}',
    group: 'clusters',
    access: 'team',
    summary: "Change a cluster's tier (redeploys it through an UPDATE job)",
    description:
      "Changes the tier: an UPDATE job redeploys the cluster's stack with the new tier's node groups (UPDATING, then ACTIVE). 409 while a job is in flight or when the cluster is not ACTIVE or FAILED; the new tier must be in the team's entitlement.",
    params: ClusterIdParam,
    body: UpdateClusterRequest,
    mutating: true,
    success: { status: 202, description: 'Update accepted; Location is the job', schema: JobAccepted },
    errors: [404, 409],
  },
  {
    operationId: 'deleteCluster',
    method: 'DELETE',
    path: '/clusters/{clusterId}',
    group: 'clusters',
    access: 'team',
    summary: 'Delete a cluster (its usage and audit history are kept)',
    description:
      "Starts a DELETE job that destroys the cluster's stack (DELETING, then DELETED). The cluster record, its events, usage and audit trail are kept. 409 while a job is in flight.",
    params: ClusterIdParam,
    mutating: true,
    success: { status: 202, description: 'Deletion accepted; Location is the job', schema: JobAccepted },
    errors: [404, 409],
  },
  {
    operationId: 'listClusterEvents',
    method: 'GET',
    path: '/clusters/{clusterId}/events',
    group: 'clusters',
    access: 'team',
    summary: "A cluster's events, oldest first",
    description:
      "What happened to the cluster, oldest first: each job's steps as the workflow runs them, their failures with the step and cause, and resumed jobs. Paged with limit and nextToken.",
    params: ClusterIdParam,
    query: PageQuery,
    mutating: false,
    success: { status: 200, description: 'A page of events', schema: ClusterEventPage },
    errors: [404],
  },
  {
    operationId: 'createDatasource',
    method: 'POST',
    path: '/clusters/{clusterId}/datasources',
    group: 'clusters',
    access: 'team',
    summary: 'Add an approved S3 datasource in an account of the team (redeploys the cluster through an ADD_DATASOURCE job)',
    description:
      "Adds an S3 datasource (an approved connector type, the owner account, bucket ARN, folder prefixes, region, read-only or read-write) to an ACTIVE cluster. SICI generates the ExternalId, the role name the owner creates and the catalog; GET links.setup gives the owner's documents. The ADD_DATASOURCE job redeploys the cluster, then checks the access until the owner has applied the setup (about 25 minutes); if it still fails the datasource is FAILED and the cluster is redeployed without it. A prefix is a folder: sales is stored as sales/. An overlapping bucket and prefix on the cluster is 409.",
    params: ClusterIdParam,
    body: CreateDatasourceRequest,
    mutating: true,
    idempotent: true,
    success: { status: 202, description: 'Accepted; Location is the job, links.setup what the data owner applies', schema: JobAccepted },
    errors: [404, 409, 422],
  },
  {
    operationId: 'listDatasources',
    method: 'GET',
    path: '/clusters/{clusterId}/datasources',
    group: 'clusters',
    access: 'team',
    summary: "A cluster's datasources (DELETED ones too, for the record), in id order",
    description:
      "The cluster's datasources in id order, DELETED ones included for the record. Filter by status; paged with limit and nextToken.",
    params: ClusterIdParam,
    query: ListDatasourcesQuery,
    mutating: false,
    success: { status: 200, description: 'A page of datasources', schema: DatasourcePage },
    errors: [404],
  },
  {
    operationId: 'getDatasource',
    method: 'GET',
    path: '/clusters/{clusterId}/datasources/{datasourceId}',
    group: 'clusters',
    access: 'team',
    summary: 'Show one datasource',
    description:
      'One datasource: status, access mode, the role the owner creates, its ExternalId, the catalog name, and statusReason when FAILED.',
    params: DatasourceParams,
    mutating: false,
    success: { status: 200, description: 'The datasource', schema: Datasource },
    errors: [404],
  },
  {
    operationId: 'deleteDatasource',
    method: 'DELETE',
    path: '/clusters/{clusterId}/datasources/{datasourceId}',
    group: 'clusters',
    access: 'team',
    summary: 'Remove a datasource from its cluster (redeploys the cluster through a REMOVE_DATASOURCE job)',
    description:
      'Starts a REMOVE_DATASOURCE job that redeploys the cluster without the datasource (DELETING, then DELETED, kept for the record). 409 while a job is in flight or while the datasource is still being added.',
    params: DatasourceParams,
    mutating: true,
    success: { status: 202, description: 'Removal accepted; Location is the job', schema: JobAccepted },
    errors: [404, 409],
  },
  {
    operationId: 'getDatasourceSetup',
    method: 'GET',
    path: '/clusters/{clusterId}/datasources/{datasourceId}/setup',
    group: 'clusters',
    access: 'team',
    summary: "What the data owner applies in their account (role, trust, S3 or bucket policy, CLI commands), and the generated catalog",
    description:
      "What the data owner applies in their account: the role's trust policy (the cluster's Starburst role only, with the ExternalId), its permissions policy (S3 within the prefixes, write only for read-write, the Glue catalog, KMS through S3), a bucket-policy variant, and bash scripts of AWS CLI commands for either way; and, for the team, the generated Trino catalog and the access rules that concern it.",
    params: DatasourceParams,
    mutating: false,
    success: { status: 200, description: 'The setup documents', schema: DatasourceSetup },
    errors: [404],
  },
  {
    operationId: 'getClusterUsage',
    method: 'GET',
    path: '/clusters/{clusterId}/usage',
    group: 'usage',
    access: 'team',
    summary: "A cluster's usage and estimated cost per hour, day or month",
    description:
      "The cluster's usage per hour, day or month over a range: queries, data scanned, node-hours and cluster hours, with the estimated cost from the price table in force in each window, and the totals.",
    params: ClusterIdParam,
    query: UsageQuery,
    mutating: false,
    success: { status: 200, description: 'The usage of each window of the range, and the totals', schema: UsageReport },
    errors: [404],
  },
  {
    operationId: 'listQueries',
    method: 'GET',
    path: '/clusters/{clusterId}/queries',
    group: 'usage',
    access: 'team',
    summary: "A cluster's query history, newest first",
    description:
      "The cluster's completed queries as its engine reported them, newest first; filter by user, state and a time range. Records expire after the platform's queryRecordRetentionDays.",
    params: ClusterIdParam,
    query: ListQueriesQuery,
    mutating: false,
    success: { status: 200, description: 'A page of query records', schema: QueryPage },
    errors: [404],
  },
  {
    operationId: 'getQuery',
    method: 'GET',
    path: '/clusters/{clusterId}/queries/{queryId}',
    group: 'usage',
    access: 'team',
    summary: 'One query record, in full',
    description:
      'One query record in full: user and principal, source, catalog and schema, state, times, CPU and peak memory, bytes and rows read, bytes returned, the query text (truncated past its limit) and the error of a failed query.',
    params: QueryParams,
    mutating: false,
    success: { status: 200, description: 'The query record', schema: QueryRecord },
    errors: [404],
  },
  {
    operationId: 'ingestQueryEvent',
    method: 'POST',
    path: '/clusters/{clusterId}/queries',
    group: 'ingest',
    access: 'cluster',
    summary: "A cluster's engine reports a completed query (Trino's http event listener; the cluster's ingest token as bearer token)",
    description:
      "Called by the cluster's engine (Trino's http event listener), not by teams: one completed query, authenticated by the cluster's ingest token as a bearer token instead of SigV4 (401 otherwise). The query is recorded and counted in its hourly usage window once; a replay of the same query is recognized and not counted again.",
    params: ClusterIdParam,
    body: QueryCompletedEvent,
    maxBodyBytes: INGEST_EVENT_MAX_BYTES,
    mutating: true,
    auditsOnlyRefusals: true,
    success: { status: 202, description: 'Recorded and counted, or recognized as a replay', schema: IngestAnswer },
    errors: [401, 404],
  },
  {
    operationId: 'getChargeback',
    method: 'GET',
    path: '/usage/teams',
    group: 'usage',
    access: 'admin',
    summary: 'What each team is charged for a month (chargeback), as JSON or CSV',
    description:
      'Platform admins: what each team is charged for a month, from the hourly usage windows of its clusters and the price tables they were priced with. As JSON, or as CSV (RFC 4180, a header row) with Accept: text/csv.',
    query: ChargebackQuery,
    mutating: false,
    csv: true,
    success: { status: 200, description: "Each team's usage and cost in the month", schema: Chargeback },
    errors: [],
  },
  {
    operationId: 'getJob',
    method: 'GET',
    path: '/jobs/{jobId}',
    group: 'jobs',
    access: 'team',
    summary: 'Follow a provisioning job',
    description:
      "A provisioning job (CREATE, UPDATE, DELETE, ADD_DATASOURCE, REMOVE_DATASOURCE) of the caller's team: status PENDING, RUNNING, SUCCEEDED or FAILED, its times, and errorDetails (the failed step and its cause) when FAILED.",
    params: JobIdParam,
    mutating: false,
    success: { status: 200, description: 'The job', schema: ProvisioningJob },
    errors: [404],
  },
  {
    operationId: 'listTeams',
    method: 'GET',
    path: '/teams',
    group: 'teams',
    access: 'admin',
    summary: 'List registered teams',
    description:
      'Platform admins: the team registry in id order, each team with its principals, entitlements and groups. Paged with limit and nextToken.',
    query: PageQuery,
    mutating: false,
    success: { status: 200, description: 'A page of teams', schema: TeamPage },
    errors: [],
  },
  {
    operationId: 'getTeam',
    method: 'GET',
    path: '/teams/{teamId}',
    group: 'teams',
    access: 'admin',
    summary: "Show a team, its principals and entitlements",
    description:
      'Platform admins: one team, its IAM principals, entitlements (tiers, environments, maxClusters, readWriteDatasources, dataAccounts) and identity provider groups with their query roles.',
    params: TeamIdParam,
    mutating: false,
    success: { status: 200, description: 'The team', schema: Team },
    errors: [404],
  },
  {
    operationId: 'putTeam',
    method: 'PUT',
    path: '/teams/{teamId}',
    group: 'teams',
    access: 'admin',
    summary: "Register a team or replace its principals, entitlements and query groups",
    description:
      'Platform admins: registers a team or replaces its principals, entitlements and groups. A principal belongs to one team at most, and a group too (409 otherwise). When the groups change, an UPDATE job re-renders the access rules of each ACTIVE cluster of the team (clusterUpdates names them; a cluster with a job in flight gets them with its next job).',
    params: TeamIdParam,
    createsAtPath: true,
    body: PutTeamRequest,
    mutating: true,
    success: { status: 200, description: 'The team as stored, and the UPDATE jobs its change started', schema: TeamChange },
    errors: [409],
  },
  {
    operationId: 'suspendCluster',
    method: 'POST',
    path: '/clusters/{clusterId}/suspend',
    group: 'fleet',
    access: 'teamOrAdmin',
    summary: 'Suspend a cluster: its query endpoint is blocked at once, then its nodes are scaled to zero (the owning team may stop its own cluster)',
    description:
      'Stops a cluster serving and costing: its query endpoint is blocked at once, then its node groups are scaled to zero, and it is SUSPENDED with the reason. The owning team may suspend its own cluster; platform admins any. Follow it at links.operation.',
    params: ClusterIdParam,
    body: SuspendClusterRequest,
    mutating: true,
    success: { status: 202, description: 'Suspending; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [404, 409, 503],
  },
  {
    operationId: 'resumeCluster',
    method: 'POST',
    path: '/clusters/{clusterId}/resume',
    group: 'fleet',
    access: 'teamOrAdmin',
    summary: 'Resume a suspended cluster: its nodes are scaled back, then its endpoint unblocked',
    description:
      'Brings a SUSPENDED cluster back: its node groups are scaled back to its tier, then its endpoint is unblocked, and it is ACTIVE again. Follow it at links.operation.',
    params: ClusterIdParam,
    mutating: true,
    success: { status: 202, description: 'Resuming; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [404, 409, 503],
  },
  {
    operationId: 'listFleetClusters',
    method: 'GET',
    path: '/fleet/clusters',
    group: 'fleet',
    access: 'admin',
    summary: "Every team's clusters, with their suspension, drift and version skew",
    description:
      "Platform admins: every team's clusters, filtered by team, environment, tier, status, Trino release, drift or version skew, each with its suspension, last drift check and how far it is behind the platform's current engine and source version.",
    query: ListFleetClustersQuery,
    mutating: false,
    success: { status: 200, description: 'A page of the fleet', schema: FleetClusterPage },
    errors: [],
  },
  {
    operationId: 'shutdownFleet',
    method: 'POST',
    path: '/fleet/shutdown',
    group: 'fleet',
    access: 'admin',
    summary: 'Emergency shutdown: every selected cluster stops serving queries (endpoint blocked), then stops costing (nodes scaled to zero), and is SUSPENDED with the reason',
    description:
      "Platform admins, in an emergency: every cluster the selector matches has its endpoint blocked at once, then its nodes scaled to zero, and is SUSPENDED with the reason. Selecting the whole fleet also needs confirmAll: true. Follow it at links.operation; each cluster's outcome is recorded.",
    body: ShutdownRequest,
    mutating: true,
    success: { status: 202, description: 'The shutdown, under way; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [422, 503],
  },
  {
    operationId: 'resumeFleet',
    method: 'POST',
    path: '/fleet/resume',
    group: 'fleet',
    access: 'admin',
    summary: 'Resume every selected suspended cluster',
    description:
      'Platform admins: resumes every SUSPENDED cluster the selector matches (nodes back, then endpoint unblocked). Follow it at links.operation.',
    body: ResumeRequest,
    mutating: true,
    success: { status: 202, description: 'The resume, under way; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [422, 503],
  },
  {
    operationId: 'getFleetOperation',
    method: 'GET',
    path: '/fleet/operations/{operationId}',
    group: 'fleet',
    access: 'admin',
    summary: 'A shutdown, resume or drift check, with its per-cluster outcomes',
    description:
      'Platform admins: a shutdown, resume or drift check, its status (RUNNING, SUCCEEDED, PARTIAL when some cluster failed, FAILED) and a page of its per-cluster outcomes.',
    params: FleetOperationIdParam,
    query: ProgressPageQuery,
    mutating: false,
    success: { status: 200, description: 'The operation and a page of its outcomes', schema: FleetOperation },
    errors: [404],
  },
  {
    operationId: 'startUpgrade',
    method: 'POST',
    path: '/fleet/upgrades',
    group: 'fleet',
    access: 'admin',
    summary: 'Upgrade the selected clusters in waves: canaries first, then batches of UPDATE jobs with bounded concurrency, halting past the failure bound',
    description:
      'Platform admins: upgrades the selected clusters to a target engine or source version in waves: canary clusters first, alone, then batches of UPDATE jobs with at most maxConcurrency running; the run halts once more than maxFailures clusters have failed. A busy cluster (a job in flight) is retried in a later wave. One upgrade runs at a time (409 while another is under way).',
    body: StartUpgradeRequest,
    mutating: true,
    success: { status: 202, description: 'The upgrade run, started', schema: UpgradeAccepted },
    errors: [409, 422, 503],
  },
  {
    operationId: 'listUpgrades',
    method: 'GET',
    path: '/fleet/upgrades',
    group: 'fleet',
    access: 'admin',
    summary: 'Upgrade runs, newest first',
    description:
      'Platform admins: the upgrade runs, newest first, with their status and counters.',
    query: PageQuery,
    mutating: false,
    success: { status: 200, description: 'A page of upgrade runs', schema: UpgradePage },
    errors: [],
  },
  {
    operationId: 'getUpgrade',
    method: 'GET',
    path: '/fleet/upgrades/{upgradeId}',
    group: 'fleet',
    access: 'admin',
    summary: 'An upgrade run: its progress per cluster and its failures',
    description:
      'Platform admins: one upgrade run, its status and counters, and a page of its clusters with their wave, status, job and error.',
    params: UpgradeIdParam,
    query: ProgressPageQuery,
    mutating: false,
    success: { status: 200, description: 'The run and a page of its clusters', schema: UpgradeRun },
    errors: [404],
  },
  {
    operationId: 'cancelUpgrade',
    method: 'POST',
    path: '/fleet/upgrades/{upgradeId}/cancel',
    group: 'fleet',
    access: 'admin',
    summary: 'Cancel an upgrade run: no further batch starts (jobs under way finish)',
    description:
      'Platform admins: no further wave starts; UPDATE jobs already under way finish. Only a RUNNING run can be cancelled (409 otherwise).',
    params: UpgradeIdParam,
    mutating: true,
    success: { status: 202, description: 'Cancelling', schema: UpgradeAccepted },
    errors: [404, 409],
  },
  {
    operationId: 'resumeUpgrade',
    method: 'POST',
    path: '/fleet/upgrades/{upgradeId}/resume',
    group: 'fleet',
    access: 'admin',
    summary: 'Resume a halted or cancelled upgrade run: what succeeded is not redone',
    description:
      "Platform admins: continues a HALTED or CANCELLED run from where it stopped; clusters already upgraded are not redone, failed ones are tried again. 409 for a run that is not HALTED or CANCELLED, or whose target is no longer the platform's current configuration.",
    params: UpgradeIdParam,
    mutating: true,
    success: { status: 202, description: 'Resumed', schema: UpgradeAccepted },
    errors: [404, 409, 503],
  },
  {
    operationId: 'startDriftCheck',
    method: 'POST',
    path: '/fleet/drift',
    group: 'fleet',
    access: 'admin',
    summary: 'Detect CloudFormation drift of the selected clusters\' tenant stacks now (it also runs on a schedule)',
    description:
      "Platform admins: detects CloudFormation drift of the selected clusters' tenant stacks now (it also runs on a schedule); differences a suspension explains are not drift. Follow it at links.operation; each cluster's drift is recorded on it.",
    body: DriftCheckRequest,
    mutating: true,
    success: { status: 202, description: 'The drift check, under way; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [422, 503],
  },
  {
    operationId: 'getFleetDrift',
    method: 'GET',
    path: '/fleet/drift',
    group: 'fleet',
    access: 'admin',
    summary: 'The fleet\'s drift and version skew: counts, and the drifted, unknown and behind clusters',
    description:
      "Platform admins: the fleet's drift and version skew at a glance: counts, and the drifted, unknown and behind clusters.",
    query: PageQuery,
    mutating: false,
    success: { status: 200, description: 'The drift report', schema: DriftReport },
    errors: [],
  },
  {
    operationId: 'listAudit',
    method: 'GET',
    path: '/audit',
    group: 'audit',
    access: 'admin',
    summary: 'The audit trail of every action, newest first, as JSON or CSV',
    description:
      "Platform admins: the audit trail, newest first: every mutating call, allowed or refused, and the workflow's outcomes, with actor, time, source IP, entity, request id and outcome. Filter by actor, team, entity, action, outcome and a time range (default the last 7 days). As JSON, or as CSV with Accept: text/csv.",
    query: ListAuditQuery,
    mutating: false,
    csv: true,
    success: { status: 200, description: 'A page of audit records', schema: AuditPage },
    errors: [],
  },
] as const satisfies readonly RouteDefinition[];

/** A route of the table, with the exact types of its schemas. */
export type Route = (typeof ROUTES)[number];
export type OperationId = Route['operationId'];
export type RouteOf<Id extends OperationId> = Extract<Route, { operationId: Id }>;
export type OperationIdOf<G extends RouteGroup> = Extract<Route, { group: G }>['operationId'];

/** What a route's schema `K` parses to, or `Absent` when the route has none. */
type Parsed<R, K extends 'params' | 'query' | 'body', Absent> = R extends { readonly [P in K]: infer S extends z.ZodType } ? z.output<S> : Absent;

/** The parsed parts of a request to operation `Id`, as its route's schemas produce them. */
export type ParamsOf<Id extends OperationId> = Parsed<RouteOf<Id>, 'params', Record<string, never>>;
export type QueryOf<Id extends OperationId> = Parsed<RouteOf<Id>, 'query', Record<string, never>>;
export type BodyOf<Id extends OperationId> = Parsed<RouteOf<Id>, 'body', undefined>;
/** The document of operation `Id`'s successful answer. */
export type AnswerOf<Id extends OperationId> = z.input<RouteOf<Id>['success']['schema']>;

export const routesOfGroup = (group: RouteGroup): Route[] => ROUTES.filter((route) => route.group === group);
