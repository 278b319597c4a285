import type { Cluster, ClusterEvent, Datasource, JobAccepted, ProvisioningJob, Team } from '../../../lib/contract/api';

/** API documents as SICI answers them, for the stand-in API of the command line's tests. */

export const CLUSTER_ID = 'c-0123456789abcdef';
export const JOB_ID = 'j-0123456789abcdef';
export const DATASOURCE_ID = 'ds-0123456789abcdef';
const T0 = '2026-11-22T08:00:00.000Z';

export const cluster = (changes: Partial<Cluster> = {}): Cluster => ({
  clusterId: CLUSTER_ID,
  teamId: 'team-a',
  environment: 'dev',
  tier: 'S',
  status: 'PROVISIONING',
  endpoint: null,
  activeJobId: JOB_ID,
  createdAt: T0,
  updatedAt: T0,
  ...changes,
});

export const job = (changes: Partial<ProvisioningJob> = {}): ProvisioningJob => ({
  jobId: JOB_ID,
  clusterId: CLUSTER_ID,
  teamId: 'team-a',
  operationType: 'CREATE',
  status: 'PENDING',
  startedAt: T0,
  ...changes,
});

export const accepted = (changes: Partial<JobAccepted> = {}): JobAccepted => ({
  jobId: JOB_ID,
  operationType: 'CREATE',
  cluster: cluster(),
  links: { job: `/jobs/${JOB_ID}`, cluster: `/clusters/${CLUSTER_ID}`, events: `/clusters/${CLUSTER_ID}/events` },
  ...changes,
});

/** An event of the job, `seconds` after it started. */
export const event = (type: string, seconds: number, message = `${type} message`, jobId = JOB_ID): ClusterEvent => ({
  clusterId: CLUSTER_ID,
  time: new Date(Date.parse(T0) + seconds * 1000).toISOString(),
  type,
  message,
  jobId,
});

export const datasource = (changes: Partial<Datasource> = {}): Datasource => ({
  datasourceId: DATASOURCE_ID,
  clusterId: CLUSTER_ID,
  teamId: 'team-a',
  type: 's3-hive',
  externalAccountId: '210987654321',
  bucketArn: 'arn:aws:s3:::team-a-lake',
  prefixes: ['sales/'],
  region: 'eu-west-1',
  accessMode: 'read-only',
  catalog: 'ds_0123456789abcdef',
  roleArn: `arn:aws:iam::210987654321:role/sici-${DATASOURCE_ID}`,
  externalId: 'sici-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV',
  iamPolicyReference: `arn:aws:iam::111111111111:role/sici-${CLUSTER_ID}-starburst#SiciAssume`,
  status: 'PENDING',
  createdAt: T0,
  updatedAt: T0,
  links: { setup: `/clusters/${CLUSTER_ID}/datasources/${DATASOURCE_ID}/setup` },
  ...changes,
});

export const team = (changes: Partial<Team> = {}): Team => ({
  teamId: 'team-c',
  principals: ['arn:aws:iam::123456789012:role/team-c-dev'],
  entitlements: { tiers: ['S'], environments: ['dev'], maxClusters: 1 },
  groups: [{ name: 'team-c-analysts', role: 'reader' }],
  clusterCount: 0,
  createdAt: T0,
  updatedAt: T0,
  ...changes,
});
