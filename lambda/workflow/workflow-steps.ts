import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PlatformConfig } from '../../lib/config/platform-config';
import type { ClusterStatus, ProvisioningJob } from '../../lib/contract/api';
import { DocumentError } from '../../lib/contract/documents';
import { mandatoryTags, parseTenantSpec, starburstRoleArn, type TenantSpec } from '../../lib/contract/tenant-spec';
import { STATE_NAMES, StepInvocation, type ExecutionState, type JobContext, type SpecLocation, type WorkflowStep } from '../../lib/contract/workflow';
import { auditPut } from '../core/audit-log';
import { getTeam, teamKey } from '../core/callers';
import { clusterKey, eventItem, getClusterRecord, getJob, jobKey, type ClusterRecord } from '../core/cluster-store';
import { DEPLOYED_DATASOURCE_STATUSES, datasourcesOfCluster, getDatasource, moveDatasource, toTenantDatasource } from '../core/datasource-store';
import { transact, TransactionConflict, type Tables, type TransactItem } from '../core/state-store';
import { clusterStatusesLeadingTo } from '../core/transitions';
import { nthTenantCidr } from './cidr-allocation';
import type { AccessProbe, SpecStore, TenantOutputsReader, TenantPolicyPrecheck } from './ports';
import { PermanentError, TransientError } from './workflow-errors';

/**
 * The steps of the provisioning workflow, one function each, called by the state machine's Lambda
 * task states (in AWS through lambda/workflow/steps.ts, locally straight from the local runtime).
 * Every step is idempotent: run twice, it finds its work done and changes nothing more.
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
  readonly now: () => Date;
}

export const WORKFLOW_ACTOR = 'sici-workflow';
export const RUNNING_JOBS_PARTITION = 'RUNNING';

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
    try {
      await deps.tables.doc.send(
        new UpdateCommand({
          TableName: deps.tables.stateTable,
          Key: jobKey(job.jobId),
          UpdateExpression: 'SET #status = :running, gsi2pk = :partition, gsi2sk = :sort',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':running': 'RUNNING', ':pending': 'PENDING', ':partition': RUNNING_JOBS_PARTITION, ':sort': `${job.startedAt}#${job.jobId}` },
        }),
      );
      await recordEvent(deps, job, 'JOB_RUNNING', `${job.operationType} job ${job.jobId} started`);
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  } else if (job.status !== 'RUNNING') {
    throw new PermanentError(`Job ${job.jobId} is already ${job.status}`);
  }
  return { jobId: job.jobId, clusterId: job.clusterId, operationType: job.operationType };
}

async function validateEntitlement(deps: WorkflowDependencies, state: ExecutionState): Promise<void> {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  const team = await getTeam(deps.tables, cluster.teamId, true);
  if (!team) throw new PermanentError(`Team ${cluster.teamId} is no longer registered`);
  const { entitlements } = team;
  if (!deps.config.environments[cluster.environment]) throw new PermanentError(`Environment ${cluster.environment} is no longer offered by the platform`);
  if (!entitlements.environments.includes(cluster.environment)) throw new PermanentError(`Team ${team.teamId} is no longer entitled to environment ${cluster.environment}`);
  if (!entitlements.tiers.includes(cluster.tier)) throw new PermanentError(`Team ${team.teamId} is no longer entitled to tier ${cluster.tier}`);
  if (job.operationType === 'ADD_DATASOURCE') {
    const ds = await requireDatasource(deps, job);
    if (!deps.config.approvedConnectors.includes(ds.type)) throw new PermanentError(`Connector type ${ds.type} is no longer approved by the platform`);
    if (ds.accessMode === 'read-write' && !entitlements.readWriteDatasources) throw new PermanentError(`Team ${team.teamId} is no longer entitled to read-write datasources`);
    if (entitlements.dataAccounts && !entitlements.dataAccounts.includes(ds.externalAccountId)) {
      throw new PermanentError(`Team ${team.teamId} may no longer add datasources from account ${ds.externalAccountId}`);
    }
  }
  await recordEvent(deps, job, 'ENTITLEMENT_VALIDATED', `Team ${team.teamId} is entitled to tier ${cluster.tier} in ${cluster.environment}`);
}

async function allocateCluster(deps: WorkflowDependencies, state: ExecutionState) {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  let vpcCidr = cluster.vpcCidr;
  if (!vpcCidr) {
    const { Attributes } = await deps.tables.doc.send(
      new UpdateCommand({
        TableName: deps.tables.stateTable,
        Key: { pk: `CIDR#${cluster.environment}`, sk: 'COUNTER' },
        UpdateExpression: 'ADD allocated :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const candidate = nthTenantCidr(deps.config.network.tenantCidrPool, (Attributes!.allocated as number) - 1);
    try {
      await deps.tables.doc.send(
        new UpdateCommand({
          TableName: deps.tables.stateTable,
          Key: clusterKey(cluster.clusterId),
          UpdateExpression: 'SET vpcCidr = :cidr',
          ConditionExpression: 'attribute_not_exists(vpcCidr)',
          ExpressionAttributeValues: { ':cidr': candidate },
        }),
      );
      vpcCidr = candidate;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      vpcCidr = (await requireCluster(deps, cluster.clusterId)).vpcCidr!; // a retry of this step allocated first
    }
    await recordEvent(deps, job, 'CLUSTER_ALLOCATED', `VPC ${vpcCidr} allocated`);
  }
  return { vpcCidr, tags: mandatoryTags(cluster) };
}

async function writeTenantSpec(deps: WorkflowDependencies, state: ExecutionState): Promise<SpecLocation> {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  const environment = deps.config.environments[cluster.environment];
  if (!environment) throw new PermanentError(`Environment ${cluster.environment} is not configured`);
  if (!cluster.vpcCidr) throw new PermanentError(`Cluster ${cluster.clusterId} has no VPC allocated`);
  // A cluster keeps the engine it was created with until an upgrade moves it.
  const engine = cluster.enginePins ?? deps.config.engine;
  let spec: TenantSpec;
  try {
    spec = parseTenantSpec(
      {
        clusterId: cluster.clusterId,
        teamId: cluster.teamId,
        environment: cluster.environment,
        tier: cluster.tier,
        vpcCidr: cluster.vpcCidr,
        engine,
        datasources: (await datasourcesOfCluster(deps.tables, cluster.clusterId, DEPLOYED_DATASOURCE_STATUSES)).map(toTenantDatasource),
        accessGroups: [cluster.teamId],
        ingest: {
          endpoint: `${deps.config.ingestEndpoint.replace(/\/$/, '')}/clusters/${cluster.clusterId}/queries`,
          tokenSecretName: `sici/${cluster.clusterId}/ingest-token`,
        },
        queryEndpoint: { hostname: `${cluster.clusterId}.${environment.queryDomain}`, certificateArn: environment.certificateArn },
        tags: {},
      },
      `TenantSpec of ${cluster.clusterId}`,
    );
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
  await deps.tables.doc.send(
    new UpdateCommand({
      TableName: deps.tables.stateTable,
      Key: clusterKey(cluster.clusterId),
      UpdateExpression: 'SET specUri = :uri, specVersion = :version, enginePins = if_not_exists(enginePins, :engine)',
      ExpressionAttributeValues: { ':uri': location.uri, ':version': location.version, ':engine': engine },
    }),
  );
  await recordEvent(deps, job, 'TENANT_SPEC_WRITTEN', `TenantSpec version ${location.version} written to ${location.uri}`);
  return location;
}

async function registerEndpoint(deps: WorkflowDependencies, state: ExecutionState) {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  const outputs = await deps.outputs.read(cluster);
  const fields = { endpoint: outputs.queryEndpoint, vpcId: outputs.vpcId, eksClusterArn: outputs.eksClusterArn, iamRoleArn: outputs.starburstRoleArn };
  const known = Object.entries(fields).filter(([, value]) => value !== undefined);
  const unknown = Object.entries(fields).filter(([, value]) => value === undefined);
  await deps.tables.doc.send(
    new UpdateCommand({
      TableName: deps.tables.stateTable,
      Key: clusterKey(cluster.clusterId),
      UpdateExpression: `SET ${known.map(([name]) => `${name} = :${name}`).join(', ')}${unknown.length ? ` REMOVE ${unknown.map(([name]) => name).join(', ')}` : ''}`,
      ExpressionAttributeValues: Object.fromEntries(known.map(([name, value]) => [`:${name}`, value])),
    }),
  );
  await recordEvent(deps, job, 'ENDPOINT_REGISTERED', `Query endpoint ${outputs.queryEndpoint} registered`);
  return { endpoint: outputs.queryEndpoint, vpcId: outputs.vpcId, eksClusterArn: outputs.eksClusterArn, iamRoleArn: outputs.starburstRoleArn };
}

/** An ADD_DATASOURCE job's datasource must be reachable exactly as generated before it becomes ACTIVE. */
async function validateAccess(deps: WorkflowDependencies, state: ExecutionState): Promise<void> {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  if (job.operationType !== 'ADD_DATASOURCE') return;
  const ds = await requireDatasource(deps, job);
  if (ds.status !== 'PENDING') return; // rejected earlier in this job: the spec no longer has it
  const environment = deps.config.environments[cluster.environment];
  if (!environment) throw new PermanentError(`Environment ${cluster.environment} is not configured`);
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
  const now = deps.now().toISOString();
  const reason = causeOf(state.error);
  await transact(deps.tables, [
    moveDatasource(deps.tables, ds, 'FAILED', { jobId: job.jobId, now, reason }),
    putEvent(deps, job, 'DATASOURCE_REJECTED', `Datasource ${ds.datasourceId} failed access validation and is taken out of the cluster again: ${reason}`, now),
    workflowAudit(deps, job, 'rejectDatasource', now, { datasourceId: ds.datasourceId, reason }),
  ]);
}

async function completeJob(deps: WorkflowDependencies, state: ExecutionState): Promise<void> {
  const { job, cluster } = await requireJobAndCluster(deps, state);
  if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return;
  const target: ClusterStatus = job.operationType === 'DELETE' ? 'DELETED' : 'ACTIVE';
  const now = deps.now().toISOString();
  const ds = job.datasourceId ? await requireDatasource(deps, job) : undefined;
  // A rejected datasource fails its job, while the cluster, redeployed without it, is ACTIVE again.
  if (job.operationType === 'ADD_DATASOURCE' && ds?.status === 'FAILED') {
    const errorDetails = { step: STATE_NAMES.validateAccess, cause: ds.statusReason ?? 'access validation failed' };
    await transact(deps.tables, [
      finishJob(deps, job, 'FAILED', now, errorDetails),
      moveCluster(deps, cluster, job, target, now),
      putEvent(deps, job, 'JOB_FAILED', `${job.operationType} job ${job.jobId} failed: datasource ${ds.datasourceId} was rejected; cluster is ${target} without it`, now, target),
      workflowAudit(deps, job, 'completeJob', now, { status: target, datasourceId: ds.datasourceId, datasourceStatus: 'FAILED' }),
    ]);
    return;
  }
  const datasourceTarget = job.operationType === 'ADD_DATASOURCE' ? 'ACTIVE' : 'DELETED';
  // A deleted cluster's datasources go with it (the API starts no datasource job on a DELETING cluster).
  const goneWithCluster = target === 'DELETED' ? await datasourcesOfCluster(deps.tables, cluster.clusterId, ['ACTIVE', 'FAILED']) : [];
  await transact(deps.tables, [
    finishJob(deps, job, 'SUCCEEDED', now),
    moveCluster(deps, cluster, job, target, now),
    ...(ds ? [moveDatasource(deps.tables, ds, datasourceTarget, { jobId: job.jobId, now })] : []),
    ...goneWithCluster.map((gone) => moveDatasource(deps.tables, gone, 'DELETED', { jobId: job.jobId, now, unheld: true })),
    ...(target === 'DELETED'
      ? [
          {
            Update: {
              TableName: deps.tables.stateTable,
              Key: teamKey(cluster.teamId),
              UpdateExpression: 'SET clusterCount = clusterCount - :one',
              ConditionExpression: 'clusterCount > :zero',
              ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
            },
          },
        ]
      : []),
    putEvent(
      deps,
      job,
      'JOB_SUCCEEDED',
      `${job.operationType} job ${job.jobId} succeeded; ${ds ? `datasource ${ds.datasourceId} is ${datasourceTarget}, ` : ''}cluster is ${target}`,
      now,
      target,
    ),
    workflowAudit(deps, job, 'completeJob', now, { status: target, ...(ds ? { datasourceId: ds.datasourceId, datasourceStatus: datasourceTarget } : {}) }),
  ]);
}

async function failJob(deps: WorkflowDependencies, state: ExecutionState): Promise<void> {
  const job = await requireJob(deps, state.jobId);
  if (job.status === 'FAILED' || job.status === 'SUCCEEDED') return;
  const cluster = await requireCluster(deps, job.clusterId);
  const errorDetails = { step: state.failedState ?? 'unknown', cause: causeOf(state.error) };
  const now = deps.now().toISOString();
  const items: TransactItem[] = [
    finishJob(deps, job, 'FAILED', now, errorDetails),
    putEvent(deps, job, 'JOB_FAILED', `${job.operationType} job ${job.jobId} failed at "${errorDetails.step}": ${errorDetails.cause}`, now, 'FAILED'),
    workflowAudit(deps, job, 'failJob', now, errorDetails),
  ];
  // The cluster leaves its running status only if this job still holds it; so does its datasource.
  if (cluster.activeJobId === job.jobId) items.splice(1, 0, moveCluster(deps, cluster, job, 'FAILED', now));
  const ds = job.datasourceId ? await getDatasource(deps.tables, job.clusterId, job.datasourceId) : undefined;
  if (ds?.activeJobId === job.jobId) {
    const reason = `${job.operationType} job ${job.jobId} failed at "${errorDetails.step}": ${errorDetails.cause}`.slice(0, 1000);
    items.push(moveDatasource(deps.tables, ds, 'FAILED', { jobId: job.jobId, now, reason }));
  }
  await transact(deps.tables, items);
}

// ---- helpers -------------------------------------------------------------------------------------

async function requireJob(deps: WorkflowDependencies, jobId: string): Promise<ProvisioningJob> {
  const job = await getJob(deps.tables, jobId);
  if (!job) throw new PermanentError(`Job ${jobId} does not exist`);
  return job;
}

async function requireCluster(deps: WorkflowDependencies, clusterId: string): Promise<ClusterRecord> {
  const cluster = await getClusterRecord(deps.tables, clusterId);
  if (!cluster) throw new PermanentError(`Cluster ${clusterId} does not exist`);
  return cluster;
}

async function requireDatasource(deps: WorkflowDependencies, job: ProvisioningJob) {
  if (!job.datasourceId) throw new PermanentError(`${job.operationType} job ${job.jobId} names no datasource`);
  const ds = await getDatasource(deps.tables, job.clusterId, job.datasourceId);
  if (!ds) throw new PermanentError(`Datasource ${job.datasourceId} of cluster ${job.clusterId} does not exist`);
  return ds;
}

async function requireJobAndCluster(deps: WorkflowDependencies, state: ExecutionState) {
  const job = await requireJob(deps, state.jobId);
  return { job, cluster: await requireCluster(deps, job.clusterId) };
}

function finishJob(deps: WorkflowDependencies, job: ProvisioningJob, status: 'SUCCEEDED' | 'FAILED', now: string, errorDetails?: object): TransactItem {
  return {
    Update: {
      TableName: deps.tables.stateTable,
      Key: jobKey(job.jobId),
      UpdateExpression: `SET #status = :status, completedAt = :now${errorDetails ? ', errorDetails = :details' : ''} REMOVE gsi2pk, gsi2sk`,
      ConditionExpression: status === 'SUCCEEDED' ? '#status = :running' : '#status IN (:pending, :running)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': status,
        ':now': now,
        ':running': 'RUNNING',
        ...(status === 'FAILED' ? { ':pending': 'PENDING' } : {}),
        ...(errorDetails ? { ':details': errorDetails } : {}),
      },
    },
  };
}

function moveCluster(deps: WorkflowDependencies, cluster: ClusterRecord, job: ProvisioningJob, target: ClusterStatus, now: string): TransactItem {
  const from = clusterStatusesLeadingTo(target);
  const fromValues = Object.fromEntries(from.map((status, i) => [`:from${i}`, status]));
  return {
    Update: {
      TableName: deps.tables.stateTable,
      Key: clusterKey(cluster.clusterId),
      UpdateExpression: 'SET #status = :target, updatedAt = :now REMOVE activeJobId',
      ConditionExpression: `activeJobId = :job AND #status IN (${Object.keys(fromValues).join(', ')})`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':target': target, ':now': now, ':job': job.jobId, ...fromValues },
    },
  };
}

function putEvent(deps: WorkflowDependencies, job: ProvisioningJob, type: string, message: string, time: string, status?: ClusterStatus): TransactItem {
  return { Put: { TableName: deps.tables.stateTable, Item: eventItem({ clusterId: job.clusterId, time, type, message, jobId: job.jobId, ...(status ? { status } : {}) }) } };
}

/** Records a cluster event on its own (progress, not a state change). */
export async function recordEvent(deps: Pick<WorkflowDependencies, 'tables' | 'now'>, job: Pick<ProvisioningJob, 'clusterId' | 'jobId'>, type: string, message: string): Promise<void> {
  await deps.tables.doc.send(
    new PutCommand({
      TableName: deps.tables.stateTable,
      Item: eventItem({ clusterId: job.clusterId, time: deps.now().toISOString(), type, message, jobId: job.jobId }),
    }),
  );
}

function workflowAudit(deps: WorkflowDependencies, job: ProvisioningJob, action: string, time: string, metadata: Record<string, unknown>): TransactItem {
  return auditPut(deps.tables, {
    actor: WORKFLOW_ACTOR,
    teamId: job.teamId,
    action: `workflow.${action}`,
    time,
    sourceIp: 'internal',
    entity: `cluster/${job.clusterId}`,
    requestId: `${job.jobId}#${action}`,
    outcome: 'SUCCEEDED',
    status: 200,
    metadata: { jobId: job.jobId, operationType: job.operationType, ...metadata },
  });
}

/** The human part of a Step Functions error cause (a Lambda's cause is JSON with errorMessage). */
function causeOf(error: ExecutionState['error']): string {
  if (!error) return 'unknown error';
  let cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause);
    cause = parsed.errorMessage ?? parsed.message ?? cause;
  } catch {
    // a plain-text cause
  }
  return `${error.Error}: ${cause}`.slice(0, 1000);
}
