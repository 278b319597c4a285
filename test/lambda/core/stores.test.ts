import type { Cluster, Datasource, Team } from '../../../lib/contract/api';
import { allocateVpcCidr, getClusterRecord, holdClusterItem, releaseClusterItem } from '../../../lambda/core/cluster-store';
import { getDatasource, moveDatasource, putDatasourceItem, type DatasourceRecord } from '../../../lambda/core/datasource-store';
import { listClusterEvents, recordEvent } from '../../../lambda/core/event-store';
import { completeJobItems, createClusterItems, failJobItems, QUOTA_ITEM_INDEX } from '../../../lambda/core/job-lifecycle';
import { finishJobItem, getJob, jobsInFlightSince, markJobRunning, newJob, putJobItem } from '../../../lambda/core/job-store';
import { statusIn, transact, TransactionConflict, type Tables } from '../../../lambda/core/tables';
import { getTeam, putTeamItems, teamOfPrincipal } from '../../../lambda/core/team-store';
import { startLocalTables } from '../../support/local-tables';

/** The entity stores and the job lifecycle's transactions against dynalite: what each write allows and refuses. */

let local: Awaited<ReturnType<typeof startLocalTables>>;
let tables: Tables;
beforeAll(async () => {
  local = await startLocalTables();
  tables = local.tables;
});
afterAll(() => local.stop());

const NOW = '2026-12-01T10:00:00.000Z';
const LATER = new Date('2027-01-01T00:00:00.000Z');
let counter = 0;
const id = (prefix: string) => `${prefix}-${String(++counter).padStart(16, '0')}`;

async function registerTeam(maxClusters = 1): Promise<Team> {
  const team: Team = {
    teamId: id('team'),
    principals: [`arn:aws:iam::123456789012:role/${id('p')}`],
    entitlements: { tiers: ['S'], environments: ['dev'], maxClusters },
    groups: [],
    clusterCount: 0,
    createdAt: NOW,
    updatedAt: NOW,
  };
  await transact(tables, putTeamItems(tables, team).items);
  return team;
}

function newCluster(team: Team): Cluster {
  return { clusterId: id('c'), teamId: team.teamId, environment: 'dev', tier: 'S', status: 'PROVISIONING', endpoint: null, createdAt: NOW, updatedAt: NOW };
}

/** A cluster accepted with its CREATE job, then moved to ACTIVE by that job as the workflow does. */
async function activeCluster(team: Team): Promise<Cluster> {
  const cluster = newCluster(team);
  const job = newJob(cluster, id('j'), 'CREATE', NOW);
  await transact(tables, createClusterItems(tables, { ...cluster, activeJobId: job.jobId }, job));
  expect(await markJobRunning(tables, job)).toBe(true);
  await transact(tables, await completeJobItems(tables, { ...job, status: 'RUNNING' }, cluster, undefined, NOW));
  return (await getClusterRecord(tables, cluster.clusterId))!;
}

test('statusIn names each source once', () => {
  expect(statusIn(['ACTIVE', 'FAILED'])).toEqual({ expression: '#status IN (:from0, :from1)', values: { ':from0': 'ACTIVE', ':from1': 'FAILED' } });
});

describe('teams', () => {
  test('a principal belongs to one team: claiming it for another names it as taken', async () => {
    const first = await registerTeam();
    expect(await teamOfPrincipal(tables, first.principals[0])).toBe(first.teamId);
    const second: Team = { ...first, teamId: id('other') };
    const change = putTeamItems(tables, second);
    const error = await transact(tables, change.items).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionConflict);
    expect(change.principalsTaken((error as TransactionConflict).failedIndexes)).toEqual(first.principals);
  });

  test('a replacement must match the version it read', async () => {
    const team = await registerTeam();
    const stored = (await getTeam(tables, team.teamId, true))!;
    await transact(tables, putTeamItems(tables, { ...team, updatedAt: LATER.toISOString() }, stored).items);
    const stale = putTeamItems(tables, team, stored);
    await expect(transact(tables, stale.items)).rejects.toBeInstanceOf(TransactionConflict);
    expect((await getTeam(tables, team.teamId, true))!.version).toBe(stored.version + 1);
  });
});

describe('a job and its cluster', () => {
  test('the quota is taken atomically: a second cluster beyond it fails on the quota item', async () => {
    const team = await registerTeam(1);
    await activeCluster(team);
    const cluster = newCluster(team);
    const error = await transact(tables, createClusterItems(tables, cluster, newJob(cluster, id('j'), 'CREATE', NOW))).catch((e: unknown) => e);
    expect((error as TransactionConflict).failedIndexes).toEqual([QUOTA_ITEM_INDEX]);
    expect((await getTeam(tables, team.teamId, true))!.clusterCount).toBe(1);
  });

  test('a job moves through PENDING → RUNNING → SUCCEEDED only, and leaves the in-flight index', async () => {
    const team = await registerTeam(5);
    const cluster = await activeCluster(team);
    const job = newJob(cluster, id('j'), 'UPDATE', NOW);
    await transact(tables, [putJobItem(tables, job)]);
    expect((await jobsInFlightSince(tables, 'PENDING', LATER)).map((j) => j.jobId)).toContain(job.jobId);
    // A PENDING job cannot succeed (SUCCEEDED only from RUNNING).
    await expect(transact(tables, [finishJobItem(tables, job, 'SUCCEEDED', NOW)])).rejects.toBeInstanceOf(TransactionConflict);
    expect(await markJobRunning(tables, job)).toBe(true);
    expect(await markJobRunning(tables, job)).toBe(false);
    expect((await jobsInFlightSince(tables, 'RUNNING', LATER)).map((j) => j.jobId)).toContain(job.jobId);
    await transact(tables, [finishJobItem(tables, job, 'SUCCEEDED', NOW)]);
    expect(await getJob(tables, job.jobId)).toMatchObject({ status: 'SUCCEEDED', completedAt: NOW });
    // An ended job can neither fail nor succeed again.
    await expect(transact(tables, [finishJobItem(tables, job, 'FAILED', NOW)])).rejects.toBeInstanceOf(TransactionConflict);
    const inFlight = [...(await jobsInFlightSince(tables, 'PENDING', LATER)), ...(await jobsInFlightSince(tables, 'RUNNING', LATER))];
    expect(inFlight.map((j) => j.jobId)).not.toContain(job.jobId);
  });

  test('one job in flight per cluster; only the job holding it lets it go, along the table', async () => {
    const cluster = await activeCluster(await registerTeam(5));
    const update = newJob(cluster, id('j'), 'UPDATE', NOW);
    await transact(tables, [holdClusterItem(tables, cluster, update, { tier: 'M' })]);
    expect(await getClusterRecord(tables, cluster.clusterId)).toMatchObject({ status: 'UPDATING', tier: 'M', activeJobId: update.jobId });
    const other = newJob(cluster, id('j'), 'DELETE', NOW);
    await expect(transact(tables, [holdClusterItem(tables, cluster, other)])).rejects.toBeInstanceOf(TransactionConflict);
    await expect(transact(tables, [releaseClusterItem(tables, cluster.clusterId, other, 'ACTIVE', NOW)])).rejects.toBeInstanceOf(TransactionConflict);
    // UPDATING cannot become DELETED, even for its own job.
    await expect(transact(tables, [releaseClusterItem(tables, cluster.clusterId, update, 'DELETED', NOW)])).rejects.toBeInstanceOf(TransactionConflict);
    await transact(tables, [releaseClusterItem(tables, cluster.clusterId, update, 'ACTIVE', NOW)]);
    const released = await getClusterRecord(tables, cluster.clusterId);
    expect(released).toMatchObject({ status: 'ACTIVE' });
    expect(released!.activeJobId).toBeUndefined();
  });

  test('a VPC CIDR is allocated once per cluster, a new block for each cluster', async () => {
    const team = await registerTeam(5);
    const [a, b] = [await activeCluster(team), await activeCluster(team)];
    const first = await allocateVpcCidr(tables, a, '10.64.0.0/12');
    expect(await allocateVpcCidr(tables, a, '10.64.0.0/12')).toBe(first); // a retry keeps it
    const second = await allocateVpcCidr(tables, b, '10.64.0.0/12');
    expect(second).not.toBe(first);
    expect((await getClusterRecord(tables, a.clusterId))!.vpcCidr).toBe(first);
  });

  test("a DELETE job's completion gives the quota back and takes the cluster's datasources with it", async () => {
    const team = await registerTeam(1);
    const cluster = await activeCluster(team);
    const datasource: DatasourceRecord = {
      datasourceId: id('ds'),
      clusterId: cluster.clusterId,
      teamId: team.teamId,
      type: 's3-hive',
      externalAccountId: '210987654321',
      bucketArn: 'arn:aws:s3:::lake',
      prefixes: ['a/'],
      region: 'us-east-1',
      accessMode: 'read-only',
      catalog: 'ds',
      roleArn: 'arn:aws:iam::210987654321:role/ds',
      externalId: 'x'.repeat(32),
      iamPolicyReference: 'ref',
      status: 'ACTIVE',
      createdAt: NOW,
      updatedAt: NOW,
    };
    await transact(tables, [putDatasourceItem(tables, datasource)]);
    const deletion = newJob(cluster, id('j'), 'DELETE', NOW);
    await transact(tables, [holdClusterItem(tables, cluster, deletion), putJobItem(tables, deletion)]);
    await markJobRunning(tables, deletion);
    await transact(tables, await completeJobItems(tables, { ...deletion, status: 'RUNNING' }, cluster, undefined, NOW));
    expect((await getClusterRecord(tables, cluster.clusterId))!.status).toBe('DELETED');
    expect((await getDatasource(tables, cluster.clusterId, datasource.datasourceId))!.status).toBe('DELETED');
    expect((await getTeam(tables, team.teamId, true))!.clusterCount).toBe(0);
  });

  test('a failed job fails its cluster and datasource only while it holds them', async () => {
    const cluster = await activeCluster(await registerTeam(5));
    const job = newJob(cluster, id('j'), 'UPDATE', NOW);
    await transact(tables, [putJobItem(tables, job)]); // accepted, but another change holds the cluster
    const held = (await getClusterRecord(tables, cluster.clusterId))!;
    const unheldDatasource = { clusterId: cluster.clusterId, datasourceId: id('ds'), status: 'ACTIVE', activeJobId: undefined } as unknown as Datasource;
    await transact(tables, failJobItems(tables, job, held, unheldDatasource, { step: 'Deploy tenant stack', cause: 'boom' }, NOW));
    expect(await getJob(tables, job.jobId)).toMatchObject({ status: 'FAILED', errorDetails: { step: 'Deploy tenant stack', cause: 'boom' } });
    expect((await getClusterRecord(tables, cluster.clusterId))!.status).toBe('ACTIVE');
    const events = (await listClusterEvents(tables, cluster.clusterId, { limit: 100 })).items;
    expect(events.find((e) => e.jobId === job.jobId)).toMatchObject({ type: 'JOB_FAILED', status: 'FAILED', message: expect.stringContaining('failed at "Deploy tenant stack": boom') });
  });

  test('a datasource moves only along the table, and only under the job that holds it', async () => {
    const cluster = await activeCluster(await registerTeam(5));
    const ds = { clusterId: cluster.clusterId, datasourceId: id('ds') };
    await expect(transact(tables, [moveDatasource(tables, ds, 'ACTIVE', { jobId: 'j-1', now: NOW })])).rejects.toBeInstanceOf(TransactionConflict);
    await recordEvent({ tables, now: () => new Date(NOW) }, { clusterId: cluster.clusterId, jobId: 'j-0000000000000001' }, 'NOTE', 'progress');
    expect((await listClusterEvents(tables, cluster.clusterId, { limit: 100 })).items.map((e) => e.type)).toContain('NOTE');
  });
});
