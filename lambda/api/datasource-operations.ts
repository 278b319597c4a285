import { setupCommands } from '../../lib/access/datasource-setup';
import { newExternalId } from '../../lib/access/external-id';
import { folderPrefixes } from '../../lib/access/s3-access';
import { assumeStatementSid } from '../../lib/access/tenant-assume-policy';
import type { Cluster, CreateDatasourceRequest, Datasource, DatasourceSetup, ListDatasourcesQuery } from '../../lib/contract/api';
import { newDatasourceId, newJobId } from '../../lib/contract/ids';
import { catalogName, datasourceRoleArn, starburstRoleArn } from '../../lib/contract/tenant-spec';
import { accessControlRules, catalogProperties } from '../../lib/tenant/starburst-values';
import { getCluster, jobAcceptedEvent, newJob, startJobItems } from '../core/cluster-store';
import {
  datasourceDocument,
  datasourceItem,
  datasourcesOfCluster,
  getDatasource,
  listDatasources,
  LIVE_DATASOURCE_STATUSES,
  moveDatasource,
  toTenantDatasource,
  type DatasourceRecord,
} from '../core/datasource-store';
import { badRequest, conflict, notEntitled, notFound } from '../core/problems';
import type { TransactionConflict } from '../core/state-store';
import { accepted, ownCluster, startJob, teamOf } from './cluster-operations';
import { commitWithAnswer } from './commit';
import type { OperationContext, OperationResult } from './operation';
import type { Operations } from './router';

/** At most this many datasources are live on a cluster at a time (the TenantSpec's limit). */
export const MAX_DATASOURCES_PER_CLUSTER = 20;

type DatasourceParams = { clusterId: string; datasourceId: string };

/** The datasource of a cluster of the caller's team, or 404. */
async function ownDatasource(context: OperationContext<DatasourceParams>): Promise<{ cluster: Cluster; datasource: Datasource }> {
  const cluster = await ownCluster(context);
  const datasource = await getDatasource(context.deps.tables, cluster.clusterId, context.params.datasourceId);
  if (!datasource) throw notFound(`Datasource ${context.params.datasourceId} of cluster ${cluster.clusterId}`);
  return { cluster, datasource };
}

/** Datasource jobs redeploy a running cluster: only an ACTIVE one with no job in flight. */
function requireActiveCluster(cluster: Cluster, what: string): void {
  if (cluster.activeJobId) throw conflict(`Job ${cluster.activeJobId} is in flight on cluster ${cluster.clusterId}; ${what} once it has finished.`);
  if (cluster.status !== 'ACTIVE') throw conflict(`Cluster ${cluster.clusterId} is ${cluster.status}; ${what} only on an ACTIVE cluster.`);
}

async function clusterConflict(context: OperationContext<{ clusterId: string }>, error: TransactionConflict, clusterId: string): Promise<never> {
  const current = await getCluster(context.deps.tables, clusterId);
  throw conflict(
    `Cluster ${clusterId} changed concurrently (now ${current?.status}${current?.activeJobId ? `, job ${current.activeJobId} in flight` : ''}); ` +
      `retry once it is ACTIVE with no job in flight (failed condition on item ${error.failedIndexes.join(', ')}).`,
  );
}

/** The live datasource of the cluster whose bucket and prefixes overlap the request's, if any. */
function overlapping(live: Datasource[], body: CreateDatasourceRequest): { datasource: Datasource; prefix: string } | undefined {
  const wanted = folderPrefixes(body.prefixes);
  for (const ds of live.filter((d) => d.bucketArn === body.bucketArn)) {
    for (const held of folderPrefixes(ds.prefixes)) {
      const clash = wanted.find((prefix) => prefix.startsWith(held) || held.startsWith(prefix));
      if (clash) return { datasource: ds, prefix: clash };
    }
  }
  return undefined;
}

async function createDatasource(context: OperationContext<{ clusterId: string }, unknown, CreateDatasourceRequest>): Promise<OperationResult> {
  const { deps, body, time } = context;
  const team = teamOf(context);
  const cluster = await ownCluster(context);
  if (!deps.config.approvedConnectors.includes(body.type)) {
    throw badRequest(`Connector type ${body.type} is not approved by this platform.`, [
      { field: 'body.type', message: `one of ${deps.config.approvedConnectors.join(', ')}` },
    ]);
  }
  if (body.accessMode === 'read-write' && !team.entitlements.readWriteDatasources) {
    throw notEntitled(`Team ${team.teamId} is not entitled to read-write datasources; ask the platform team, or use read-only.`, 'body.accessMode');
  }
  const dataAccounts = team.entitlements.dataAccounts;
  if (dataAccounts && !dataAccounts.includes(body.externalAccountId)) {
    throw notEntitled(`Team ${team.teamId} may add datasources only from account(s) ${dataAccounts.join(', ')}.`, 'body.externalAccountId');
  }
  requireActiveCluster(cluster, 'add a datasource');
  const live = await datasourcesOfCluster(deps.tables, cluster.clusterId, LIVE_DATASOURCE_STATUSES);
  const clash = overlapping(live, body);
  if (clash) {
    throw conflict(
      `${body.bucketArn} ${clash.prefix} overlaps datasource ${clash.datasource.datasourceId} (${clash.datasource.status}, prefixes ${clash.datasource.prefixes.join(', ')}) on this cluster.`,
    );
  }
  if (live.length >= MAX_DATASOURCES_PER_CLUSTER) {
    throw conflict(`Cluster ${cluster.clusterId} has ${live.length} datasources, the most a cluster may have; remove one first.`);
  }

  const environment = deps.config.environments[cluster.environment]!;
  const datasourceId = newDatasourceId();
  const job = { ...newJob(cluster, newJobId(), 'ADD_DATASOURCE', time), datasourceId };
  const record: DatasourceRecord = {
    datasourceId,
    clusterId: cluster.clusterId,
    teamId: team.teamId,
    type: body.type,
    externalAccountId: body.externalAccountId,
    bucketArn: body.bucketArn,
    prefixes: body.prefixes,
    region: body.region,
    accessMode: body.accessMode,
    catalog: catalogName(datasourceId),
    roleArn: datasourceRoleArn({ datasourceId, externalAccountId: body.externalAccountId, region: body.region }),
    externalId: newExternalId(),
    iamPolicyReference: `${starburstRoleArn(cluster.clusterId, environment)}#${assumeStatementSid(datasourceId)}`,
    status: 'PENDING',
    activeJobId: job.jobId,
    createdAt: time,
    updatedAt: time,
  };
  const running: Cluster = { ...cluster, status: 'UPDATING', activeJobId: job.jobId, updatedAt: time };
  const answer = accepted(job, running, datasourceDocument(record));
  const event = { ...jobAcceptedEvent(job, running.status), message: `ADD_DATASOURCE job ${job.jobId} accepted for datasource ${datasourceId} (${body.bucketArn}); cluster is UPDATING` };
  await commitWithAnswer(
    context,
    [
      ...startJobItems(deps.tables, cluster, job, event, {}, ['ACTIVE']),
      { Put: { TableName: deps.tables.stateTable, Item: datasourceItem(record), ConditionExpression: 'attribute_not_exists(pk)' } },
      context.audit(`cluster/${cluster.clusterId}/datasource/${datasourceId}`, {
        jobId: job.jobId,
        type: body.type,
        externalAccountId: body.externalAccountId,
        bucketArn: body.bucketArn,
        prefixes: body.prefixes,
        accessMode: body.accessMode,
      }),
    ],
    answer,
    (error) => clusterConflict(context, error, cluster.clusterId),
  );
  await startJob(deps, job);
  return answer;
}

async function listDatasourcesOperation(context: OperationContext<{ clusterId: string }, ListDatasourcesQuery>): Promise<OperationResult> {
  const cluster = await ownCluster(context);
  return { status: 200, body: await listDatasources(context.deps.tables, cluster.clusterId, context.query) };
}

async function getDatasourceOperation(context: OperationContext<DatasourceParams>): Promise<OperationResult> {
  return { status: 200, body: (await ownDatasource(context)).datasource };
}

/** Removes an ACTIVE datasource (or takes a FAILED one off the books) through a REMOVE_DATASOURCE job. */
async function deleteDatasource(context: OperationContext<DatasourceParams>): Promise<OperationResult> {
  const { deps, time } = context;
  const { cluster, datasource } = await ownDatasource(context);
  if (datasource.status !== 'ACTIVE' && datasource.status !== 'FAILED') {
    throw conflict(`Datasource ${datasource.datasourceId} is ${datasource.status}; only an ACTIVE or FAILED datasource can be removed.`);
  }
  requireActiveCluster(cluster, 'remove a datasource');
  const job = { ...newJob(cluster, newJobId(), 'REMOVE_DATASOURCE', time), datasourceId: datasource.datasourceId };
  const running: Cluster = { ...cluster, status: 'UPDATING', activeJobId: job.jobId, updatedAt: time };
  const removing: Datasource = { ...datasource, status: 'DELETING', activeJobId: job.jobId, updatedAt: time };
  const answer = accepted(job, running, removing);
  const event = {
    ...jobAcceptedEvent(job, running.status),
    message: `REMOVE_DATASOURCE job ${job.jobId} accepted for datasource ${datasource.datasourceId}; cluster is UPDATING`,
  };
  await commitWithAnswer(
    context,
    [
      ...startJobItems(deps.tables, cluster, job, event, {}, ['ACTIVE']),
      moveDatasource(deps.tables, datasource, 'DELETING', { jobId: job.jobId, now: time, claim: true }),
      context.audit(`cluster/${cluster.clusterId}/datasource/${datasource.datasourceId}`, { jobId: job.jobId }),
    ],
    answer,
    (error) => clusterConflict(context, error, cluster.clusterId),
  );
  await startJob(deps, job);
  return answer;
}

/** What the data owner applies, and what the cluster is given for the datasource: all generated, nothing stored twice. */
async function getDatasourceSetup(context: OperationContext<DatasourceParams>): Promise<OperationResult> {
  const { cluster, datasource } = await ownDatasource(context);
  const environment = context.deps.config.environments[cluster.environment]!;
  const tenantDatasource = toTenantDatasource(datasource);
  const roleArn = starburstRoleArn(cluster.clusterId, environment);
  const setup = setupCommands({ datasource: tenantDatasource, starburstRoleArn: roleArn });
  const rules = accessControlRules({ accessGroups: [cluster.teamId], datasources: [tenantDatasource] });
  const concernsCatalog = (rule: { catalog?: string }) => rule.catalog !== undefined && new RegExp(`^(${rule.catalog})$`).test(datasource.catalog);
  const body: DatasourceSetup = {
    datasourceId: datasource.datasourceId,
    starburstRoleArn: roleArn,
    roleName: setup.roleName,
    rolePath: setup.rolePath,
    roleArn: datasource.roleArn,
    externalId: datasource.externalId,
    trustPolicy: setup.trustPolicy,
    permissionsPolicy: setup.permissionsPolicy,
    catalogAndKeyPolicy: setup.catalogAndKeyPolicy,
    bucketPolicy: setup.bucketPolicy,
    commands: setup.commands,
    catalog: { name: datasource.catalog, properties: catalogProperties(tenantDatasource) },
    accessRules: {
      catalogs: rules.catalogs.filter(concernsCatalog),
      schemas: rules.schemas.filter(concernsCatalog),
      tables: rules.tables.filter(concernsCatalog),
    },
  };
  return { status: 200, body };
}

export const datasourceOperations: Operations = {
  createDatasource,
  listDatasources: listDatasourcesOperation,
  getDatasource: getDatasourceOperation,
  deleteDatasource,
  getDatasourceSetup,
};
