import * as z from 'zod';
import { AwsAccountId, AwsRegion, IamPrincipalArn } from './aws-names';
import { ClusterId, DatasourceId, FleetOperationId, JobId, TeamId } from './ids';
import { ConnectorType, EnvironmentName, TierName } from './platform-names';
import { QueryGroup, QueryGroups } from './query-access';
import { AccessMode, ExternalId, IamRoleArn, partitionProblem, S3BucketArn, S3Prefix } from './tenant-spec';

/**
 * The documents of SICI's REST API: one zod schema each. Request schemas are strict (unknown
 * fields are rejected); the OpenAPI document and the TypeScript types are generated from them.
 */

export const Timestamp = z.iso.datetime().meta({ description: 'UTC time, ISO 8601', example: '2026-11-22T08:00:00.000Z' });

export const CLUSTER_STATUSES = ['PROVISIONING', 'ACTIVE', 'UPDATING', 'SUSPENDED', 'FAILED', 'DELETING', 'DELETED'] as const;
export const ClusterStatus = z.enum(CLUSTER_STATUSES).meta({ id: 'ClusterStatus' });
export type ClusterStatus = z.infer<typeof ClusterStatus>;

export const JOB_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export const JobStatus = z.enum(JOB_STATUSES).meta({ id: 'JobStatus' });
export type JobStatus = z.infer<typeof JobStatus>;

export const OperationType = z
  .enum(['CREATE', 'DELETE', 'UPDATE', 'ADD_DATASOURCE', 'REMOVE_DATASOURCE'])
  .meta({ id: 'OperationType' });
export type OperationType = z.infer<typeof OperationType>;

export const ClusterName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/, '2 to 40 lowercase letters, digits or hyphens')
  .meta({ description: "A label of the team's choosing; not unique", example: 'analytics' });

// ---- Clusters --------------------------------------------------------------------------------

export const CreateClusterRequest = z
  .strictObject({
    environment: EnvironmentName,
    tier: TierName,
    name: ClusterName.optional(),
  })
  .meta({ id: 'CreateClusterRequest' });
export type CreateClusterRequest = z.infer<typeof CreateClusterRequest>;

export const UpdateClusterRequest = z
  .strictObject({ tier: TierName })
  .meta({ id: 'UpdateClusterRequest', description: 'The one thing a team may change on a cluster: its tier' });
export type UpdateClusterRequest = z.infer<typeof UpdateClusterRequest>;

// ---- Suspension and drift (set by the platform team's fleet operations) ----------------------

/** Who suspended a cluster and why: kept on the cluster while it is suspended. */
export const Suspension = z
  .strictObject({
    reason: z.string(),
    suspendedAt: Timestamp,
    suspendedBy: z.string().meta({ description: 'The IAM principal, or sici-auto-suspend for an idle cluster' }),
    operationId: FleetOperationId.optional().meta({ description: 'The fleet shutdown it belongs to, if any' }),
    endpointBlockedAt: Timestamp.optional().meta({ description: 'When its query endpoint stopped answering queries' }),
    scaledToZeroAt: Timestamp.optional().meta({ description: 'When its node groups were scaled to zero' }),
  })
  .meta({ id: 'Suspension' });
export type Suspension = z.infer<typeof Suspension>;


export const DriftStatus = z
  .enum(['IN_SYNC', 'DRIFTED', 'UNKNOWN'])
  .meta({ id: 'DriftStatus', description: 'UNKNOWN: the last check could not complete (see detail)' });
export type DriftStatus = z.infer<typeof DriftStatus>;

export const DriftedResource = z
  .strictObject({
    logicalId: z.string(),
    physicalId: z.string().optional(),
    resourceType: z.string(),
    status: z.enum(['MODIFIED', 'DELETED']),
    properties: z
      .array(z.strictObject({ path: z.string(), expected: z.string().optional(), actual: z.string().optional(), difference: z.enum(['ADD', 'REMOVE', 'NOT_EQUAL']) }))
      .max(50),
  })
  .meta({ id: 'DriftedResource' });
export type DriftedResource = z.infer<typeof DriftedResource>;

export const ClusterDrift = z
  .strictObject({
    status: DriftStatus,
    checkedAt: Timestamp,
    operationId: FleetOperationId.optional(),
    detail: z.string().optional(),
    resources: z.array(DriftedResource).max(100).meta({ description: 'The drifted resources (at most 100); differences a suspension explains are not drift' }),
  })
  .meta({ id: 'ClusterDrift' });
export type ClusterDrift = z.infer<typeof ClusterDrift>;


export const Cluster = z
  .strictObject({
    clusterId: ClusterId,
    teamId: TeamId,
    name: ClusterName.optional(),
    environment: EnvironmentName,
    tier: TierName,
    status: ClusterStatus,
    endpoint: z.string().nullable().meta({ description: 'Query endpoint, once ACTIVE' }),
    vpcCidr: z.string().optional().meta({ description: "The cluster's VPC address range, once allocated" }),
    vpcId: z.string().optional(),
    eksClusterArn: z.string().optional(),
    iamRoleArn: z.string().optional(),
    activeJobId: JobId.optional().meta({ description: 'The job in flight on this cluster, if any' }),
    suspension: Suspension.optional().meta({ description: 'Present while the cluster is suspended (or a job in flight will finish suspended): by whom, why, and when its endpoint was blocked' }),
    drift: ClusterDrift.optional().meta({ description: "The last drift check of the cluster's stack" }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Cluster' });
export type Cluster = z.infer<typeof Cluster>;

export const ErrorDetails = z
  .strictObject({ step: z.string(), cause: z.string() })
  .meta({ id: 'ErrorDetails', description: 'Where and why a job failed' });
export type ErrorDetails = z.infer<typeof ErrorDetails>;

export const ProvisioningJob = z
  .strictObject({
    jobId: JobId,
    clusterId: ClusterId,
    teamId: TeamId,
    operationType: OperationType,
    status: JobStatus,
    datasourceId: DatasourceId.optional().meta({ description: 'The datasource an ADD_DATASOURCE or REMOVE_DATASOURCE job adds or removes' }),
    startedAt: Timestamp,
    completedAt: Timestamp.optional(),
    errorDetails: ErrorDetails.optional(),
  })
  .meta({ id: 'ProvisioningJob' });
export type ProvisioningJob = z.infer<typeof ProvisioningJob>;

export const ClusterEvent = z
  .strictObject({
    clusterId: ClusterId,
    time: Timestamp,
    type: z.string().meta({ example: 'JOB_ACCEPTED' }),
    message: z.string(),
    jobId: JobId.optional(),
    status: ClusterStatus.optional(),
  })
  .meta({ id: 'ClusterEvent' });
export type ClusterEvent = z.infer<typeof ClusterEvent>;

// ---- Datasources -----------------------------------------------------------------------------

export const DATASOURCE_STATUSES = ['PENDING', 'ACTIVE', 'FAILED', 'DELETING', 'DELETED'] as const;
export const DatasourceStatus = z
  .enum(DATASOURCE_STATUSES)
  .meta({
    id: 'DatasourceStatus',
    description:
      'PENDING: its job is adding it (the owner applies the setup meanwhile); ACTIVE: validated and in the cluster; FAILED: not added (see statusReason); DELETING: its job is removing it; DELETED: removed, kept for the record',
  });
export type DatasourceStatus = z.infer<typeof DatasourceStatus>;

const Prefixes = z
  .array(S3Prefix)
  .min(1)
  .max(20)
  // Each is in its folder form already (S3Prefix): one that repeats or lies inside another would be
  // stored, but granted by no policy of its own.
  .superRefine((prefixes, ctx) => {
    // Refinements also see a list whose items failed their own schema: only strings are compared.
    prefixes.forEach((prefix, index) => {
      const inside = (candidate: unknown, at: number) => typeof candidate === 'string' && at !== index && prefix.startsWith(candidate) && (candidate !== prefix || at < index);
      const other = typeof prefix === 'string' ? prefixes.findIndex(inside) : -1;
      if (other < 0) return;
      const message = prefixes[other] === prefix ? `${prefix} is given twice (prefixes.${other})` : `${prefix} is inside ${prefixes[other]} (prefixes.${other}), which grants it already`;
      ctx.addIssue({ code: 'custom', path: [index], message });
    });
  })
  .meta({
    description: 'Folders of the bucket the cluster may reach, e.g. sales/ (no wildcard, no ..); sales is taken as the folder sales/, and stored so',
    example: ['sales/'],
  });

export const CreateDatasourceRequest = z
  .strictObject({
    type: ConnectorType,
    externalAccountId: AwsAccountId.meta({ description: 'The AWS account that owns the bucket and its Glue catalog', example: '210987654321' }),
    bucketArn: S3BucketArn.meta({ example: 'arn:aws:s3:::team-a-lake' }),
    prefixes: Prefixes,
    region: AwsRegion.meta({ description: 'Region of the bucket and its Glue catalog', example: 'eu-west-1' }),
    accessMode: AccessMode.default('read-only').meta({ description: 'read-write needs the team entitlement readWriteDatasources' }),
  })
  .superRefine((request, ctx) => {
    const problem = partitionProblem(request.bucketArn, request.region);
    if (problem) ctx.addIssue({ code: 'custom', path: ['bucketArn'], message: problem });
  })
  .meta({ id: 'CreateDatasourceRequest', description: 'What a team may choose about a datasource; everything else (role, ExternalId, policies, catalog) is generated' });
export type CreateDatasourceRequest = z.infer<typeof CreateDatasourceRequest>;

export const Datasource = z
  .strictObject({
    datasourceId: DatasourceId,
    clusterId: ClusterId,
    teamId: TeamId,
    type: ConnectorType,
    externalAccountId: AwsAccountId,
    bucketArn: S3BucketArn,
    prefixes: z.array(S3Prefix),
    region: AwsRegion,
    accessMode: AccessMode,
    catalog: z.string().meta({ description: 'The Trino catalog name', example: 'ds_0123456789abcdef' }),
    roleArn: IamRoleArn.meta({ description: "The role the data owner creates (see the setup); the cluster assumes it only with externalId" }),
    externalId: ExternalId.meta({ description: 'Generated for this datasource alone; never chosen by a caller, never reused' }),
    iamPolicyReference: z.string().meta({
      description: "Where the cluster's permission to assume roleArn lives: the Starburst role's ARN and the statement id (ARN#Sid)",
    }),
    status: DatasourceStatus,
    statusReason: z.string().optional().meta({ description: 'Why it FAILED' }),
    activeJobId: JobId.optional().meta({ description: 'The job adding or removing it, while one runs' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    links: z.strictObject({ setup: z.string() }),
  })
  .meta({ id: 'Datasource' });
export type Datasource = z.infer<typeof Datasource>;

const OneOrMany = z.union([z.string(), z.array(z.string())]);
const PolicyStatementJson = z.object({
  Sid: z.string().optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Principal: z.union([z.literal('*'), z.object({ AWS: OneOrMany }), z.object({ Service: OneOrMany })]).optional(),
  Action: OneOrMany,
  Resource: OneOrMany.optional(),
  Condition: z.record(z.string(), z.record(z.string(), OneOrMany)).optional(),
});
const PolicyDocumentSchema = z
  .object({ Version: z.literal('2012-10-17'), Statement: z.array(PolicyStatementJson) })
  .meta({ id: 'PolicyDocument', description: 'An IAM policy document' });

export const DatasourceSetup = z
  .strictObject({
    datasourceId: DatasourceId,
    starburstRoleArn: IamRoleArn.meta({ description: "The cluster's Starburst role: the only principal the trust policy admits" }),
    roleName: z.string(),
    rolePath: z.string(),
    roleArn: IamRoleArn,
    externalId: ExternalId,
    trustPolicy: PolicyDocumentSchema,
    permissionsPolicy: PolicyDocumentSchema.meta({ description: 'The role policy: S3 within the prefixes, the Glue catalog, and KMS keys used through S3 for those objects' }),
    catalogAndKeyPolicy: PolicyDocumentSchema.meta({ description: 'With the bucket-policy route: the role policy for the Glue catalog and KMS keys only' }),
    bucketPolicy: PolicyDocumentSchema.meta({ description: "For owners who grant S3 in the bucket policy: this datasource's statements" }),
    commands: z
      .record(z.string(), z.array(z.string()))
      .meta({ description: 'AWS CLI scripts to run in the owner account, one per way of granting S3 (rolePolicy or bucketPolicy)' }),
    catalog: z.strictObject({
      name: z.string(),
      properties: z.record(z.string(), z.string()).meta({ description: "The catalog's Trino properties, as generated" }),
    }),
    accessRules: z
      .strictObject({
        catalogs: z.array(z.object({ group: z.string().optional(), catalog: z.string().optional(), allow: z.enum(['all', 'read-only', 'none']) })),
        schemas: z.array(z.object({ group: z.string().optional(), catalog: z.string().optional(), schema: z.string().optional(), owner: z.boolean() })),
        tables: z.array(
          z.object({
            group: z.string().optional(),
            catalog: z.string().optional(),
            schema: z.string().optional(),
            table: z.string().optional(),
            privileges: z.array(z.enum(['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP', 'GRANT_SELECT'])),
          }),
        ),
      })
      .meta({ description: "The Trino file-based access control rules (rules.json) that concern this catalog" }),
  })
  .meta({ id: 'DatasourceSetup', description: 'Everything the data owner applies, and what the cluster is given, for one datasource' });
export type DatasourceSetup = z.infer<typeof DatasourceSetup>;

// ---- Accepted jobs ---------------------------------------------------------------------------

export const JobAccepted = z
  .strictObject({
    jobId: JobId,
    operationType: OperationType,
    cluster: Cluster,
    datasource: Datasource.optional().meta({ description: 'The datasource a datasource job adds or removes' }),
    links: z.strictObject({ job: z.string(), cluster: z.string(), events: z.string(), datasource: z.string().optional(), setup: z.string().optional() }),
  })
  .meta({ id: 'JobAccepted', description: 'Work accepted; follow the job at links.job (also the Location header)' });
export type JobAccepted = z.infer<typeof JobAccepted>;

// ---- Paging ----------------------------------------------------------------------------------

export const PageQuery = z.strictObject({
  // A query string is text: only plain decimal digits are read as a number ('5.0', ' 5' and '1e1' are refused).
  limit: z
    .preprocess((value) => (typeof value === 'string' && /^[0-9]{1,4}$/.test(value) ? Number(value) : value), z.number().int().min(1).max(100))
    .default(25)
    .meta({ description: 'Items per page (1-100)' }),
  nextToken: z.string().min(1).max(2048).optional().meta({ description: 'Opaque token from the previous page' }),
});

export const ListClustersQuery = PageQuery.extend({
  status: ClusterStatus.optional(),
  environment: EnvironmentName.optional(),
});
export type ListClustersQuery = z.infer<typeof ListClustersQuery>;

export const ListDatasourcesQuery = PageQuery.extend({ status: DatasourceStatus.optional() });
export type ListDatasourcesQuery = z.infer<typeof ListDatasourcesQuery>;

export const page = <T extends z.ZodType>(item: T, id: string) =>
  z
    .strictObject({
      items: z.array(item),
      nextToken: z.string().optional().meta({ description: 'Present when more items follow' }),
    })
    .meta({ id });

export const ClusterPage = page(Cluster, 'ClusterPage');
export const ClusterEventPage = page(ClusterEvent, 'ClusterEventPage');
export const DatasourcePage = page(Datasource, 'DatasourcePage');

// ---- Teams (admin) ---------------------------------------------------------------------------

export const Entitlements = z
  .strictObject({
    tiers: z.array(TierName).min(1).max(3),
    environments: z.array(EnvironmentName).min(1).max(3),
    maxClusters: z.number().int().min(0).max(1000),
    readWriteDatasources: z.boolean().optional().meta({ description: 'May add read-write datasources (default: read-only only)' }),
    dataAccounts: z
      .array(AwsAccountId)
      .min(1)
      .max(50)
      .optional()
      .meta({ description: "The AWS accounts the team's datasources may be in (default: any; the owner's role and the ExternalId still gate access)" }),
  })
  .meta({ id: 'Entitlements' });
export type Entitlements = z.infer<typeof Entitlements>;

export const PutTeamRequest = z
  .strictObject({
    // At most 48, so that replacing every principal fits one 100-item DynamoDB transaction.
    principals: z
      .array(IamPrincipalArn)
      .min(1)
      .max(48)
      .refine((arns) => new Set(arns).size === arns.length, 'principals must be unique'),
    entitlements: Entitlements,
    groups: QueryGroups.default([]).meta({
      description:
        "The identity provider groups whose members query the team's clusters, each with its role (reader, writer, admin); a group belongs to one team. A change re-renders the access rules of the team's clusters through UPDATE jobs.",
    }),
  })
  .meta({ id: 'PutTeamRequest' });
export type PutTeamRequest = z.infer<typeof PutTeamRequest>;

export const Team = z
  .strictObject({
    teamId: TeamId,
    principals: z.array(IamPrincipalArn),
    entitlements: Entitlements,
    groups: z.array(QueryGroup).meta({ description: "The identity provider groups whose members query the team's clusters, with their roles" }),
    clusterCount: z.number().int().meta({ description: 'Clusters that count against maxClusters (all but DELETED)' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Team' });
export type Team = z.infer<typeof Team>;

export const TeamPage = page(Team, 'TeamPage');

export const TeamChange = Team.extend({
  clusterUpdates: z
    .strictObject({
      started: z.array(z.strictObject({ clusterId: ClusterId, jobId: JobId })),
      deferred: z.array(z.strictObject({ clusterId: ClusterId, status: ClusterStatus, activeJobId: JobId.optional() })),
    })
    .optional()
    .meta({
      description:
        "Present when the groups of a registered team changed: the UPDATE jobs started to re-render the access rules of the team's ACTIVE clusters, and the clusters left as they are (a job in flight, or not ACTIVE), which their next job renders",
    }),
}).meta({ id: 'TeamChange' });
export type TeamChange = z.infer<typeof TeamChange>;

// ---- Errors (RFC 9457) -----------------------------------------------------------------------

/** Where a problem's `type` lives: this, followed by the problem's slug (e.g. `validation`). */
export const PROBLEM_TYPE_BASE = 'https://sici.dev/problems/';

export const Problem = z
  .strictObject({
    type: z.string().meta({ example: 'https://sici.dev/problems/validation' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
export type Problem = z.infer<typeof Problem>;
