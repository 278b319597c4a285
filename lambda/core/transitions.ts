import type { ClusterStatus, DatasourceStatus, JobStatus, OperationType } from '../../lib/contract/api';

/**
 * The one table of lifecycle transitions. Every status change in the store is a conditional
 * write whose condition comes from here, so no code path can move a cluster or a job along an
 * edge that is not listed.
 */
export const CLUSTER_TRANSITIONS: Readonly<Record<ClusterStatus, readonly ClusterStatus[]>> = {
  PROVISIONING: ['ACTIVE', 'FAILED'],
  ACTIVE: ['UPDATING', 'SUSPENDED', 'DELETING'],
  UPDATING: ['ACTIVE', 'FAILED'],
  SUSPENDED: ['ACTIVE', 'DELETING'],
  FAILED: ['UPDATING', 'DELETING'],
  DELETING: ['DELETED', 'FAILED'],
  DELETED: [],
};

export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  PENDING: ['RUNNING', 'FAILED'],
  RUNNING: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: [],
  FAILED: [],
};

/** A datasource is added by its ADD_DATASOURCE job (PENDING) and removed by a REMOVE_DATASOURCE job (DELETING). */
export const DATASOURCE_TRANSITIONS: Readonly<Record<DatasourceStatus, readonly DatasourceStatus[]>> = {
  PENDING: ['ACTIVE', 'FAILED'],
  // ACTIVE and FAILED datasources go straight to DELETED with their cluster's DELETE job.
  ACTIVE: ['DELETING', 'DELETED'],
  FAILED: ['DELETING', 'DELETED'],
  DELETING: ['DELETED', 'FAILED'],
  DELETED: [],
};

/** The status a cluster takes when a job of each operation starts on it. */
export const STATUS_WHILE_RUNNING: Readonly<Record<OperationType, ClusterStatus>> = {
  CREATE: 'PROVISIONING',
  DELETE: 'DELETING',
  UPDATE: 'UPDATING',
  ADD_DATASOURCE: 'UPDATING',
  REMOVE_DATASOURCE: 'UPDATING',
};

/** Statuses from which a cluster may move to `target`. */
export function clusterStatusesLeadingTo(target: ClusterStatus): ClusterStatus[] {
  return (Object.keys(CLUSTER_TRANSITIONS) as ClusterStatus[]).filter((from) => CLUSTER_TRANSITIONS[from].includes(target));
}

export function datasourceStatusesLeadingTo(target: DatasourceStatus): DatasourceStatus[] {
  return (Object.keys(DATASOURCE_TRANSITIONS) as DatasourceStatus[]).filter((from) => DATASOURCE_TRANSITIONS[from].includes(target));
}

export function jobStatusesLeadingTo(target: JobStatus): JobStatus[] {
  return (Object.keys(JOB_TRANSITIONS) as JobStatus[]).filter((from) => JOB_TRANSITIONS[from].includes(target));
}

export const isTerminalClusterStatus = (status: ClusterStatus) => CLUSTER_TRANSITIONS[status].length === 0;
