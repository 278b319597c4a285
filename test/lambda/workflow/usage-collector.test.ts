import { readFileSync } from 'node:fs';
import type { PolicyStatement } from '../../../lib/access/policy-document';
import { tenantReaderRolePolicy } from '../../../lib/control-plane/workflow/provisioning-workflow';
import { loadPlatformConfig } from '../../../lib/config/load-platform-config';
import type { EnvironmentConfig } from '../../../lib/config/platform-config';
import type { Cluster, ClusterStatus, Team } from '../../../lib/contract/api';
import { tenantClusterName } from '../../../lib/contract/tenant-spec';
import { putClusterItem } from '../../../lambda/core/cluster-store';
import { priceTableVersion } from '../../../lambda/core/pricing';
import { transact, type Tables } from '../../../lambda/core/tables';
import { putTeamItems } from '../../../lambda/core/team-store';
import { countQueryItem, usageWindows, type UsageWindow } from '../../../lambda/core/usage-store';
import { CLUSTERS_PER_REQUEST, ContainerInsightsReader } from '../../../lambda/workflow/container-insights-reader';
import { collectNodeUsage, type CollectionSummary } from '../../../lambda/workflow/usage-collector';
import { startLocalTables } from '../../support/local-tables';
import { CONTROL_PLANE_ACCOUNT, FakeUsageAws, readerUsageStatements, type RecordedCluster } from './fake-usage-aws';

/**
 * The node-usage collector with the real CloudWatch and STS SDK clients against AWS faked at the
 * HTTP boundary (`FakeUsageAws`): GetMetricData answers from a recording of an S cluster's Container
 * Insights metrics, split into pages, and every request is decided by the IAM policy simulator over
 * the environment reader role's policy. The windows land in dynalite.
 */

const config = loadPlatformConfig('config/platform.json');
function configured(name: 'dev' | 'test' | 'prod'): EnvironmentConfig {
  const environment = config.environments[name];
  if (!environment) throw new Error(`config/platform.json has no ${name} environment`);
  return environment;
}
const [dev, testEnvironment, prod] = [configured('dev'), configured('test'), configured('prod')];
const tierS = config.tiers.S;
const RECORDED: RecordedCluster = JSON.parse(readFileSync('test/fixtures/container-insights-s-cluster.json', 'utf8')).series;
const COLLECTOR = `arn:aws:sts::${CONTROL_PLANE_ACCOUNT}:assumed-role/sici-usage-collector/collector`;
const NOW = new Date('2026-11-20T10:05:00.000Z');

const readerArn = (environment: EnvironmentConfig) => `arn:aws:iam::${environment.account}:role/sici-tenant-reader`;

let local: Awaited<ReturnType<typeof startLocalTables>>;
let tables: Tables;
beforeAll(async () => {
  local = await startLocalTables();
  tables = local.tables;
});
afterAll(() => local.stop());

let counter = 0;
const nextId = () => String(++counter).padStart(16, '0');

async function registerTeam(): Promise<Team> {
  const team: Team = {
    teamId: `collect-${nextId()}`,
    principals: [`arn:aws:iam::123456789012:role/collect-${nextId()}`],
    entitlements: { tiers: ['S'], environments: ['dev', 'test', 'prod'], maxClusters: 10 },
    groups: [],
    clusterCount: 0,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
  };
  await transact(tables, putTeamItems(tables, team).items);
  return team;
}

/** A cluster as the workflow left it: created at `createdAt`, in `status` since `updatedAt`. */
async function cluster(team: Team, environment: 'dev' | 'test' | 'prod', status: ClusterStatus, createdAt: string, updatedAt = createdAt): Promise<Cluster> {
  const created: Cluster = { clusterId: `c-${nextId()}`, teamId: team.teamId, environment, tier: 'S', status, endpoint: null, createdAt, updatedAt };
  await transact(tables, [putClusterItem(tables, created)]);
  return created;
}

/** A world where every cluster's nodes ran as recorded, and the collector's function may assume every environment's reader. */
function aws(readers: Array<[EnvironmentConfig, PolicyStatement[]?]>, clusters: readonly Cluster[]) {
  const fake = new FakeUsageAws();
  const credentials = fake.addFunction(COLLECTOR, [dev, testEnvironment, prod]);
  for (const [environment, statements] of readers) fake.addReader(environment, statements);
  for (const c of clusters) fake.metrics.set(tenantClusterName(c.clusterId), RECORDED);
  return { fake, reader: new ContainerInsightsReader({ requestHandler: fake, credentials }) };
}

/** What the recording says the cluster's nodes used from `from` to `to` (ISO instants), computed from the raw series. */
function recorded(from: string, to: string) {
  const [start, end] = [Date.parse(from) / 1000, Date.parse(to) / 1000];
  const at = (name: string) => new Map(RECORDED[name].Timestamps.map((t, i) => [t, RECORDED[name].Values[i]]));
  const [cpu, memory] = [at('node_cpu_usage_total'), at('node_memory_working_set')];
  let [coordinator, workers, vcpu, gib] = [0, 0, 0, 0];
  RECORDED.cluster_node_count.Timestamps.forEach((t, i) => {
    if (t < start || t >= end) return;
    const nodes = RECORDED.cluster_node_count.Values[i];
    coordinator += Math.min(nodes, 1) / 60;
    workers += Math.max(nodes - 1, 0) / 60;
    vcpu += (cpu.get(t)! * nodes) / 60 / 1000;
    gib += (memory.get(t)! * nodes) / 60 / 2 ** 30;
  });
  return { coordinator, workers, vcpu, gib, clusterHours: (end - start) / 3600 };
}

/** The windows of a cluster, as comparable numbers. */
async function windowsOf(c: Cluster) {
  return (await usageWindows(tables, c.clusterId, '2026-11-19T00', '2026-11-21T00')).map((w: UsageWindow) => ({
    hour: w.hour,
    clusterHours: w.clusterHours,
    coordinator: w.nodeHours[tierS.coordinator.instanceType] ?? 0,
    workers: w.nodeHours[tierS.worker.instanceType] ?? 0,
    vcpu: w.vcpuHours,
    gib: w.gibHours,
    queryCount: w.queryCount,
    priceVersion: w.priceVersion,
  }));
}

function expectWindow(actual: Awaited<ReturnType<typeof windowsOf>>[number] | undefined, hour: string, from: string, to: string) {
  const expected = recorded(from, to);
  expect(actual?.hour).toBe(hour);
  expect(actual?.clusterHours).toBeCloseTo(expected.clusterHours, 9);
  expect(actual?.coordinator).toBeCloseTo(expected.coordinator, 9);
  expect(actual?.workers).toBeCloseTo(expected.workers, 9);
  expect(actual?.vcpu).toBeCloseTo(expected.vcpu, 9);
  expect(actual?.gib).toBeCloseTo(expected.gib, 9);
}

describe('the node-usage collector through CloudWatch GetMetricData', () => {
  let fleet: Record<'running' | 'late' | 'deleted' | 'suspended' | 'longGone' | 'inTest' | 'inProd', Cluster>;
  let world: ReturnType<typeof aws>;
  let summary: CollectionSummary;

  beforeAll(async () => {
    const [teamA, teamB] = [await registerTeam(), await registerTeam()];
    fleet = {
      running: await cluster(teamA, 'dev', 'ACTIVE', '2026-11-19T00:00:00.000Z'),
      late: await cluster(teamA, 'dev', 'ACTIVE', '2026-11-20T08:40:00.000Z'),
      deleted: await cluster(teamA, 'dev', 'DELETED', '2026-11-19T00:00:00.000Z', '2026-11-20T09:20:00.000Z'),
      suspended: await cluster(teamB, 'dev', 'SUSPENDED', '2026-11-19T00:00:00.000Z', '2026-11-20T08:45:00.000Z'),
      longGone: await cluster(teamB, 'dev', 'DELETED', '2026-11-18T00:00:00.000Z', '2026-11-19T12:00:00.000Z'),
      inTest: await cluster(teamB, 'test', 'ACTIVE', '2026-11-19T00:00:00.000Z'),
      inProd: await cluster(teamB, 'prod', 'ACTIVE', '2026-11-19T00:00:00.000Z'),
    };
    // A query already counted in an hour the collector writes: its counts must survive the node usage.
    await transact(tables, [countQueryItem(tables, { clusterId: fleet.running.clusterId, teamId: teamA.teamId, hour: '2026-11-20T09' }, { failed: false, cpuMs: 10, scannedBytes: 0 }, 'v-earlier')]);
    // prod's reader was set up without the usage statements: GetMetricData is not among its permissions.
    const withoutUsage = tenantReaderRolePolicy(prod).toJSON().Statement.filter((statement: PolicyStatement) => statement.Action !== 'cloudwatch:GetMetricData');
    world = aws([[dev], [testEnvironment], [prod, withoutUsage]], Object.values(fleet));
    summary = await collectNodeUsage({ tables, config, nodeMetrics: world.reader, now: () => NOW });
  });

  it('makes one batched GetMetricData per environment, for the clusters that accrued in the hours read, and follows its pages', () => {
    const firstPages = world.fake.metricCalls.filter((call) => call.nextToken === undefined);
    expect(firstPages.map((call) => [call.account, call.allowed]).sort()).toEqual([[dev.account, true], [testEnvironment.account, true], [prod.account, false]].sort());
    const devCalls = world.fake.metricCalls.filter((call) => call.account === dev.account);
    const clustersIn = (call: (typeof devCalls)[number]) => [...new Set(call.queries.map((q) => q.MetricStat.Metric.Dimensions[0].Value))].sort();
    const accruing = [fleet.running, fleet.late, fleet.deleted, fleet.suspended].map((c) => tenantClusterName(c.clusterId)).sort();
    expect(clustersIn(devCalls[0])).toEqual(accruing); // the cluster deleted the day before is not read
    expect(devCalls[0].queries.map((q) => q.MetricStat.Metric.MetricName).sort()).toEqual(
      accruing.flatMap(() => ['cluster_node_count', 'node_cpu_usage_total', 'node_memory_working_set']).sort(),
    );
    expect(devCalls[0].queries.every((q) => q.MetricStat.Metric.Namespace === 'ContainerInsights' && q.MetricStat.Period === 60 && q.MetricStat.Stat === 'Average')).toBe(true);
    // 4 clusters × 3 metrics × 122 recorded minutes, 120 datapoints a page: 13 pages of the same queries, each asked with the token of the last.
    const pages = Math.ceil((4 * 3 * 122) / world.fake.pageSize);
    expect(devCalls.map((call) => call.nextToken)).toEqual([undefined, ...Array.from({ length: pages - 1 }, (_, i) => String((i + 1) * world.fake.pageSize))]);
    expect(devCalls.every((call) => JSON.stringify(call.queries) === JSON.stringify(devCalls[0].queries))).toBe(true);
    expect(devCalls.map((call) => [call.startTime, call.endTime])).toEqual(devCalls.map(() => [Date.parse('2026-11-20T08:00:00.000Z') / 1000, NOW.getTime() / 1000]));
  });

  it('reads each environment through that environment’s reader role, assumed once by the collector’s own role', () => {
    const assumed = world.fake.sts.calls.filter((call) => call.action === 'AssumeRole').map((call) => [call.principal, call.params.RoleArn, call.status]);
    expect(assumed.sort()).toEqual([dev, prod, testEnvironment].map((environment) => [COLLECTOR, readerArn(environment), 200]).sort());
  });

  it('writes what the recording says each hour, whatever the paging: the agent’s gap and the replaced worker included', async () => {
    const windows = await windowsOf(fleet.running);
    expect(windows.map((w) => w.hour)).toEqual(['2026-11-20T08', '2026-11-20T09', '2026-11-20T10']);
    expectWindow(windows[0], '2026-11-20T08', '2026-11-20T08:00:00.000Z', '2026-11-20T09:00:00.000Z');
    expectWindow(windows[1], '2026-11-20T09', '2026-11-20T09:00:00.000Z', '2026-11-20T10:00:00.000Z');
    expectWindow(windows[2], '2026-11-20T10', '2026-11-20T10:00:00.000Z', NOW.toISOString());
    // 08:31 to 08:33 sent nothing: 57 minutes of a coordinator; 09:10 to 09:14 ran one worker short.
    expect(windows[0].coordinator).toBeCloseTo(57 / 60, 12);
    expect(windows[1].workers).toBeCloseTo((55 * 2 + 5) / 60, 12);
    expect(windows[1].queryCount).toBe(1);
    expect(windows[1].priceVersion).toBe('v-earlier'); // the first writer fixed the price table
    expect(windows[0].priceVersion).toBe(priceTableVersion(config.prices));
    expect(await windowsOf(fleet.inTest)).toEqual(windows.map((w) => ({ ...w, queryCount: 0, priceVersion: windows[0].priceVersion })));

    // One page for everything: the same windows.
    const unpaged = aws([[dev]], [fleet.running]);
    unpaged.fake.pageSize = 100_800;
    const samples = await unpaged.reader.read(dev, [fleet.running], new Date('2026-11-20T08:00:00.000Z'), NOW);
    const paged = await world.reader.read(dev, [fleet.running], new Date('2026-11-20T08:00:00.000Z'), NOW);
    expect(unpaged.fake.metricCalls).toHaveLength(1);
    expect(paged).toEqual(samples);
    expect(samples.get(fleet.running.clusterId)?.nodeCount.size).toBe(122);
  });

  it('accrues nothing after the moment a cluster was suspended or deleted, and nothing before it was created', async () => {
    const deleted = await windowsOf(fleet.deleted);
    expect(deleted.map((w) => w.hour)).toEqual(['2026-11-20T08', '2026-11-20T09']);
    expectWindow(deleted[1], '2026-11-20T09', '2026-11-20T09:00:00.000Z', '2026-11-20T09:20:00.000Z');
    const suspended = await windowsOf(fleet.suspended);
    expect(suspended.map((w) => w.hour)).toEqual(['2026-11-20T08']);
    expectWindow(suspended[0], '2026-11-20T08', '2026-11-20T08:00:00.000Z', '2026-11-20T08:45:00.000Z');
    const late = await windowsOf(fleet.late);
    expectWindow(late[0], '2026-11-20T08', '2026-11-20T08:40:00.000Z', '2026-11-20T09:00:00.000Z');
    expect(await windowsOf(fleet.longGone)).toEqual([]);
  });

  it('reports an environment whose reader may not call GetMetricData (the simulator decides) and still collects the others', async () => {
    expect(summary.failed).toEqual([{ environment: 'prod', error: expect.stringContaining(`${readerArn(prod)} is not authorized to perform: cloudwatch:GetMetricData`) }]);
    expect(await windowsOf(fleet.inProd)).toEqual([]);
    expect(summary.windows).toBe(3 /* running */ + 3 /* late */ + 2 /* deleted */ + 1 /* suspended */ + 3 /* inTest */);
    expect(summary.hours).toEqual({ first: '2026-11-20T08', last: '2026-11-20T10' });
  });

  it('collects an hour again to the same windows', async () => {
    const before = await windowsOf(fleet.running);
    const again = aws([[dev], [testEnvironment], [prod]], Object.values(fleet));
    const rerun = await collectNodeUsage({ tables, config, nodeMetrics: again.reader, now: () => NOW });
    expect(rerun.failed).toEqual([]);
    expect(await windowsOf(fleet.running)).toEqual(before);
  });
});

describe('the Container Insights reader', () => {
  it('reads with what the generated reader policy allows: it holds the usage statements', () => {
    for (const environment of [dev, testEnvironment, prod]) {
      expect(tenantReaderRolePolicy(environment).toJSON().Statement).toEqual(expect.arrayContaining(readerUsageStatements(environment)));
    }
  });

  it('asks for at most 166 clusters in one request (three queries each, of the 500 GetMetricData takes)', async () => {
    const many = Array.from({ length: CLUSTERS_PER_REQUEST + 1 }, (_, i) => ({ clusterId: `c-${String(9000 + i).padStart(16, '0')}`, tier: 'S' as const }));
    const { fake, reader } = aws([[dev]], []);
    fake.metrics.set(tenantClusterName(many[CLUSTERS_PER_REQUEST].clusterId), RECORDED);
    fake.pageSize = 100_800;
    const samples = await reader.read(dev, many, new Date('2026-11-20T09:00:00.000Z'), new Date('2026-11-20T10:00:00.000Z'));
    expect(fake.metricCalls.map((call) => call.queries.length)).toEqual([3 * CLUSTERS_PER_REQUEST, 3]);
    expect(CLUSTERS_PER_REQUEST).toBe(166);
    // The hour asked for, of the one cluster recorded (in the second request); nothing for the others.
    expect(samples.get(many[CLUSTERS_PER_REQUEST].clusterId)?.nodeCount.size).toBe(60);
    expect(many.slice(0, CLUSTERS_PER_REQUEST).every((c) => (samples.get(c.clusterId)?.nodeCount.size ?? 0) === 0)).toBe(true);
  });
});
