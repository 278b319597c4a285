import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../../lib/contract/tables';
import { clusterKey, getClusterRecord } from '../../../lambda/core/cluster-store';
import { completeJobItems } from '../../../lambda/core/job-lifecycle';
import { getJob, markJobRunning } from '../../../lambda/core/job-store';
import { transact } from '../../../lambda/core/tables';
import { autoSuspendIdleClusters } from '../../../lambda/fleet/auto-suspend';
import { LocalClusterControl } from '../../../lambda/local/local-cluster-control';
import { LocalFleetWork } from '../../../lambda/local/local-fleet-work';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';

const ALICE = principalOf('alice');
const BOB = principalOf('bob');

let api: ApiHarness;
let fleetWork: LocalFleetWork;
let control: LocalClusterControl;
let folder: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'sici-suspension-'));
  control = new LocalClusterControl(join(folder, 'cluster-control'));
  api = await ApiHarness.start({
    fleetWork: (tables, config) => (fleetWork = new LocalFleetWork({ tables, config, control, now: () => new Date(), pollIntervalMs: 20 })),
  });
  await api.registerTeam('analytics', [ALICE], { tiers: ['S', 'M'], environments: ['dev', 'test'], maxClusters: 20 });
  await api.registerTeam('finance', [BOB], { tiers: ['S', 'M', 'L'], environments: ['dev', 'test'], maxClusters: 20 });
});
afterAll(async () => {
  await fleetWork.idle();
  await api.stop();
  rmSync(folder, { recursive: true, force: true });
});

/** A cluster as its CREATE job leaves it: ACTIVE, no job in flight. */
async function activeCluster(principal: string, environment: 'dev' | 'test', tier = 'S'): Promise<string> {
  const created = await api.call(principal, 'POST', '/clusters', { body: { environment, tier } });
  expect(created.status).toBe(202);
  await api.settle(clusterKey(created.json.cluster.clusterId), 'ACTIVE');
  return created.json.cluster.clusterId;
}

const cluster = (clusterId: string) => getClusterRecord(api.tables, clusterId);
const operation = async (operationId: string) => (await api.call(ADMIN, 'GET', `/fleet/operations/${operationId}`, { query: { limit: '100' } })).json;

/** Waits (without a time bound on the assertion) until the operation's outcome of a cluster is `status`. */
async function outcomeReaches(operationId: string, clusterId: string, status: string): Promise<void> {
  for (;;) {
    const found = (await operation(operationId)).outcomes.find((outcome: { clusterId: string }) => outcome.clusterId === clusterId);
    if (found?.status === status) return;
    await sleep(10);
  }
}

describe('fleet routes: who may call them and what they refuse', () => {
  it('answers 403 to a team principal on every fleet route', async () => {
    for (const [method, path, body] of [
      ['POST', '/fleet/shutdown', { reason: 'incident', selector: { environment: 'dev' } }],
      ['POST', '/fleet/resume', { selector: { environment: 'dev' } }],
      ['GET', '/fleet/operations/fo-0123456789abcdef', undefined],
    ] as const) {
      const answer = await api.call(ALICE, method, path, body ? { body } : {});
      expect(answer.status).toBe(403);
      expect(answer.headers['content-type']).toBe('application/problem+json');
    }
  });

  it('refuses { all: true } without confirmAll with 400 naming the field, and changes nothing', async () => {
    const clusterId = await activeCluster(ALICE, 'dev');
    const answer = await api.call(ADMIN, 'POST', '/fleet/shutdown', { body: { reason: 'incident', selector: { all: true } } });
    expect(answer.status).toBe(400);
    expect(answer.json.errors).toEqual([expect.objectContaining({ field: 'body.confirmAll' })]);
    expect((await cluster(clusterId))?.suspension).toBeUndefined();
  });

  it('answers 422 saying so when the selector matches nothing', async () => {
    const answer = await api.call(ADMIN, 'POST', '/fleet/shutdown', { body: { reason: 'incident', selector: { teamId: 'nobody' } } });
    expect(answer.status).toBe(422);
    expect(answer.json.detail).toContain('team nobody');
    expect(answer.json.errors).toEqual([{ field: 'body.selector', message: expect.stringContaining('matches no') }]);
    const resume = await api.call(ADMIN, 'POST', '/fleet/resume', { body: { selector: { clusterIds: ['c-0000000000000000'] } } });
    expect(resume.status).toBe(422);
  });
});

describe('emergency shutdown and resume of an environment', () => {
  it('suspends exactly the clusters of the environment, endpoint blocked then nodes at zero, and resume restores them', async () => {
    // Every running dev cluster is matched, including those of the other tests.
    const dev = [await activeCluster(ALICE, 'dev'), await activeCluster(BOB, 'dev', 'M')];
    const test = [await activeCluster(ALICE, 'test'), await activeCluster(BOB, 'test')];

    const answer = await api.call(ADMIN, 'POST', '/fleet/shutdown', { body: { reason: 'Security incident INC-4711', selector: { environment: 'dev' } } });
    expect(answer.status).toBe(202);
    expect(answer.headers.location).toBe(`/fleet/operations/${answer.json.operationId}`);
    expect(answer.json).toMatchObject({ kind: 'SHUTDOWN', status: 'RUNNING', selector: { environment: 'dev' }, requestedBy: ADMIN });
    await fleetWork.idle();

    const done = await operation(answer.json.operationId);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.allBlockedAt).toBeDefined();
    expect(done.counts.pending).toBe(0);
    expect(done.outcomes.every((outcome: { environment: string; status: string }) => outcome.environment === 'dev' && outcome.status === 'SUSPENDED')).toBe(true);
    for (const clusterId of dev) {
      const suspended = await cluster(clusterId);
      expect(suspended).toMatchObject({ status: 'SUSPENDED', suspension: { reason: 'Security incident INC-4711', suspendedBy: ADMIN, operationId: answer.json.operationId } });
      expect(suspended!.suspension!.endpointBlockedAt! <= suspended!.suspension!.scaledToZeroAt!).toBe(true);
      expect(await control.state(clusterId)).toMatchObject({ endpointBlocked: true, nodes: { coordinator: 0, worker: 0 } });
      const events = (await api.call(clusterId === dev[0] ? ALICE : BOB, 'GET', `/clusters/${clusterId}/events`)).json.items;
      expect(events.map((event: { type: string }) => event.type)).toEqual(expect.arrayContaining(['ENDPOINT_BLOCKED', 'CLUSTER_SUSPENDED', 'NODES_SCALED_TO_ZERO']));
    }
    for (const clusterId of test) {
      expect(await cluster(clusterId)).toMatchObject({ status: 'ACTIVE' });
      expect((await cluster(clusterId))?.suspension).toBeUndefined();
      expect(await control.state(clusterId)).toBeUndefined();
    }
    const audit = (await api.items('audit')).find((record) => record.action === 'shutdownFleet' && record.outcome === 'SUCCEEDED');
    expect(audit).toMatchObject({ actor: ADMIN, entity: `fleet-operation/${answer.json.operationId}`, metadata: expect.objectContaining({ selector: { environment: 'dev' } }) });

    const resume = await api.call(ADMIN, 'POST', '/fleet/resume', { body: { selector: { environment: 'dev' }, reason: 'incident closed' } });
    expect(resume.status).toBe(202);
    await fleetWork.idle();
    expect((await operation(resume.json.operationId)).status).toBe('SUCCEEDED');
    for (const [clusterId, workers] of [[dev[0], 2], [dev[1], 4]] as const) {
      const resumed = await cluster(clusterId);
      expect(resumed?.status).toBe('ACTIVE');
      expect(resumed?.suspension).toBeUndefined();
      expect(await control.state(clusterId)).toMatchObject({ endpointBlocked: false, nodes: { coordinator: 1, worker: workers } });
    }
    for (const clusterId of test) expect((await cluster(clusterId))?.status).toBe('ACTIVE');
  });

  it('blocks a cluster whose job is in flight at once; its job then finishes it SUSPENDED and its nodes go to zero', async () => {
    const created = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'test', tier: 'S' } });
    const { clusterId } = created.json.cluster;
    const answer = await api.call(ADMIN, 'POST', '/fleet/shutdown', { body: { reason: 'incident', selector: { clusterIds: [clusterId] } } });
    expect(answer.status).toBe(202);
    await outcomeReaches(answer.json.operationId, clusterId, 'BLOCKED');
    expect(await control.state(clusterId)).toMatchObject({ endpointBlocked: true });
    expect(await cluster(clusterId)).toMatchObject({ status: 'PROVISIONING', activeJobId: created.json.jobId });
    expect((await control.state(clusterId))?.nodes).toBeUndefined();

    // What the workflow's Complete job step does when the deploy is done.
    const job = (await getJob(api.tables, created.json.jobId))!;
    await markJobRunning(api.tables, job);
    await transact(api.tables, await completeJobItems(api.tables, { ...job, status: 'RUNNING' }, (await cluster(clusterId))!, undefined, new Date().toISOString()));
    await fleetWork.idle();

    expect(await cluster(clusterId)).toMatchObject({ status: 'SUSPENDED', suspension: { reason: 'incident' } });
    expect((await getJob(api.tables, created.json.jobId))?.status).toBe('SUCCEEDED');
    expect(await control.state(clusterId)).toMatchObject({ endpointBlocked: true, nodes: { coordinator: 0, worker: 0 } });
    expect((await operation(answer.json.operationId)).outcomes[0]).toMatchObject({ status: 'SUSPENDED', detail: `job ${created.json.jobId} finished first` });
  });
});

describe('a team suspends and resumes its own cluster', () => {
  it('suspends and resumes its cluster, and gets 404 for another team’s', async () => {
    const clusterId = await activeCluster(ALICE, 'test');
    expect((await api.call(BOB, 'POST', `/clusters/${clusterId}/suspend`, { body: { reason: 'not mine' } })).status).toBe(404);
    expect((await api.call(BOB, 'POST', `/clusters/${clusterId}/resume`)).status).toBe(404);

    const suspend = await api.call(ALICE, 'POST', `/clusters/${clusterId}/suspend`, { body: { reason: 'saving cost over the weekend' } });
    expect(suspend.status).toBe(202);
    expect(suspend.json).toMatchObject({ kind: 'SHUTDOWN', requestedBy: ALICE, selector: { clusterIds: [clusterId] } });
    expect((await api.call(ALICE, 'POST', `/clusters/${clusterId}/suspend`, { body: { reason: 'twice' } })).status).toBe(409);
    await fleetWork.idle();
    const suspended = await api.call(ALICE, 'GET', `/clusters/${clusterId}`);
    expect(suspended.json).toMatchObject({ status: 'SUSPENDED', suspension: { suspendedBy: ALICE, reason: 'saving cost over the weekend' } });

    expect((await api.call(ALICE, 'POST', `/clusters/${clusterId}/resume`)).status).toBe(202);
    await fleetWork.idle();
    expect((await api.call(ALICE, 'GET', `/clusters/${clusterId}`)).json).toMatchObject({ status: 'ACTIVE' });
    expect((await api.call(ALICE, 'POST', `/clusters/${clusterId}/resume`)).status).toBe(409);

    // Found under the cluster in the audit trail, with the operation that carried it out.
    const records = (await api.items('audit')).filter((record) => record.entity === `cluster/${clusterId}` && record.outcome === 'SUCCEEDED');
    expect(records.map((record) => record.action).sort()).toEqual(expect.arrayContaining(['resumeCluster', 'suspendCluster']));
    expect(records.find((record) => record.action === 'suspendCluster')).toMatchObject({ actor: ALICE, metadata: expect.objectContaining({ operationId: suspend.json.operationId }) });
  });
});

describe('idle clusters suspend themselves', () => {
  it('suspends a dev cluster idle past autoSuspendAfterIdleHours and not a busy one; resume brings it back', async () => {
    const idle = await activeCluster(ALICE, 'dev');
    const busy = await activeCluster(BOB, 'dev');
    const later = new Date(Date.now() + 13 * 3_600_000);
    const [history] = STATE_TABLE_KEYS.indexes;
    const endTime = new Date(later.getTime() - 3_600_000).toISOString();
    await api.tables.doc.send(
      new PutCommand({
        TableName: api.tables.stateTable,
        Item: { pk: `QUERY#${busy}#q1`, sk: 'QUERY', [history.partitionKey]: `QUERIES#${busy}`, [history.sortKey]: `${endTime}#q1`, clusterId: busy, queryId: 'q1', endTime },
      }),
    );
    const result = await autoSuspendIdleClusters({ tables: api.tables, config: api.deps.config, fleetWork, now: () => later });
    await fleetWork.idle();
    expect(result.suspended.dev).toContain(idle);
    expect(result.suspended.dev).not.toContain(busy);
    expect(result.suspended.test).toBeUndefined(); // no autoSuspendAfterIdleHours in test
    expect(await cluster(idle)).toMatchObject({ status: 'SUSPENDED', suspension: { suspendedBy: 'sici-auto-suspend' } });
    expect((await cluster(busy))?.status).toBe('ACTIVE');
    const events = (await api.call(ALICE, 'GET', `/clusters/${idle}/events`)).json.items;
    expect(events.find((event: { type: string }) => event.type === 'CLUSTER_SUSPENDED').message).toContain('automatically (idle)');

    expect((await api.call(ALICE, 'POST', `/clusters/${idle}/resume`)).status).toBe(202);
    await fleetWork.idle();
    expect((await cluster(idle))?.status).toBe('ACTIVE');
  });
});
