import type { Cluster, CreateClusterRequest, Datasource, JobAccepted, ListClustersQuery, ProvisioningJob, UpdateClusterRequest } from '../../lib/contract/api';
import { newClusterId, newJobId } from '../../lib/contract/ids';
import type { Caller } from '../core/callers';
import {
  createClusterItems,
  getCluster,
  jobAcceptedEvent,
  listClusterEvents,
  listClustersOfTeam,
  newJob,
  startJobItems,
} from '../core/cluster-store';
import { badRequest, conflict, notEntitled, notFound } from '../core/problems';
import { transact, TransactionConflict, type TransactItem } from '../core/state-store';
import { STATUS_WHILE_RUNNING, clusterStatusesLeadingTo } from '../core/transitions';
import { commitWithAnswer } from './commit';
import type { Dependencies, OperationContext, OperationResult } from './operation';
import type { Operations } from './router';

type TeamCaller = Extract<Caller, { kind: 'team' }>;
export const teamOf = (context: OperationContext) => (context.caller as TeamCaller).team;

/** The cluster of the caller's team, or 404 (another team's cluster does not exist for it). */
export async function ownCluster(context: OperationContext<{ clusterId: string }>): Promise<Cluster> {
  const cluster = await getCluster(context.deps.tables, context.params.clusterId);
  if (!cluster || cluster.teamId !== teamOf(context).teamId) throw notFound(`Cluster ${context.params.clusterId}`);
  return cluster;
}

/** The 202 of a job start: the job's link in Location, what it acts on in the body. */
export function accepted(job: ProvisioningJob, cluster: Cluster, datasource?: Datasource): OperationResult {
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

/** Hands an accepted job to the workflow; a failure leaves it PENDING for the reconciler, never fails the call. */
export async function startJob(deps: Dependencies, job: ProvisioningJob): Promise<void> {
  try {
    await deps.jobStarter.start(job);
  } catch (error) {
    deps.warn('Job left PENDING for the reconciler: start failed', { jobId: job.jobId, error: String(error) });
  }
}

async function createCluster(context: OperationContext<{}, unknown, CreateClusterRequest>): Promise<OperationResult> {
  const { deps, body, time } = context;
  const team = teamOf(context);
  if (!deps.config.environments[body.environment]) {
    throw badRequest(`Environment ${body.environment} is not offered by this platform.`, [
      { field: 'body.environment', message: `one of ${Object.keys(deps.config.environments).join(', ')}` },
    ]);
  }
  if (!team.entitlements.environments.includes(body.environment)) {
    throw notEntitled(`Team ${team.teamId} is not entitled to environment ${body.environment} (entitled: ${team.entitlements.environments.join(', ')}).`, 'body.environment');
  }
  if (!team.entitlements.tiers.includes(body.tier)) {
    throw notEntitled(`Team ${team.teamId} is not entitled to tier ${body.tier} (entitled: ${team.entitlements.tiers.join(', ')}).`, 'body.tier');
  }

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

  const items: TransactItem[] = [
    ...createClusterItems(deps.tables, cluster, job, jobAcceptedEvent(job, cluster.status)),
    context.audit(`cluster/${cluster.clusterId}`, { jobId: job.jobId, tier: body.tier, environment: body.environment }),
  ];
  await commitWithAnswer(context, items, answer, (error) => {
    if (error.failedIndexes.includes(0)) {
      throw notEntitled(`Team ${team.teamId} has reached its quota of ${team.entitlements.maxClusters} cluster(s); delete one or ask the platform team for more.`);
    }
    throw conflict('The request conflicted with a concurrent change; retry it.');
  });
  await startJob(deps, job);
  return answer;
}

async function listClusters(context: OperationContext<{}, ListClustersQuery>): Promise<OperationResult> {
  return { status: 200, body: await listClustersOfTeam(context.deps.tables, teamOf(context).teamId, context.query) };
}

async function getClusterOperation(context: OperationContext<{ clusterId: string }>): Promise<OperationResult> {
  return { status: 200, body: await ownCluster(context) };
}

/**
 * Starts a DELETE or UPDATE job on a cluster of the caller's team: refused (409) while another job
 * is in flight or from a status the transition table does not allow; the conditional write makes
 * the check and the start one step, so two concurrent calls cannot both get through.
 */
async function startJobOnCluster(
  context: OperationContext<{ clusterId: string }>,
  cluster: Cluster,
  operationType: 'DELETE' | 'UPDATE',
  changes: Partial<Pick<Cluster, 'tier'>> = {},
): Promise<OperationResult> {
  const { deps, time } = context;
  const target = STATUS_WHILE_RUNNING[operationType];
  if (cluster.activeJobId) throw conflict(`Job ${cluster.activeJobId} is in flight on cluster ${cluster.clusterId}; wait for it to finish.`);
  if (!clusterStatusesLeadingTo(target).includes(cluster.status)) {
    throw conflict(`Cluster ${cluster.clusterId} is ${cluster.status}: a ${operationType} job can start only from ${clusterStatusesLeadingTo(target).join(', ')}.`);
  }
  const job = newJob(cluster, newJobId(), operationType, time);
  const running: Cluster = { ...cluster, ...changes, status: target, activeJobId: job.jobId, updatedAt: time };
  try {
    await transact(deps.tables, [
      ...startJobItems(deps.tables, cluster, job, jobAcceptedEvent(job, running.status), changes),
      context.audit(`cluster/${cluster.clusterId}`, { jobId: job.jobId, ...changes }),
    ]);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    const current = await getCluster(deps.tables, cluster.clusterId);
    throw conflict(`Cluster ${cluster.clusterId} changed concurrently (now ${current?.status}${current?.activeJobId ? `, job ${current.activeJobId} in flight` : ''}).`);
  }
  await startJob(deps, job);
  return accepted(job, running);
}

async function deleteCluster(context: OperationContext<{ clusterId: string }>): Promise<OperationResult> {
  return startJobOnCluster(context, await ownCluster(context), 'DELETE');
}

/** A tier change: the cluster is redeployed at the new size through the same path as a create. */
async function updateCluster(context: OperationContext<{ clusterId: string }, unknown, UpdateClusterRequest>): Promise<OperationResult> {
  const cluster = await ownCluster(context);
  const team = teamOf(context);
  const { tier } = context.body;
  if (!team.entitlements.tiers.includes(tier)) {
    throw notEntitled(`Team ${team.teamId} is not entitled to tier ${tier} (entitled: ${team.entitlements.tiers.join(', ')}).`, 'body.tier');
  }
  if (tier === cluster.tier) throw conflict(`Cluster ${cluster.clusterId} is already tier ${tier}.`);
  return startJobOnCluster(context, cluster, 'UPDATE', { tier });
}

async function listClusterEventsOperation(context: OperationContext<{ clusterId: string }, { limit: number; nextToken?: string }>): Promise<OperationResult> {
  const cluster = await ownCluster(context);
  return { status: 200, body: await listClusterEvents(context.deps.tables, cluster.clusterId, context.query) };
}

export const clusterOperations: Operations = {
  createCluster,
  listClusters,
  getCluster: getClusterOperation,
  updateCluster,
  deleteCluster,
  listClusterEvents: listClusterEventsOperation,
};
