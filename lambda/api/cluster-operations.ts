import type { Cluster, Datasource, JobAccepted, OperationType, ProvisioningJob } from '../../lib/contract/api';
import type { OperationId } from '../../lib/contract/routes';
import { newClusterId, newJobId } from '../../lib/contract/ids';
import { getCluster, getClusterRecord, listClustersOfTeam, toCluster, type ClusterChanges, type ClusterRecord } from '../core/cluster-store';
import { clusterRefusal, quotaRefusal, tierRefusal } from '../core/entitlements';
import { listClusterEvents } from '../core/event-store';
import { acceptJobItems, createClusterItems, QUOTA_ITEM_INDEX } from '../core/job-lifecycle';
import { newJob } from '../core/job-store';
import { conflict, notFound, refusalProblem } from '../core/problems';
import { transact, TransactionConflict } from '../core/tables';
import { clusterStatusesLeadingTo, STATUS_WHILE_RUNNING } from '../core/transitions';
import { auditEntity } from '../core/audit-log';
import type { TeamCaller } from '../core/callers';
import { commitWithAnswer } from './commit-with-answer';
import type { Dependencies, OperationContext, OperationResult, Operations } from './operation';

/** What the cluster routes share: the caller's team and a cluster id in the path. */
export interface ClusterRequest {
  readonly deps: Dependencies;
  readonly caller: TeamCaller;
  readonly params: { readonly clusterId: string };
}

/** The cluster of the caller's team with what the platform keeps on it (engine pins), or 404 (another team's cluster does not exist for it). */
export async function ownClusterRecord(context: ClusterRequest): Promise<ClusterRecord> {
  const record = await getClusterRecord(context.deps.tables, context.params.clusterId);
  if (!record || record.teamId !== context.caller.team.teamId) throw notFound(`Cluster ${context.params.clusterId}`);
  return record;
}

/** The cluster of the caller's team as the API shows it, or 404. */
export async function ownCluster(context: ClusterRequest): Promise<Cluster> {
  return toCluster(await ownClusterRecord(context));
}

/** The 202 of a job start: the job's link in Location, what it acts on in the body. */
export function accepted(job: ProvisioningJob, cluster: Cluster, datasource?: Datasource): { status: 202; body: JobAccepted; headers: Record<string, string> } {
  const clusterLink = `/clusters/${cluster.clusterId}`;
  const body: JobAccepted = {
    jobId: job.jobId,
    operationType: job.operationType,
    cluster,
    ...(datasource ? { datasource } : {}),
    links: {
      job: `/jobs/${job.jobId}`,
      cluster: clusterLink,
      events: `${clusterLink}/events`,
      ...(datasource ? { datasource: `${clusterLink}/datasources/${datasource.datasourceId}`, setup: datasource.links.setup } : {}),
    },
  };
  return { status: 202, body, headers: { location: body.links.job } };
}

/** The cluster as its new job leaves it: in the job's running status, held by the job. */
export function heldBy(cluster: Cluster, job: ProvisioningJob, changes: ClusterChanges = {}): Cluster {
  return { ...cluster, ...changes, status: STATUS_WHILE_RUNNING[job.operationType], activeJobId: job.jobId, updatedAt: job.startedAt };
}

/** Hands an accepted job to the workflow; a failure leaves it PENDING for the reconciler, never fails the call. */
export async function startJob(deps: Dependencies, job: ProvisioningJob): Promise<void> {
  try {
    await deps.jobStarter.start(job);
  } catch (error) {
    deps.warn('Job left PENDING for the reconciler: start failed', { jobId: job.jobId, error: String(error) });
  }
}

/** The 409 of a job start that lost a race with another change to its cluster. */
export async function changedConcurrently(deps: Dependencies, clusterId: string, advice = ''): Promise<never> {
  const current = await getCluster(deps.tables, clusterId);
  throw conflict(`Cluster ${clusterId} changed concurrently (now ${current?.status}${current?.activeJobId ? `, job ${current.activeJobId} in flight` : ''})${advice}.`);
}

async function createCluster(context: OperationContext<'createCluster'>): Promise<OperationResult<'createCluster'>> {
  const { deps, body, time } = context;
  const team = context.caller.team;
  const refusal = clusterRefusal(team, deps.config, body);
  if (refusal) throw refusalProblem(refusal);

  const cluster: Cluster = {
    clusterId: newClusterId(),
    teamId: team.teamId,
    ...(body.name ? { name: body.name } : {}),
    environment: body.environment,
    tier: body.tier,
    status: STATUS_WHILE_RUNNING.CREATE,
    endpoint: null,
    createdAt: time,
    updatedAt: time,
  };
  const job = newJob(cluster, newJobId(), 'CREATE', time);
  cluster.activeJobId = job.jobId;
  const answer = accepted(job, cluster);

  const items = [
    ...createClusterItems(deps.tables, cluster, job),
    context.audit(auditEntity({ clusterId: cluster.clusterId }, 'clusters'), { jobId: job.jobId, tier: body.tier, environment: body.environment }),
  ];
  await commitWithAnswer(context, items, answer, (error) => {
    if (error.failedIndexes.includes(QUOTA_ITEM_INDEX)) throw refusalProblem(quotaRefusal(team));
    throw conflict('The request conflicted with a concurrent change; retry it.');
  });
  await startJob(deps, job);
  return answer;
}

async function listClusters(context: OperationContext<'listClusters'>): Promise<OperationResult<'listClusters'>> {
  return { status: 200, body: await listClustersOfTeam(context.deps.tables, context.caller.team.teamId, context.query) };
}

async function getClusterOperation(context: OperationContext<'getCluster'>): Promise<OperationResult<'getCluster'>> {
  return { status: 200, body: await ownCluster(context) };
}

/**
 * Starts a DELETE or UPDATE job on a cluster of the caller's team: refused (409) while another job
 * is in flight or from a status the transition table does not allow; the conditional write makes
 * the check and the start one step, so two concurrent calls cannot both get through.
 */
async function startJobOnCluster(
  context: Pick<OperationContext<OperationId>, 'deps' | 'time' | 'audit'>,
  cluster: Cluster,
  operationType: Extract<OperationType, 'DELETE' | 'UPDATE'>,
  changes: ClusterChanges = {},
) {
  const { deps, time } = context;
  const sources = clusterStatusesLeadingTo(STATUS_WHILE_RUNNING[operationType]);
  if (cluster.activeJobId) throw conflict(`Job ${cluster.activeJobId} is in flight on cluster ${cluster.clusterId}; wait for it to finish.`);
  if (!sources.includes(cluster.status)) {
    throw conflict(`Cluster ${cluster.clusterId} is ${cluster.status}: a ${operationType} job can start only from ${sources.join(', ')}.`);
  }
  const job = newJob(cluster, newJobId(), operationType, time);
  try {
    await transact(deps.tables, [...acceptJobItems(deps.tables, cluster, job, { changes }), context.audit(auditEntity({ clusterId: cluster.clusterId }, 'clusters'), { jobId: job.jobId, ...changes })]);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    await changedConcurrently(deps, cluster.clusterId);
  }
  await startJob(deps, job);
  return accepted(job, heldBy(cluster, job, changes));
}

async function deleteCluster(context: OperationContext<'deleteCluster'>): Promise<OperationResult<'deleteCluster'>> {
  return startJobOnCluster(context, await ownCluster(context), 'DELETE');
}

/** A tier change: the cluster is redeployed at the new size through the same path as a create. */
async function updateCluster(context: OperationContext<'updateCluster'>): Promise<OperationResult<'updateCluster'>> {
  const cluster = await ownCluster(context);
  const { tier } = context.body;
  const refusal = tierRefusal(context.caller.team, tier);
  if (refusal) throw refusalProblem(refusal);
  if (tier === cluster.tier) throw conflict(`Cluster ${cluster.clusterId} is already tier ${tier}.`);
  return startJobOnCluster(context, cluster, 'UPDATE', { tier });
}

async function listClusterEventsOperation(context: OperationContext<'listClusterEvents'>): Promise<OperationResult<'listClusterEvents'>> {
  const cluster = await ownCluster(context);
  return { status: 200, body: await listClusterEvents(context.deps.tables, cluster.clusterId, context.query) };
}

export const clusterOperations: Operations<'createCluster' | 'listClusters' | 'getCluster' | 'updateCluster' | 'deleteCluster' | 'listClusterEvents'> = {
  createCluster,
  listClusters,
  getCluster: getClusterOperation,
  updateCluster,
  deleteCluster,
  listClusterEvents: listClusterEventsOperation,
};
