import * as z from 'zod';
import { ClusterDrift, ClusterStatus, ErrorDetails, PageQuery, Suspension, Timestamp, page } from './api';
import { ClusterId, FleetOperationId, JobId, TeamId, UpgradeId } from './ids';
import { EnvironmentName, TierName } from './platform-names';

/**
 * The documents of the platform team's fleet routes (admin only): the fleet's clusters, the audit
 * trail, emergency shutdown and resume, upgrades in waves, drift and version skew.
 */

/** At most this many clusters are named by one `clusterIds` selector. */
export const MAX_SELECTED_CLUSTER_IDS = 500;

/**
 * Which clusters a fleet route acts on: exactly one of the four forms. Only clusters that the
 * action applies to are matched (a shutdown never matches a DELETED cluster); a selector that
 * matches none is answered 422 and changes nothing.
 */
export const FleetSelector = z
  .strictObject({
    clusterIds: z
      .array(ClusterId)
      .min(1)
      .max(MAX_SELECTED_CLUSTER_IDS)
      .refine((ids) => new Set(ids).size === ids.length, 'cluster ids must be unique')
      .optional(),
    environment: EnvironmentName.optional(),
    teamId: TeamId.optional(),
    all: z.literal(true).optional().meta({ description: 'Every cluster of the fleet' }),
  })
  .superRefine((selector, ctx) => {
    const given = (['clusterIds', 'environment', 'teamId', 'all'] as const).filter((key) => selector[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `exactly one of clusterIds, environment, teamId or all (got ${given.length === 0 ? 'none' : given.join(', ')})` });
    }
  })
  .meta({
    id: 'FleetSelector',
    description: 'Exactly one of: { clusterIds: [...] }, { environment }, { teamId }, { all: true }',
    example: { environment: 'dev' },
  });
export type FleetSelector = z.infer<typeof FleetSelector>;

const Reason = z.string().trim().min(3).max(500).meta({ description: 'Why; recorded on each cluster, in its events and in the audit trail', example: 'Security incident INC-4711' });

// ---- Suspension ------------------------------------------------------------------------------

export const SuspendClusterRequest = z.strictObject({ reason: Reason }).meta({ id: 'SuspendClusterRequest' });
export type SuspendClusterRequest = z.infer<typeof SuspendClusterRequest>;

export const ShutdownRequest = z
  .strictObject({
    reason: Reason,
    selector: FleetSelector,
    confirmAll: z
      .literal(true)
      .optional()
      .meta({ description: 'Required, and only allowed, with the selector { all: true }: the whole fleet stops' }),
  })
  .superRefine((request, ctx) => {
    if (request.selector.all && request.confirmAll !== true) {
      ctx.addIssue({ code: 'custom', path: ['confirmAll'], message: 'required (true) to shut down the whole fleet' });
    }
    if (!request.selector.all && request.confirmAll !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['confirmAll'], message: 'only with the selector { all: true }' });
    }
  })
  .meta({ id: 'ShutdownRequest' });
export type ShutdownRequest = z.infer<typeof ShutdownRequest>;

export const ResumeRequest = z.strictObject({ selector: FleetSelector, reason: Reason.optional() }).meta({ id: 'ResumeRequest' });
export type ResumeRequest = z.infer<typeof ResumeRequest>;

// ---- Fleet operations (shutdown, resume, drift check) ------------------------------------------

export const FleetOperationKind = z.enum(['SHUTDOWN', 'RESUME', 'DRIFT_CHECK']).meta({ id: 'FleetOperationKind' });
export type FleetOperationKind = z.infer<typeof FleetOperationKind>;

export const FleetOperationStatus = z
  .enum(['RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED'])
  .meta({ id: 'FleetOperationStatus', description: 'PARTIAL: done, and at least one cluster failed (see its outcome)' });
export type FleetOperationStatus = z.infer<typeof FleetOperationStatus>;

export const ClusterOutcomeStatus = z
  .enum(['PENDING', 'BLOCKED', 'SUSPENDED', 'RESUMED', 'CHECKED', 'FAILED'])
  .meta({
    id: 'ClusterOutcomeStatus',
    description: 'SHUTDOWN: PENDING → BLOCKED (endpoint blocked) → SUSPENDED (scaled to zero); RESUME: → RESUMED; DRIFT_CHECK: → CHECKED; any: FAILED (see detail)',
  });
export type ClusterOutcomeStatus = z.infer<typeof ClusterOutcomeStatus>;

export const ClusterOutcome = z
  .strictObject({
    clusterId: ClusterId,
    teamId: TeamId,
    environment: EnvironmentName,
    status: ClusterOutcomeStatus,
    detail: z.string().optional().meta({ description: 'What happened, e.g. the error of a FAILED outcome, or the job that finishes suspended' }),
    updatedAt: Timestamp,
  })
  .meta({ id: 'ClusterOutcome' });
export type ClusterOutcome = z.infer<typeof ClusterOutcome>;

export const FleetOperation = z
  .strictObject({
    operationId: FleetOperationId,
    kind: FleetOperationKind,
    status: FleetOperationStatus,
    reason: z.string().optional(),
    selector: FleetSelector,
    requestedBy: z.string(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    completedAt: Timestamp.optional(),
    counts: z.strictObject({
      matched: z.number().int(),
      pending: z.number().int(),
      done: z.number().int(),
      failed: z.number().int(),
    }),
    /** SHUTDOWN: when the last matched endpoint was blocked. */
    allBlockedAt: Timestamp.optional(),
    outcomes: z.array(ClusterOutcome).meta({ description: 'A page of per-cluster outcomes (see nextToken)' }),
    nextToken: z.string().optional(),
  })
  .meta({ id: 'FleetOperation' });
export type FleetOperation = z.infer<typeof FleetOperation>;

export const FleetOperationAccepted = FleetOperation.omit({ outcomes: true, nextToken: true })
  .extend({ links: z.strictObject({ operation: z.string() }) })
  .meta({ id: 'FleetOperationAccepted', description: 'Accepted; follow it at links.operation (also the Location header)' });
export type FleetOperationAccepted = z.infer<typeof FleetOperationAccepted>;

// ---- Drift and version skew --------------------------------------------------------------------

export const DriftCheckRequest = z.strictObject({ selector: FleetSelector }).meta({ id: 'DriftCheckRequest' });
export type DriftCheckRequest = z.infer<typeof DriftCheckRequest>;

/** How far a cluster is behind the platform's current engine pins and source version. */
export const VersionSkew = z
  .strictObject({
    behind: z.boolean(),
    engine: z
      .strictObject({
        current: z.strictObject({ chartVersion: z.string(), imageTag: z.string(), trinoRelease: z.number().int() }),
        cluster: z.strictObject({ chartVersion: z.string(), imageTag: z.string(), trinoRelease: z.number().int() }),
        trinoReleasesBehind: z.number().int(),
        chartBehind: z.string().optional().meta({ description: 'e.g. "1 minor" or "2 patch"' }),
        sameImageRebuilt: z.boolean().meta({ description: 'Same tag, other digest' }),
      })
      .optional()
      .meta({ description: 'Present when the engine pins differ' }),
    source: z
      .strictObject({ current: z.string(), cluster: z.string(), behind: z.string().meta({ description: 'e.g. "2 minor"' }) })
      .optional()
      .meta({ description: "Present when the cluster was last deployed from another version of SICI's source" }),
  })
  .meta({ id: 'VersionSkew' });
export type VersionSkew = z.infer<typeof VersionSkew>;

// ---- The fleet's clusters ----------------------------------------------------------------------

export const FleetCluster = z
  .strictObject({
    clusterId: ClusterId,
    teamId: TeamId,
    name: z.string().optional(),
    environment: EnvironmentName,
    tier: TierName,
    status: ClusterStatus,
    endpoint: z.string().nullable(),
    activeJobId: JobId.optional(),
    engine: z.strictObject({ kind: z.string(), chartVersion: z.string(), imageTag: z.string(), trinoRelease: z.number().int() }).optional(),
    sourceVersion: z.string().optional(),
    suspension: Suspension.optional(),
    drift: ClusterDrift.optional(),
    skew: VersionSkew,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'FleetCluster' });
export type FleetCluster = z.infer<typeof FleetCluster>;

const QueryBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');

export const ListFleetClustersQuery = PageQuery.extend({
  teamId: TeamId.optional(),
  environment: EnvironmentName.optional(),
  tier: TierName.optional(),
  status: ClusterStatus.optional(),
  trinoRelease: z
    .preprocess((value) => (typeof value === 'string' && /^[0-9]{1,4}$/.test(value) ? Number(value) : value), z.number().int().min(1))
    .optional()
    .meta({ description: 'Only clusters whose engine runs this Trino release' }),
  drifted: QueryBoolean.optional().meta({ description: 'Only clusters whose last drift check found drift (true) or found none (false)' }),
  behind: QueryBoolean.optional().meta({ description: "Only clusters behind the platform's current engine or source version (true), or current (false)" }),
});
export type ListFleetClustersQuery = z.infer<typeof ListFleetClustersQuery>;
export const FleetClusterPage = page(FleetCluster, 'FleetClusterPage');

export const DriftReport = z
  .strictObject({
    counts: z.strictObject({ inSync: z.number().int(), drifted: z.number().int(), unknown: z.number().int(), neverChecked: z.number().int(), behind: z.number().int() }),
    lastCheck: z.strictObject({ operationId: FleetOperationId, createdAt: Timestamp, status: FleetOperationStatus }).optional(),
    items: z.array(FleetCluster).meta({ description: 'The drifted, unknown and behind clusters (a page)' }),
    nextToken: z.string().optional(),
  })
  .meta({ id: 'DriftReport' });
export type DriftReport = z.infer<typeof DriftReport>;

// ---- Upgrades in waves -------------------------------------------------------------------------

export const UpgradeTarget = z
  .strictObject({
    engine: z
      .strictObject({ chartVersion: z.string().min(1).max(64), imageDigest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'an image digest sha256:<64 hex>') })
      .optional()
      .meta({ description: "The platform's current engine pins (config engine.chart.version and engine.image.digest), restated as a confirmation" }),
    sourceVersion: z.string().min(1).max(64).optional().meta({ description: "The control plane's current source version, restated as a confirmation" }),
  })
  .superRefine((target, ctx) => {
    if ((target.engine === undefined) === (target.sourceVersion === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of engine or sourceVersion' });
    }
  })
  .meta({
    id: 'UpgradeTarget',
    description:
      "What the clusters are brought to: the platform's current engine pins or source version (the configuration stays the one source of truth; a target that is not the current one is refused)",
  });
export type UpgradeTarget = z.infer<typeof UpgradeTarget>;

export const StartUpgradeRequest = z
  .strictObject({
    target: UpgradeTarget,
    selector: FleetSelector,
    canary: z.number().int().min(0).max(50).default(1).meta({ description: 'Clusters upgraded first, alone, before any batch' }),
    batchSize: z.number().int().min(1).max(500).default(10),
    maxConcurrency: z.number().int().min(1).max(40).default(10).meta({ description: 'UPDATE jobs running at a time' }),
    maxFailures: z.number().int().min(0).max(500).default(0).meta({ description: 'The run halts once more clusters than this have failed' }),
  })
  .meta({ id: 'StartUpgradeRequest' });
export type StartUpgradeRequest = z.infer<typeof StartUpgradeRequest>;

export const UpgradeStatus = z
  .enum(['RUNNING', 'SUCCEEDED', 'HALTED', 'CANCELLING', 'CANCELLED'])
  .meta({ id: 'UpgradeStatus', description: 'HALTED: more failures than maxFailures (named in failures); resume after a fix' });
export type UpgradeStatus = z.infer<typeof UpgradeStatus>;

export const ClusterUpgradeStatus = z
  .enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'BUSY', 'SKIPPED'])
  .meta({
    id: 'ClusterUpgradeStatus',
    description: 'BUSY: a job was in flight when its batch came (retried later in the run); SKIPPED: already at the target, or deleted since',
  });
export type ClusterUpgradeStatus = z.infer<typeof ClusterUpgradeStatus>;

export const ClusterUpgrade = z
  .strictObject({
    clusterId: ClusterId,
    teamId: TeamId,
    environment: EnvironmentName,
    wave: z.string().meta({ description: '"canary" or "batch-<n>"' }),
    status: ClusterUpgradeStatus,
    jobId: JobId.optional(),
    attempts: z.number().int(),
    errorDetails: ErrorDetails.optional(),
    updatedAt: Timestamp,
  })
  .meta({ id: 'ClusterUpgrade' });
export type ClusterUpgrade = z.infer<typeof ClusterUpgrade>;

export const UpgradeRun = z
  .strictObject({
    upgradeId: UpgradeId,
    status: UpgradeStatus,
    target: UpgradeTarget,
    selector: FleetSelector,
    canary: z.number().int(),
    batchSize: z.number().int(),
    maxConcurrency: z.number().int(),
    maxFailures: z.number().int(),
    requestedBy: z.string(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    completedAt: Timestamp.optional(),
    counts: z.strictObject({
      total: z.number().int(),
      pending: z.number().int(),
      running: z.number().int(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      skipped: z.number().int(),
    }),
    wavesDone: z.number().int(),
    haltReason: z
      .string()
      .optional()
      .meta({ description: 'Why a run HALTED that its failure bound did not halt (e.g. its execution ended without it); cleared by a resume' }),
    failures: z.array(ClusterUpgrade).meta({ description: 'The failed clusters, with the step and cause of each' }),
    clusters: z.array(ClusterUpgrade).meta({ description: 'A page of per-cluster progress (see nextToken)' }),
    nextToken: z.string().optional(),
  })
  .meta({ id: 'UpgradeRun' });
export type UpgradeRun = z.infer<typeof UpgradeRun>;

export const UpgradeAccepted = UpgradeRun.omit({ clusters: true, nextToken: true })
  .extend({ links: z.strictObject({ upgrade: z.string() }) })
  .meta({ id: 'UpgradeAccepted' });
export type UpgradeAccepted = z.infer<typeof UpgradeAccepted>;

// ---- The audit trail ---------------------------------------------------------------------------

export const AuditOutcome = z.enum(['SUCCEEDED', 'REFUSED', 'REPLAYED', 'FAILED']).meta({ id: 'AuditOutcome' });

export const AuditRecordDocument = z
  .strictObject({
    time: Timestamp,
    actor: z.string(),
    teamId: TeamId.optional(),
    action: z.string(),
    entity: z.string(),
    outcome: AuditOutcome,
    status: z.number().int(),
    sourceIp: z.string(),
    requestId: z.string(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'AuditRecord' });
export type AuditRecordDocument = z.infer<typeof AuditRecordDocument>;

/** The widest `from`..`to` of one audit query. */
export const AUDIT_MAX_RANGE_DAYS = 92;

export const ListAuditQuery = PageQuery.extend({
  actor: z.string().min(1).max(2048).optional(),
  teamId: TeamId.optional(),
  entity: z.string().min(1).max(512).optional().meta({ description: 'e.g. cluster/c-0123456789abcdef or team/analytics' }),
  action: z.string().min(1).max(128).optional().meta({ description: 'e.g. createCluster, fleetShutdown, workflow.jobSucceeded' }),
  outcome: AuditOutcome.optional(),
  from: Timestamp.optional().meta({ description: 'Default: 7 days before to' }),
  to: Timestamp.optional().meta({ description: 'Default: now' }),
});
export type ListAuditQuery = z.infer<typeof ListAuditQuery>;
export const AuditPage = page(AuditRecordDocument, 'AuditPage');
