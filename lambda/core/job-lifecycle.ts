import type { Cluster, ClusterStatus, Datasource, ErrorDetails, ProvisioningJob } from '../../lib/contract/api';
import { STATE_NAMES } from '../../lib/contract/workflow';
import { workflowAuditPut } from './audit-log';
import { holdClusterItem, putClusterItem, releaseClusterItem, type ClusterChanges } from './cluster-store';
import { datasourcesOfCluster, moveDatasource, putDatasourceItem, type DatasourceRecord } from './datasource-store';
import { jobAcceptedEvent, putEventItem } from './event-store';
import { finishJobItem, putJobItem } from './job-store';
import type { Tables, TransactItem } from './tables';
import { releaseQuotaItem, takeQuotaItem } from './team-store';
import { STATUS_WHILE_RUNNING } from './transitions';

/**
 * The transactions of a job's life, composed from the entity stores: a job is accepted (with a new
 * cluster, or on an existing one), then completed or failed; an ADD_DATASOURCE job may reject its
 * datasource on the way. A job and everything it holds change in one transaction. The API adds
 * its audit record (and idempotent answer) to the items of an acceptance; the workflow's records
 * are part of the items here.
 */

/** Datasource jobs redeploy a running cluster: they start only on an ACTIVE one. */
export const DATASOURCE_JOB_CLUSTER_STATUSES: readonly ClusterStatus[] = ['ACTIVE'];

/** In `createClusterItems`, the item that takes a unit of the team's quota: when its condition fails, the quota is used up. */
export const QUOTA_ITEM_INDEX = 0;

/** A new cluster with its CREATE job and first event, taking one unit of the team's quota. */
export function createClusterItems(tables: Tables, cluster: Cluster, job: ProvisioningJob): TransactItem[] {
  return [takeQuotaItem(tables, cluster.teamId), putClusterItem(tables, cluster), putJobItem(tables, job), putEventItem(tables, jobAcceptedEvent(job, cluster.status))];
}

/** A job on an existing cluster: it takes the cluster (see `holdClusterItem`), and its accepted event is recorded. */
export function acceptJobItems(
  tables: Tables,
  cluster: Cluster,
  job: ProvisioningJob,
  options: { changes?: ClusterChanges; from?: readonly ClusterStatus[]; message?: string } = {},
): TransactItem[] {
  return [
    holdClusterItem(tables, cluster, job, options.changes, options.from),
    putJobItem(tables, job),
    putEventItem(tables, jobAcceptedEvent(job, STATUS_WHILE_RUNNING[job.operationType], options.message)),
  ];
}

/** An ADD_DATASOURCE job on an ACTIVE cluster, with the new (PENDING) datasource it adds. */
export function addDatasourceItems(tables: Tables, cluster: Cluster, job: ProvisioningJob, datasource: DatasourceRecord): TransactItem[] {
  const message = `ADD_DATASOURCE job ${job.jobId} accepted for datasource ${datasource.datasourceId} (${datasource.bucketArn}); cluster is ${STATUS_WHILE_RUNNING.ADD_DATASOURCE}`;
  return [...acceptJobItems(tables, cluster, job, { from: DATASOURCE_JOB_CLUSTER_STATUSES, message }), putDatasourceItem(tables, datasource)];
}

/** A REMOVE_DATASOURCE job on an ACTIVE cluster; it takes the datasource, which becomes DELETING. */
export function removeDatasourceItems(tables: Tables, cluster: Cluster, job: ProvisioningJob, datasource: Pick<Datasource, 'clusterId' | 'datasourceId'>): TransactItem[] {
  const message = `REMOVE_DATASOURCE job ${job.jobId} accepted for datasource ${datasource.datasourceId}; cluster is ${STATUS_WHILE_RUNNING.REMOVE_DATASOURCE}`;
  return [
    ...acceptJobItems(tables, cluster, job, { from: DATASOURCE_JOB_CLUSTER_STATUSES, message }),
    moveDatasource(tables, datasource, 'DELETING', { jobId: job.jobId, now: job.startedAt, claim: true }),
  ];
}

/**
 * A job whose workflow reached its end: the cluster is ACTIVE again (DELETED after a DELETE, which
 * gives the quota back and takes the cluster's remaining datasources with it), the job's datasource
 * ACTIVE or DELETED. An ADD_DATASOURCE job whose datasource was rejected fails instead, while its
 * cluster, redeployed without it, is ACTIVE again.
 */
export async function completeJobItems(
  tables: Tables,
  job: ProvisioningJob,
  cluster: Cluster,
  datasource: Datasource | undefined,
  now: string,
): Promise<TransactItem[]> {
  // A cluster suspended while its job ran (see lambda/fleet/fleet-worker.ts) is not brought back by the job.
  const target: ClusterStatus = job.operationType === 'DELETE' ? 'DELETED' : cluster.suspension ? 'SUSPENDED' : 'ACTIVE';
  const event = (type: string, message: string) => putEventItem(tables, { clusterId: job.clusterId, time: now, type, message, jobId: job.jobId, status: target });
  if (job.operationType === 'ADD_DATASOURCE' && datasource?.status === 'FAILED') {
    const errorDetails = { step: STATE_NAMES.validateAccess, cause: datasource.statusReason ?? 'access validation failed' };
    return [
      finishJobItem(tables, job, 'FAILED', now, errorDetails),
      releaseClusterItem(tables, cluster.clusterId, job, target, now),
      event('JOB_FAILED', `${job.operationType} job ${job.jobId} failed: datasource ${datasource.datasourceId} was rejected; cluster is ${target} without it`),
      workflowAuditPut(tables, job, 'completeJob', now, { status: target, datasourceId: datasource.datasourceId, datasourceStatus: 'FAILED' }),
    ];
  }
  const datasourceTarget = job.operationType === 'ADD_DATASOURCE' ? 'ACTIVE' : 'DELETED';
  // The API starts no datasource job on a DELETING cluster, so none of these is held by a job.
  const goneWithCluster = target === 'DELETED' ? await datasourcesOfCluster(tables, cluster.clusterId, ['ACTIVE', 'FAILED']) : [];
  return [
    finishJobItem(tables, job, 'SUCCEEDED', now),
    releaseClusterItem(tables, cluster.clusterId, job, target, now),
    ...(datasource ? [moveDatasource(tables, datasource, datasourceTarget, { jobId: job.jobId, now })] : []),
    ...goneWithCluster.map((gone) => moveDatasource(tables, gone, 'DELETED', { jobId: job.jobId, now, unheld: true })),
    ...(target === 'DELETED' ? [releaseQuotaItem(tables, cluster.teamId)] : []),
    event(
      'JOB_SUCCEEDED',
      `${job.operationType} job ${job.jobId} succeeded; ${datasource ? `datasource ${datasource.datasourceId} is ${datasourceTarget}, ` : ''}cluster is ${target}`,
    ),
    workflowAuditPut(tables, job, 'completeJob', now, {
      status: target,
      ...(datasource ? { datasourceId: datasource.datasourceId, datasourceStatus: datasourceTarget } : {}),
    }),
  ];
}

/** A job that failed: it records where and why; its cluster and datasource become FAILED if the job still holds them. */
export function failJobItems(
  tables: Tables,
  job: ProvisioningJob,
  cluster: Pick<Cluster, 'clusterId' | 'activeJobId'>,
  datasource: Datasource | undefined,
  errorDetails: ErrorDetails,
  now: string,
): TransactItem[] {
  const failure = `${job.operationType} job ${job.jobId} failed at "${errorDetails.step}": ${errorDetails.cause}`;
  return [
    finishJobItem(tables, job, 'FAILED', now, errorDetails),
    ...(cluster.activeJobId === job.jobId ? [releaseClusterItem(tables, cluster.clusterId, job, 'FAILED', now)] : []),
    putEventItem(tables, { clusterId: job.clusterId, time: now, type: 'JOB_FAILED', message: failure, jobId: job.jobId, status: 'FAILED' }),
    workflowAuditPut(tables, job, 'failJob', now, errorDetails),
    ...(datasource?.activeJobId === job.jobId ? [moveDatasource(tables, datasource, 'FAILED', { jobId: job.jobId, now, reason: failure.slice(0, 1000) })] : []),
  ];
}

/** The datasource of an ADD_DATASOURCE job failed its access validation: it becomes FAILED with the reason. */
export function rejectDatasourceItems(tables: Tables, job: ProvisioningJob, datasource: Datasource, reason: string, now: string): TransactItem[] {
  return [
    moveDatasource(tables, datasource, 'FAILED', { jobId: job.jobId, now, reason }),
    putEventItem(tables, {
      clusterId: job.clusterId,
      time: now,
      type: 'DATASOURCE_REJECTED',
      message: `Datasource ${datasource.datasourceId} failed access validation and is taken out of the cluster again: ${reason}`,
      jobId: job.jobId,
    }),
    workflowAuditPut(tables, job, 'rejectDatasource', now, { datasourceId: datasource.datasourceId, reason }),
  ];
}
