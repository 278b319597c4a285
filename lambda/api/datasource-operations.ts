import { accessControlRules } from '../../lib/access/access-control-rules';
import { catalogProperties } from '../../lib/access/catalog-properties';
import { trinoVersion } from '../../lib/access/trino-version';
import { setupCommands } from '../../lib/access/datasource-setup';
import { newExternalId } from '../../lib/access/external-id';
import { folderPrefixes } from '../../lib/access/s3-access';
import { assumeStatementSid } from '../../lib/access/tenant-assume-policy';
import type { Cluster, CreateDatasourceRequest, Datasource, DatasourceSetup } from '../../lib/contract/api';
import { newDatasourceId, newJobId } from '../../lib/contract/ids';
import { catalogName, datasourceRoleArn, starburstRoleArn } from '../../lib/contract/tenant-spec';
import { auditEntity } from '../core/audit-log';
import { toCluster, type ClusterRecord } from '../core/cluster-store';
import { datasourceDocument, datasourcesOfCluster, getDatasource, listDatasources, LIVE_DATASOURCE_STATUSES, toTenantDatasource, type DatasourceRecord } from '../core/datasource-store';
import { datasourceRefusal } from '../core/entitlements';
import { addDatasourceItems, DATASOURCE_JOB_CLUSTER_STATUSES, removeDatasourceItems } from '../core/job-lifecycle';
import { newJob } from '../core/job-store';
import { conflict, notFound, refusalProblem } from '../core/problems';
import type { TransactionConflict } from '../core/tables';
import { accepted, changedConcurrently, heldBy, ownCluster, ownClusterRecord, startJob, type ClusterRequest } from './cluster-operations';
import { commitWithAnswer } from './commit-with-answer';
import type { Dependencies, OperationContext, OperationResult, Operations } from './operation';

/** At most this many datasources are live on a cluster at a time (the TenantSpec's limit). */
export const MAX_DATASOURCES_PER_CLUSTER = 20;

type DatasourceRequest = ClusterRequest & { readonly params: { readonly datasourceId: string } };

/** The datasource of a cluster of the caller's team, or 404. */
async function ownDatasource(context: DatasourceRequest): Promise<{ cluster: Cluster; datasource: Datasource }> {
  const { cluster, datasource } = await ownDatasourceRecord(context);
  return { cluster: toCluster(cluster), datasource };
}

async function ownDatasourceRecord(context: DatasourceRequest): Promise<{ cluster: ClusterRecord; datasource: Datasource }> {
  const cluster = await ownClusterRecord(context);
  const datasource = await getDatasource(context.deps.tables, cluster.clusterId, context.params.datasourceId);
  if (!datasource) throw notFound(`Datasource ${context.params.datasourceId} of cluster ${cluster.clusterId}`);
  return { cluster, datasource };
}

/** Datasource jobs redeploy a running cluster: only an ACTIVE one with no job in flight. */
function requireActiveCluster(cluster: Cluster, what: string): void {
  if (cluster.activeJobId) throw conflict(`Job ${cluster.activeJobId} is in flight on cluster ${cluster.clusterId}; ${what} once it has finished.`);
  if (!DATASOURCE_JOB_CLUSTER_STATUSES.includes(cluster.status)) throw conflict(`Cluster ${cluster.clusterId} is ${cluster.status}; ${what} only on an ACTIVE cluster.`);
}

function clusterConflict(deps: Dependencies, clusterId: string, error: TransactionConflict): Promise<never> {
  return changedConcurrently(deps, clusterId, `; retry once it is ACTIVE with no job in flight (failed condition on item ${error.failedIndexes.join(', ')})`);
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

async function createDatasource(context: OperationContext<'createDatasource'>): Promise<OperationResult<'createDatasource'>> {
  const { deps, body, time } = context;
  const team = context.caller.team;
  const cluster = await ownCluster(context);
  const refusal = datasourceRefusal(team, deps.config, body);
  if (refusal) throw refusalProblem(refusal);
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
  const job = newJob(cluster, newJobId(), 'ADD_DATASOURCE', time, datasourceId);
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
  const answer = accepted(job, heldBy(cluster, job), datasourceDocument(record));
  await commitWithAnswer(
    context,
    [
      ...addDatasourceItems(deps.tables, cluster, job, record),
      context.audit(auditEntity({ clusterId: cluster.clusterId, datasourceId }, 'clusters'), {
        jobId: job.jobId,
        type: body.type,
        externalAccountId: body.externalAccountId,
        bucketArn: body.bucketArn,
        prefixes: body.prefixes,
        accessMode: body.accessMode,
      }),
    ],
    answer,
    (error) => clusterConflict(deps, cluster.clusterId, error),
  );
  await startJob(deps, job);
  return answer;
}

async function listDatasourcesOperation(context: OperationContext<'listDatasources'>): Promise<OperationResult<'listDatasources'>> {
  const cluster = await ownCluster(context);
  return { status: 200, body: await listDatasources(context.deps.tables, cluster.clusterId, context.query) };
}

async function getDatasourceOperation(context: OperationContext<'getDatasource'>): Promise<OperationResult<'getDatasource'>> {
  return { status: 200, body: (await ownDatasource(context)).datasource };
}

/** Removes an ACTIVE datasource (or takes a FAILED one off the books) through a REMOVE_DATASOURCE job. */
async function deleteDatasource(context: OperationContext<'deleteDatasource'>): Promise<OperationResult<'deleteDatasource'>> {
  const { deps, time } = context;
  const { cluster, datasource } = await ownDatasource(context);
  if (datasource.status !== 'ACTIVE' && datasource.status !== 'FAILED') {
    throw conflict(`Datasource ${datasource.datasourceId} is ${datasource.status}; only an ACTIVE or FAILED datasource can be removed.`);
  }
  requireActiveCluster(cluster, 'remove a datasource');
  const job = newJob(cluster, newJobId(), 'REMOVE_DATASOURCE', time, datasource.datasourceId);
  const removing: Datasource = { ...datasource, status: 'DELETING', activeJobId: job.jobId, updatedAt: time };
  const answer = accepted(job, heldBy(cluster, job), removing);
  await commitWithAnswer(
    context,
    [
      ...removeDatasourceItems(deps.tables, cluster, job, datasource),
      context.audit(auditEntity(datasource, 'clusters'), { jobId: job.jobId }),
    ],
    answer,
    (error) => clusterConflict(deps, cluster.clusterId, error),
  );
  await startJob(deps, job);
  return answer;
}

/** What the data owner applies, and what the cluster is given for the datasource: all generated, nothing stored twice. */
async function getDatasourceSetup(context: OperationContext<'getDatasourceSetup'>): Promise<OperationResult<'getDatasourceSetup'>> {
  const { deps, caller } = context;
  const { cluster, datasource } = await ownDatasourceRecord(context);
  const environment = deps.config.environments[cluster.environment]!;
  const tenantDatasource = toTenantDatasource(datasource);
  const roleArn = starburstRoleArn(cluster.clusterId, environment);
  const setup = setupCommands({ datasource: tenantDatasource, starburstRoleArn: roleArn });
  const rules = accessControlRules({ groups: caller.team.groups, datasources: [tenantDatasource], sessionProperties: deps.config.querySessionProperties });
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
    catalog: { name: datasource.catalog, properties: catalogProperties(tenantDatasource, trinoVersion(cluster.enginePins ?? deps.config.engine)) },
    accessRules: {
      catalogs: rules.catalogs.filter(concernsCatalog),
      schemas: rules.schemas.filter(concernsCatalog),
      tables: rules.tables.filter(concernsCatalog),
    },
  };
  return { status: 200, body };
}

export const datasourceOperations: Operations<'createDatasource' | 'listDatasources' | 'getDatasource' | 'deleteDatasource' | 'getDatasourceSetup'> = {
  createDatasource,
  listDatasources: listDatasourcesOperation,
  getDatasource: getDatasourceOperation,
  deleteDatasource,
  getDatasourceSetup,
};
