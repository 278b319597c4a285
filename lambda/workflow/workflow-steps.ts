import type { EnvironmentConfig, PlatformConfig } from '../../lib/config/platform-config';
import type { ProvisioningJob } from '../../lib/contract/api';
import { DocumentError } from '../../lib/contract/documents';
import { mandatoryTags, starburstRoleArn } from '../../lib/contract/tenant-spec';
import { StepInvocation, type ExecutionState, type JobContext, type SpecLocation, type WorkflowStep } from '../../lib/contract/workflow';
import { SOURCE_VERSION } from '../core/source-version';
import { allocateVpcCidr, getClusterRecord, recordDeployment, recordTenantSpec, type ClusterRecord } from '../core/cluster-store';
import { DEPLOYED_DATASOURCE_STATUSES, datasourcesOfCluster, getDatasource, toTenantDatasource } from '../core/datasource-store';
import { clusterRefusal, datasourceRefusal } from '../core/entitlements';
import { recordEvent } from '../core/event-store';
import { completeJobItems, failJobItems, rejectDatasourceItems } from '../core/job-lifecycle';
import { recordIngestToken, type IngestTokenSource } from '../core/ingest-tokens';
import { getJob, markJobRunning } from '../core/job-store';
import { transact, TransactionConflict, type Tables } from '../core/tables';
import { getTeam } from '../core/team-store';
import { tenantSpecOf } from '../core/tenant-specs';
import type { AccessProbe, SpecStore, TenantOutputsReader, TenantPolicyPrecheck } from './ports';
import { PermanentError, TransientError } from './workflow-errors';

/**
 * The steps of the provisioning workflow, one function each, called by the state machine's Lambda
 * task states (in AWS through workflow-steps.handler.ts, locally straight from the local runtime).
 * Every step is idempotent: run twice, it finds its work done and changes nothing more. The steps
 * orchestrate; what they write and the rules they apply are the core's.
 */

export interface WorkflowDependencies {
  readonly tables: Tables;
  readonly config: PlatformConfig;
  readonly specs: SpecStore;
  readonly outputs: TenantOutputsReader;
  /** Checks a new datasource as the cluster will reach it, before it becomes ACTIVE. */
  readonly access: AccessProbe;
  /** Checks the generated tenant policy before a deploy; absent where IAM's policy simulator cannot be reached (locally). */
  readonly precheck?: TenantPolicyPrecheck;
  /** Where a deployed cluster's ingest token is: its digest is recorded with the endpoint. @default none: no token recorded, the ingest route refuses the cluster */
  readonly ingestTokens?: IngestTokenSource;
  readonly now: () => Date;
}

/** What failing a job needs: the reconciler fails stuck jobs with nothing else. */
export type FailJobDependencies = Pick<WorkflowDependencies, 'tables' | 'now'>;

type Step = (deps: WorkflowDependencies, state: ExecutionState) => Promise<unknown>;

const STEPS: Record<WorkflowStep, Step> = {
  startJob,
  validateEntitlement,
  allocateCluster,
  writeTenantSpec,
  registerEndpoint,
  validateAccess,
  rejectDatasource,
  completeJob,
  failJob,
};

export async function runStep(deps: WorkflowDependencies, invocation: unknown): Promise<unknown> {
  const parsed = StepInvocation.safeParse(invocation);
  if (!parsed.success) throw new PermanentError(`Not a workflow step invocation: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  try {
    return (await STEPS[parsed.data.step](deps, parsed.data.state)) ?? null;
  } catch (error) {
    if (error instanceof TransactionConflict) throw new TransientError(`A concurrent change got there first (${error.message}); retrying`);
    throw error;
  }
}

// ---- the steps ---------------------------------------------------------------------------------

async function startJob(deps: WorkflowDependencies, state: ExecutionState): Promise<JobContext> {
  const job = await requireJob(deps, state.jobId);
  if (job.status === 'PENDING') {
    if (await markJobRunning(deps.tables, job)) await recordEvent(deps, job, 'JOB_RUNNING', `${job.operationType} job ${job.jobId} started`);
  } else if (job.status !== 'RUNNING') {
    throw new PermanentError(`Job ${job.jobId} is already ${job.status}`);
  }
  return { jobId: job.jobId, clusterId: job.clusterId, operationType: job.operationType };
}

/** The team's entitlements are checked again: they may have been lowered since the job was accepted. */
async function validateEntitlement(deps: WorkflowDependencies, state: ExecutionState): Promise<void> {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  const team = await getTeam(deps.tables, cluster.teamId, true);
  if (!team) throw new PermanentError(`Team ${cluster.teamId} is no longer registered`);
  const refusal =
    clusterRefusal(team, deps.config, cluster) ??
    (job.operationType === 'ADD_DATASOURCE' ? datasourceRefusal(team, deps.config, await requireDatasource(deps, job)) : undefined);
  if (refusal) throw new PermanentError(`No longer allowed: ${refusal.detail}`);
  await recordEvent(deps, job, 'ENTITLEMENT_VALIDATED', `Team ${team.teamId} is entitled to tier ${cluster.tier} in ${cluster.environment}`);
}

async function allocateCluster(deps: WorkflowDependencies, state: ExecutionState) {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  let vpcCidr = cluster.vpcCidr;
  if (!vpcCidr) {
    vpcCidr = await allocateVpcCidr(deps.tables, cluster, deps.config.network.tenantCidrPool);
    await recordEvent(deps, job, 'CLUSTER_ALLOCATED', `VPC ${vpcCidr} allocated`);
  }
  return { vpcCidr, tags: mandatoryTags(cluster) };
}

async function writeTenantSpec(deps: WorkflowDependencies, state: ExecutionState): Promise<SpecLocation> {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  const environment = requireEnvironment(deps, cluster);
  const { vpcCidr } = cluster;
  if (!vpcCidr) throw new PermanentError(`Cluster ${cluster.clusterId} has no VPC allocated`);
  const datasources = (await datasourcesOfCluster(deps.tables, cluster.clusterId, DEPLOYED_DATASOURCE_STATUSES)).map(toTenantDatasource);
  const team = await getTeam(deps.tables, cluster.teamId, true);
  if (!team) throw new PermanentError(`Team ${cluster.teamId} is no longer registered`);
  let spec;
  try {
    spec = tenantSpecOf({ ...cluster, vpcCidr }, environment, datasources, team.groups, deps.config);
  } catch (error) {
    if (error instanceof DocumentError) throw new PermanentError(error.message);
    throw error;
  }
  if (spec.datasources.length > 0) {
    const precheck = deps.precheck
      ? await deps.precheck.check(spec)
      : "Tenant policy pre-check skipped: IAM's policy simulator needs AWS (local control plane)";
    await recordEvent(deps, job, 'TENANT_POLICY_CHECKED', precheck);
  }
  const location = await deps.specs.put(spec);
  await recordTenantSpec(deps.tables, cluster.clusterId, location, spec.engine);
  await recordEvent(deps, job, 'TENANT_SPEC_WRITTEN', `TenantSpec version ${location.version} written to ${location.uri}`);
  return location;
}

async function registerEndpoint(deps: WorkflowDependencies, state: ExecutionState) {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  const outputs = await deps.outputs.read(cluster);
  const deployed = { endpoint: outputs.queryEndpoint, vpcId: outputs.vpcId, eksClusterArn: outputs.eksClusterArn, iamRoleArn: outputs.starburstRoleArn };
  await recordDeployment(deps.tables, cluster.clusterId, { ...deployed, sourceVersion: SOURCE_VERSION });
  if (deps.ingestTokens) {
    const token = await deps.ingestTokens.currentToken(cluster);
    if (!token) throw new TransientError(`Cluster ${cluster.clusterId} has no ingest token yet`);
    await recordIngestToken(deps.tables, cluster.clusterId, token);
  }
  await recordEvent(deps, job, 'ENDPOINT_REGISTERED', `Query endpoint ${outputs.queryEndpoint} registered`);
  return deployed;
}

/** An ADD_DATASOURCE job's datasource must be reachable exactly as generated before it becomes ACTIVE. */
async function validateAccess(deps: WorkflowDependencies, state: ExecutionState): Promise<void> {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  if (job.operationType !== 'ADD_DATASOURCE') return;
  const ds = await requireDatasource(deps, job);
  if (ds.status !== 'PENDING') return; // rejected earlier in this job: the spec no longer has it
  const environment = requireEnvironment(deps, cluster);
  const checked = await deps.access.check({
    clusterId: cluster.clusterId,
    environment,
    starburstRoleArn: starburstRoleArn(cluster.clusterId, environment),
    datasource: toTenantDatasource(ds),
  });
  await recordEvent(deps, job, 'DATASOURCE_ACCESS_VALIDATED', `Datasource ${ds.datasourceId}: ${checked}`);
}

/**
 * The datasource failed its access validation: it becomes FAILED with the reason, and the workflow
 * writes and deploys the spec again without it, so the cluster ends as it was before the job.
 */
async function rejectDatasource(deps: WorkflowDependencies, state: ExecutionState): Promise<void> {
  const job = await requireJob(deps, state.jobId);
  const ds = await requireDatasource(deps, job);
  if (ds.status !== 'PENDING') return;
  await transact(deps.tables, rejectDatasourceItems(deps.tables, job, ds, causeOf(state.error), deps.now().toISOString()));
}

async function completeJob(deps: WorkflowDependencies, state: ExecutionState): Promise<void> {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return;
  const ds = job.datasourceId ? await requireDatasource(deps, job) : undefined;
  await transact(deps.tables, await completeJobItems(deps.tables, job, cluster, ds, deps.now().toISOString()));
}

/** Fails a job with the error of the state that failed; also the reconciler's way to end a stuck job. */
export async function failJob(deps: FailJobDependencies, state: ExecutionState): Promise<void> {
  const job = await requireJob(deps, state.jobId);
  if (job.status === 'FAILED' || job.status === 'SUCCEEDED') return;
  const cluster = await requireCluster(deps, job.clusterId);
  const ds = job.datasourceId ? await getDatasource(deps.tables, job.clusterId, job.datasourceId) : undefined;
  const errorDetails = { step: state.failedState ?? 'unknown', cause: causeOf(state.error) };
  await transact(deps.tables, failJobItems(deps.tables, job, cluster, ds, errorDetails, deps.now().toISOString()));
}

// ---- helpers -------------------------------------------------------------------------------------

async function requireJob(deps: Pick<WorkflowDependencies, 'tables'>, jobId: string): Promise<ProvisioningJob> {
  const job = await getJob(deps.tables, jobId);
  if (!job) throw new PermanentError(`Job ${jobId} does not exist`);
  return job;
}

async function requireCluster(deps: Pick<WorkflowDependencies, 'tables'>, clusterId: string): Promise<ClusterRecord> {
  const cluster = await getClusterRecord(deps.tables, clusterId);
  if (!cluster) throw new PermanentError(`Cluster ${clusterId} does not exist`);
  return cluster;
}

async function requireJobAndCluster(deps: WorkflowDependencies, state: ExecutionState) {
  const job = await requireJob(deps, state.jobId);
  return { job, cluster: await requireCluster(deps, job.clusterId) };
}

async function requireDatasource(deps: WorkflowDependencies, job: ProvisioningJob) {
  if (!job.datasourceId) throw new PermanentError(`${job.operationType} job ${job.jobId} names no datasource`);
  const ds = await getDatasource(deps.tables, job.clusterId, job.datasourceId);
  if (!ds) throw new PermanentError(`Datasource ${job.datasourceId} of cluster ${job.clusterId} does not exist`);
  return ds;
}

function requireEnvironment(deps: WorkflowDependencies, cluster: ClusterRecord): EnvironmentConfig {
  const environment = deps.config.environments[cluster.environment];
  if (!environment) throw new PermanentError(`Environment ${cluster.environment} is not configured`);
  return environment;
}

/** The human part of a Step Functions error cause (a Lambda's cause is JSON with errorMessage). */
function causeOf(error: ExecutionState['error']): string {
  if (!error) return 'unknown error';
  let cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; message?: unknown } | null;
    const message = parsed?.errorMessage ?? parsed?.message;
    if (typeof message === 'string') cause = message;
  } catch {
    // a plain-text cause
  }
  return `${error.Error}: ${cause}`.slice(0, 1000);
}
