import * as z from 'zod';
import { EnvironmentName, IamPrincipalArn, TierName } from '../config/platform-config';
import { ClusterId, JobId, TeamId } from './ids';

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
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Cluster' });
export type Cluster = z.infer<typeof Cluster>;

export const ErrorDetails = z
  .strictObject({ step: z.string(), cause: z.string() })
  .meta({ id: 'ErrorDetails', description: 'Where and why a job failed' });

export const ProvisioningJob = z
  .strictObject({
    jobId: JobId,
    clusterId: ClusterId,
    teamId: TeamId,
    operationType: OperationType,
    status: JobStatus,
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

export const JobAccepted = z
  .strictObject({
    jobId: JobId,
    operationType: OperationType,
    cluster: Cluster,
    links: z.strictObject({ job: z.string(), cluster: z.string(), events: z.string() }),
  })
  .meta({ id: 'JobAccepted', description: 'Work accepted; follow the job at links.job (also the Location header)' });
export type JobAccepted = z.infer<typeof JobAccepted>;

// ---- Paging ----------------------------------------------------------------------------------

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25).meta({ description: 'Items per page (1-100)' }),
  nextToken: z.string().min(1).max(2048).optional().meta({ description: 'Opaque token from the previous page' }),
});

export const ListClustersQuery = PageQuery.extend({
  status: ClusterStatus.optional(),
  environment: EnvironmentName.optional(),
});
export type ListClustersQuery = z.infer<typeof ListClustersQuery>;

export const page = <T extends z.ZodType>(item: T, id: string) =>
  z
    .strictObject({
      items: z.array(item),
      nextToken: z.string().optional().meta({ description: 'Present when more items follow' }),
    })
    .meta({ id });

export const ClusterPage = page(Cluster, 'ClusterPage');
export const ClusterEventPage = page(ClusterEvent, 'ClusterEventPage');

// ---- Teams (admin) ---------------------------------------------------------------------------

export const Entitlements = z
  .strictObject({
    tiers: z.array(TierName).min(1).max(3),
    environments: z.array(EnvironmentName).min(1).max(3),
    maxClusters: z.number().int().min(0).max(1000),
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
  })
  .meta({ id: 'PutTeamRequest' });
export type PutTeamRequest = z.infer<typeof PutTeamRequest>;

export const Team = z
  .strictObject({
    teamId: TeamId,
    principals: z.array(IamPrincipalArn),
    entitlements: Entitlements,
    clusterCount: z.number().int().meta({ description: 'Clusters that count against maxClusters (all but DELETED)' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Team' });
export type Team = z.infer<typeof Team>;

export const TeamPage = page(Team, 'TeamPage');

// ---- Errors (RFC 9457) -----------------------------------------------------------------------

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
