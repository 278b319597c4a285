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
    params: ClusterIdParam,
    body: SuspendClusterRequest,
    mutating: true,
    success: { status: 202, description: 'Suspending; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [404, 409],
  },
  {
    operationId: 'resumeCluster',
    method: 'POST',
    path: '/clusters/{clusterId}/resume',
    group: 'fleet',
    access: 'teamOrAdmin',
    summary: 'Resume a suspended cluster: its nodes are scaled back, then its endpoint unblocked',
    params: ClusterIdParam,
    mutating: true,
    success: { status: 202, description: 'Resuming; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [404, 409],
  },
  {
    operationId: 'listFleetClusters',
    method: 'GET',
    path: '/fleet/clusters',
    group: 'fleet',
    access: 'admin',
    summary: "Every team's clusters, with their suspension, drift and version skew",
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
    body: ShutdownRequest,
    mutating: true,
    success: { status: 202, description: 'The shutdown, under way; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [422],
  },
  {
    operationId: 'resumeFleet',
    method: 'POST',
    path: '/fleet/resume',
    group: 'fleet',
    access: 'admin',
    summary: 'Resume every selected suspended cluster',
    body: ResumeRequest,
    mutating: true,
    success: { status: 202, description: 'The resume, under way; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [422],
  },
  {
    operationId: 'getFleetOperation',
    method: 'GET',
    path: '/fleet/operations/{operationId}',
    group: 'fleet',
    access: 'admin',
    summary: 'A shutdown, resume or drift check, with its per-cluster outcomes',
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
    body: StartUpgradeRequest,
    mutating: true,
    success: { status: 202, description: 'The upgrade run, started', schema: UpgradeAccepted },
    errors: [409, 422],
  },
  {
    operationId: 'listUpgrades',
    method: 'GET',
    path: '/fleet/upgrades',
    group: 'fleet',
    access: 'admin',
    summary: 'Upgrade runs, newest first',
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
    params: UpgradeIdParam,
    mutating: true,
    success: { status: 202, description: 'Resumed', schema: UpgradeAccepted },
    errors: [404, 409],
  },
  {
    operationId: 'startDriftCheck',
    method: 'POST',
    path: '/fleet/drift',
    group: 'fleet',
    access: 'admin',
    summary: 'Detect CloudFormation drift of the selected clusters\' tenant stacks now (it also runs on a schedule)',
    body: DriftCheckRequest,
    mutating: true,
    success: { status: 202, description: 'The drift check, under way; follow it at links.operation', schema: FleetOperationAccepted },
    errors: [422],
  },
  {
    operationId: 'getFleetDrift',
    method: 'GET',
    path: '/fleet/drift',
    group: 'fleet',
    access: 'admin',
    summary: 'The fleet\'s drift and version skew: counts, and the drifted, unknown and behind clusters',
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
