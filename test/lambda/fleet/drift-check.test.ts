import { readFileSync } from 'node:fs';
import { driftDetectionStatements } from '../../../lib/access/drift-detection-permissions';
import type { PolicyStatement } from '../../../lib/access/policy-document';
import { loadPlatformConfig } from '../../../lib/config/load-platform-config';
import type { EnvironmentConfig } from '../../../lib/config/platform-config';
import type { Cluster } from '../../../lib/contract/api';
import { newClusterId } from '../../../lib/contract/ids';
import { tenantStackName } from '../../../lib/contract/tenant-spec';
import { tenantReaderRolePolicy } from '../../../lib/control-plane/workflow/provisioning-workflow';
import { auditPut } from '../../../lambda/core/audit-log';
import { clusterKey, getCluster, putClusterItem } from '../../../lambda/core/cluster-store';
import { recordDriftCheck } from '../../../lambda/core/drift-checks';
import { listClusterEvents } from '../../../lambda/core/event-store';
import { getFleetOperation, type FleetOperationRecord } from '../../../lambda/core/fleet-operation-store';
import { transact, updateIf, type Tables } from '../../../lambda/core/tables';
import { CloudFormationDriftDetector } from '../../../lambda/fleet/cloudformation-drift-detector';
import { runDriftCheck } from '../../../lambda/fleet/drift-check';
import { startLocalTables } from '../../support/local-tables';
import { CONTROL_PLANE_ACCOUNT, FakeCloudFormationAws, type RecordedResourceDrift, type RecordedStack } from './fake-cloudformation-aws';

/**
 * Drift checks with the real CloudFormation and STS SDK clients against AWS faked at the HTTP
 * boundary (`FakeCloudFormationAws`): recorded detections and resource drifts (paged), every request
 * decided by the IAM policy simulator over the environment reader role's policy; results land on the
 * clusters in dynalite, with events and the operation's outcomes.
 */

const config = loadPlatformConfig('config/platform.json');
const dev = config.environments.dev as EnvironmentConfig;
const testEnvironment = config.environments.test as EnvironmentConfig;
const RECORDED: RecordedResourceDrift[] = JSON.parse(readFileSync('test/fixtures/cloudformation-drift-tenant-stack.json', 'utf8')).StackResourceDrifts;
const WORKER = `arn:aws:sts::${CONTROL_PLANE_ACCOUNT}:assumed-role/sici-fleet-worker/worker`;
const NOW = new Date('2026-11-30T08:00:00.000Z');

let local: Awaited<ReturnType<typeof startLocalTables>>;
let tables: Tables;
beforeAll(async () => {
  local = await startLocalTables();
  tables = local.tables;
});
afterAll(() => local.stop());

async function activeCluster(environment: 'dev' | 'test', suspended = false): Promise<Cluster> {
  const time = NOW.toISOString();
  const cluster: Cluster = { clusterId: newClusterId(), teamId: 'drift-team', environment, tier: 'S', status: suspended ? 'SUSPENDED' : 'ACTIVE', endpoint: null, createdAt: time, updatedAt: time };
  await transact(tables, [putClusterItem(tables, cluster)]);
  if (suspended) {
    await updateIf(tables, { Key: clusterKey(cluster.clusterId), UpdateExpression: 'SET suspension = :s', ExpressionAttributeValues: { ':s': { reason: 'idle', suspendedAt: time, suspendedBy: 'sici-auto-suspend' } } });
  }
  return cluster;
}

const inProgress = { DetectionStatus: 'DETECTION_IN_PROGRESS' } as const;
const drifted: RecordedStack = { statuses: [inProgress, { DetectionStatus: 'DETECTION_COMPLETE', StackDriftStatus: 'DRIFTED' }], resources: RECORDED };

/** The reader role's generated policy (it holds the drift statements), or `statements` instead. */
function fakeAws(readerStatements: PolicyStatement[] = tenantReaderRolePolicy(dev).toJSON().Statement) {
  const aws = new FakeCloudFormationAws();
  aws.addReader(dev, readerStatements);
  aws.addReader(testEnvironment, tenantReaderRolePolicy(testEnvironment).toJSON().Statement);
  const credentials = aws.addFunction(WORKER, [dev, testEnvironment]);
  const detector = new CloudFormationDriftDetector({ requestHandler: aws, credentials, wait: async () => undefined });
  return { aws, detector };
}

async function check(clusters: Cluster[], detector: CloudFormationDriftDetector): Promise<FleetOperationRecord> {
  const operation = await recordDriftCheck(tables, {
    selector: { clusterIds: clusters.map((cluster) => cluster.clusterId) },
    requestedBy: 'arn:aws:iam::123456789012:role/platform-admin',
    time: NOW.toISOString(),
    audit: (recorded) => auditPut(tables, { actor: 'test', action: 'startDriftCheck', time: NOW.toISOString(), sourceIp: 'internal', entity: 'fleet', requestId: recorded.operationId, outcome: 'SUCCEEDED', status: 202 }),
  });
  await runDriftCheck({ tables, config, now: () => NOW, detector }, operation);
  return operation;
}

const outcomeOf = async (operationId: string, clusterId: string) => (await getFleetOperation(tables, operationId, { limit: 100 }))!.outcomes.find((o) => o.clusterId === clusterId);
const eventsOf = async (clusterId: string) => (await listClusterEvents(tables, clusterId, { limit: 100 })).items.filter((event) => event.type === 'DRIFT_DETECTED');

describe('drift detection of tenant stacks through the reader role', () => {
  it('a drifted stack: every MODIFIED and DELETED resource over all pages, with its differences, on the cluster, in an event and as CHECKED', async () => {
    const { aws, detector } = fakeAws();
    const cluster = await activeCluster('dev');
    aws.stacks.set(`${dev.account}/${tenantStackName(cluster.clusterId)}`, drifted);
    const operation = await check([cluster], detector);

    const drift = (await getCluster(tables, cluster.clusterId))!.drift!;
    expect(drift.status).toBe('DRIFTED');
    expect(drift.operationId).toBe(operation.operationId);
    expect(drift.resources.map((resource) => [resource.logicalId, resource.resourceType, resource.status])).toEqual([
      ['ClusterWorkersNodegroup6E8B1A2F', 'AWS::EKS::Nodegroup', 'MODIFIED'],
      ['StarburstRole9C1B2D3E', 'AWS::IAM::Role', 'MODIFIED'],
      ['QueryIngressFromCorporate4F5E6D7C', 'AWS::EC2::SecurityGroupIngress', 'DELETED'],
      ['CoordinatorNodegroup1A2B3C4D', 'AWS::EKS::Nodegroup', 'MODIFIED'],
    ]);
    expect(drift.resources[1].properties).toEqual([{ path: '/Policies/0/PolicyDocument/Statement/1', actual: '{"Action":"s3:*","Effect":"Allow","Resource":"*"}', difference: 'ADD' }]);
    expect(drift.resources[0].properties.map((p) => [p.path, p.expected, p.actual])).toEqual([['/ScalingConfig/DesiredSize', '2', '0'], ['/ScalingConfig/MinSize', '2', '0']]);

    const stackName = tenantStackName(cluster.clusterId);
    expect(aws.calls.map((call) => [call.action, call.status])).toEqual([
      ['DetectStackDrift', 200],
      ['DescribeStackDriftDetectionStatus', 200],
      ['DescribeStackDriftDetectionStatus', 200],
      ['DescribeStackResourceDrifts', 200],
      ['DescribeStackResourceDrifts', 200],
    ]);
    const pages = aws.calls.filter((call) => call.action === 'DescribeStackResourceDrifts');
    expect(pages.map((page) => [page.params.StackName, page.params.NextToken, page.params['StackResourceDriftStatusFilters.member.1'], page.params['StackResourceDriftStatusFilters.member.2']])).toEqual([
      [stackName, undefined, 'MODIFIED', 'DELETED'],
      [stackName, '2', 'MODIFIED', 'DELETED'],
    ]);
    expect(aws.calls.every((call) => call.account === dev.account)).toBe(true);

    const [event] = await eventsOf(cluster.clusterId);
    expect(event.message).toContain('StarburstRole9C1B2D3E (AWS::IAM::Role, MODIFIED)');
    expect(event.message).toContain(operation.operationId);
    expect(await outcomeOf(operation.operationId, cluster.clusterId)).toMatchObject({ status: 'CHECKED', detail: expect.stringMatching(/^DRIFTED: 4 resource/) });
  });

  it("a suspended cluster: its node groups' ScalingConfig at zero is not drift, anything else still is", async () => {
    const { aws, detector } = fakeAws();
    const cluster = await activeCluster('dev', true);
    aws.stacks.set(`${dev.account}/${tenantStackName(cluster.clusterId)}`, drifted);
    await check([cluster], detector);
    const drift = (await getCluster(tables, cluster.clusterId))!.drift!;
    expect(drift.status).toBe('DRIFTED');
    expect(drift.resources.map((resource) => resource.logicalId)).toEqual(['StarburstRole9C1B2D3E', 'QueryIngressFromCorporate4F5E6D7C', 'CoordinatorNodegroup1A2B3C4D']);
    expect(drift.resources[2].properties.map((p) => p.path)).toEqual(['/Labels/sici:node-role']);
    expect(drift.detail).toContain("3 difference(s) explained by the cluster's suspension");
  });

  it('a suspended cluster whose only differences are its scaled-down node groups is IN_SYNC, without an event', async () => {
    const { aws, detector } = fakeAws();
    const cluster = await activeCluster('dev', true);
    aws.stacks.set(`${dev.account}/${tenantStackName(cluster.clusterId)}`, { ...drifted, resources: [RECORDED[0]] });
    await check([cluster], detector);
    expect((await getCluster(tables, cluster.clusterId))!.drift).toMatchObject({ status: 'IN_SYNC', resources: [] });
    expect(await eventsOf(cluster.clusterId)).toEqual([]);
  });

  it('in sync, failed, missing and forbidden detections, in two accounts: CHECKED or FAILED with the reason, and the operation PARTIAL', async () => {
    const { aws, detector } = fakeAws();
    const inSync = await activeCluster('test');
    const failed = await activeCluster('dev');
    const partial = await activeCluster('dev');
    const missing = await activeCluster('dev');
    aws.stacks.set(`${testEnvironment.account}/${tenantStackName(inSync.clusterId)}`, { statuses: [{ DetectionStatus: 'DETECTION_COMPLETE', StackDriftStatus: 'IN_SYNC' }], resources: [] });
    aws.stacks.set(`${dev.account}/${tenantStackName(failed.clusterId)}`, {
      statuses: [inProgress, inProgress, { DetectionStatus: 'DETECTION_FAILED', StackDriftStatus: 'UNKNOWN', DetectionStatusReason: 'Failed to detect drift on resources [ClusterWorkersNodegroup6E8B1A2F]' }],
      resources: [],
    });
    aws.stacks.set(`${dev.account}/${tenantStackName(partial.clusterId)}`, {
      statuses: [{ DetectionStatus: 'DETECTION_FAILED', StackDriftStatus: 'DRIFTED', DetectionStatusReason: 'Failed to detect drift on resources [VpcDefault0A1B2C3D]' }],
      resources: [RECORDED[1]],
    });
    const operation = await check([inSync, failed, partial, missing], detector);

    expect((await getCluster(tables, inSync.clusterId))!.drift).toMatchObject({ status: 'IN_SYNC', resources: [] });
    expect((await getCluster(tables, failed.clusterId))!.drift).toMatchObject({ status: 'UNKNOWN', detail: expect.stringContaining('Failed to detect drift on resources [ClusterWorkersNodegroup6E8B1A2F]') });
    expect((await getCluster(tables, partial.clusterId))!.drift).toMatchObject({
      status: 'DRIFTED',
      detail: expect.stringContaining('detection incomplete: Failed to detect drift on resources [VpcDefault0A1B2C3D]'),
      resources: [expect.objectContaining({ logicalId: 'StarburstRole9C1B2D3E' })],
    });
    expect((await getCluster(tables, missing.clusterId))!.drift).toMatchObject({ status: 'UNKNOWN', detail: expect.stringContaining(`ValidationError: Stack with id ${tenantStackName(missing.clusterId)} does not exist`) });
    expect(aws.calls.filter((call) => call.params.StackName === tenantStackName(inSync.clusterId)).map((call) => call.account)).toEqual([testEnvironment.account]);
    expect(aws.calls.some((call) => call.action === 'DescribeStackResourceDrifts' && call.params.StackName === tenantStackName(inSync.clusterId))).toBe(false);

    expect((await outcomeOf(operation.operationId, inSync.clusterId))!.status).toBe('CHECKED');
    expect((await outcomeOf(operation.operationId, partial.clusterId))!.status).toBe('CHECKED');
    expect((await outcomeOf(operation.operationId, failed.clusterId))!.status).toBe('FAILED');
    expect((await outcomeOf(operation.operationId, missing.clusterId))!.status).toBe('FAILED');
    const done = (await getFleetOperation(tables, operation.operationId, { limit: 10 }))!;
    expect(done).toMatchObject({ status: 'PARTIAL', counts: { matched: 4, pending: 0, done: 2, failed: 2 } });
  });

  it('a reader role without the drift statements is refused DetectStackDrift: UNKNOWN with AccessDenied', async () => {
    const drift = new Set(driftDetectionStatements(dev).map((statement) => statement.Sid));
    const withoutDrift = (tenantReaderRolePolicy(dev).toJSON().Statement as PolicyStatement[]).filter((statement) => !drift.has(statement.Sid));
    expect(withoutDrift.length).toBeLessThan(tenantReaderRolePolicy(dev).toJSON().Statement.length);
    const { aws, detector } = fakeAws(withoutDrift);
    const cluster = await activeCluster('dev');
    aws.stacks.set(`${dev.account}/${tenantStackName(cluster.clusterId)}`, drifted);
    await check([cluster], detector);
    expect((await getCluster(tables, cluster.clusterId))!.drift).toMatchObject({ status: 'UNKNOWN', detail: expect.stringContaining('AccessDenied') });
    expect(aws.calls.map((call) => [call.action, call.status])).toEqual([['DetectStackDrift', 403]]);
  });

  it('with the drift statements every call of a detection is allowed, and DetectStackDrift names tenant stacks only', async () => {
    const { aws, detector } = fakeAws();
    const cluster = await activeCluster('dev');
    aws.stacks.set(`${dev.account}/${tenantStackName(cluster.clusterId)}`, drifted);
    await check([cluster], detector);
    expect(aws.calls.every((call) => call.status === 200)).toBe(true);
    const statement = driftDetectionStatements(dev).find((s) => s.Sid === 'DetectTenantStackDrift')!;
    expect(statement.Resource).toBe(`arn:aws:cloudformation:${dev.region}:${dev.account}:stack/TenantStack-*/*`);
  });
});
