import type { ClusterStatus, DatasourceStatus, JobStatus, OperationType } from '../../lib/contract/api';
import type { ClusterUpgradeStatus, UpgradeStatus } from '../../lib/contract/fleet';

/**
 * The one table of lifecycle transitions of clusters, jobs and datasources. Every status change
 * in the stores is a conditional write whose condition comes from here (`…StatusesLeadingTo`), so
 * no code path can move a cluster, a job or a datasource along an edge that is not listed.
 */
export const CLUSTER_TRANSITIONS: Readonly<Record<ClusterStatus, readonly ClusterStatus[]>> = {
  // A job in flight on a cluster suspended meanwhile finishes it SUSPENDED (its endpoint was blocked at once).
  PROVISIONING: ['ACTIVE', 'SUSPENDED', 'FAILED'],
  ACTIVE: ['UPDATING', 'SUSPENDED', 'DELETING'],
  UPDATING: ['ACTIVE', 'SUSPENDED', 'FAILED'],
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

/** An upgrade run: it halts past its failure bound, a cancel ends it between waves, a resume runs it again. */
export const UPGRADE_TRANSITIONS: Readonly<Record<UpgradeStatus, readonly UpgradeStatus[]>> = {
  RUNNING: ['SUCCEEDED', 'HALTED', 'CANCELLING'],
  CANCELLING: ['CANCELLED', 'SUCCEEDED', 'HALTED'],
  HALTED: ['RUNNING'],
  CANCELLED: ['RUNNING'],
  SUCCEEDED: [],
};

/** One cluster of an upgrade run: BUSY is retried (BUSY → BUSY counts an attempt); a resume retries FAILED ones. */
export const CLUSTER_UPGRADE_TRANSITIONS: Readonly<Record<ClusterUpgradeStatus, readonly ClusterUpgradeStatus[]>> = {
  PENDING: ['RUNNING', 'BUSY', 'SKIPPED', 'FAILED'],
  BUSY: ['RUNNING', 'BUSY', 'SKIPPED', 'FAILED'],
  RUNNING: ['SUCCEEDED', 'FAILED'],
  FAILED: ['PENDING'],
  SUCCEEDED: [],
  SKIPPED: [],
};

/** The status a cluster takes when a job of each operation starts on it. */
export const STATUS_WHILE_RUNNING: Readonly<Record<OperationType, ClusterStatus>> = {
  CREATE: 'PROVISIONING',
  DELETE: 'DELETING',
  UPDATE: 'UPDATING',
  ADD_DATASOURCE: 'UPDATING',
  REMOVE_DATASOURCE: 'UPDATING',
};

/** The statuses from which an entity may move to `target`: the condition of every write that moves it there. */
function sourcesOf<S extends string>(transitions: Readonly<Record<S, readonly S[]>>, target: S): S[] {
  return (Object.keys(transitions) as S[]).filter((from) => transitions[from].includes(target));
}

export const clusterStatusesLeadingTo = (target: ClusterStatus) => sourcesOf(CLUSTER_TRANSITIONS, target);
export const datasourceStatusesLeadingTo = (target: DatasourceStatus) => sourcesOf(DATASOURCE_TRANSITIONS, target);
export const jobStatusesLeadingTo = (target: JobStatus) => sourcesOf(JOB_TRANSITIONS, target);
export const upgradeStatusesLeadingTo = (target: UpgradeStatus) => sourcesOf(UPGRADE_TRANSITIONS, target);
export const clusterUpgradeStatusesLeadingTo = (target: ClusterUpgradeStatus) => sourcesOf(CLUSTER_UPGRADE_TRANSITIONS, target);
