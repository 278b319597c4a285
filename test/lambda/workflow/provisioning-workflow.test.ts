import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { loadPlatformConfig } from '../../../lib/config/load-platform-config';
import { STATE_NAMES } from '../../../lib/contract/workflow';
import { FileSpecStore } from '../../../lambda/local/file-spec-store';
import { LocalWorkflow } from '../../../lambda/local/local-workflow';
import { synthesizedWorkflowDefinition } from '../../../lambda/local/workflow-definition';
import { reconcile } from '../../../lambda/workflow/reconcile';
import { PermanentError, TransientError } from '../../../lambda/workflow/workflow-errors';
import type { WorkflowDependencies } from '../../../lambda/workflow/workflow-steps';
import { ApiHarness, principalOf } from '../../support/api-harness';
import { InstantRunner } from '../../support/instant-runner';

/**
 * The provisioning workflow as synthesized for AWS, executed by aws-local-stepfunctions against
 * dynalite: the success path, a failure at every step, a transient failure retried, DELETE after
 * CREATE, concurrency, and the reconciler.
 */

const config = loadPlatformConfig('config/platform.json');
const definition = synthesizedWorkflowDefinition(config);
const MEMBER = principalOf('wf-member');

let specsDir: string;
beforeAll(() => {
  specsDir = mkdtempSync(join(tmpdir(), 'sici-specs-'));
});
afterAll(() => rmSync(specsDir, { recursive: true, force: true }));

type Fault = { state: string; error: Error; times: number };

async function world(fault?: Fault) {
  const runner = new InstantRunner();
  let workflow!: LocalWorkflow;
  let deps!: WorkflowDependencies;
  const api = await ApiHarness.start({
    jobStarter: (tables) => {
      deps = { tables, config, specs: new FileSpecStore(specsDir), outputs: runner, now: () => new Date() };
      workflow = new LocalWorkflow({
        definition,
        deps,
        deployer: runner,
        retryIntervalMs: 5,
        wrapTask: (state, handler) => async (input) => {
          if (fault && fault.state === state && fault.times > 0) {
            fault.times--;
            throw fault.error;
          }
          return handler(input);
        },
      });
      return workflow;
    },
  });
  await api.registerTeam('wf-team', [MEMBER], { tiers: ['S', 'M'], environments: ['dev'], maxClusters: 5 });
  const create = async () => {
    const answer = await api.call(MEMBER, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    expect(answer.status).toBe(202);
    return { clusterId: answer.json.cluster.clusterId as string, jobId: answer.json.jobId as string };
  };
  return { api, runner, workflow: () => workflow, deps: () => deps, create };
}

it('is valid ASL with every state of the contract', () => {
  const result = aslValidator(definition);
  expect(result.errors).toEqual([]);
  const states = Object.keys((definition as { States: object }).States);
  for (const name of Object.values(STATE_NAMES)) expect(states).toContain(name);
});

it('takes a cluster from PROVISIONING to ACTIVE with an event for every step', async () => {
  const { api, runner, workflow, create } = await world();
  try {
    const { clusterId, jobId } = await create();
    expect(await workflow().settled(jobId)).toMatchObject({ status: 'SUCCEEDED' });

    const cluster = (await api.call(MEMBER, 'GET', `/clusters/${clusterId}`)).json;
    expect(cluster).toMatchObject({ status: 'ACTIVE', endpoint: `local://${clusterId}.instant`, vpcCidr: '10.64.0.0/20' });
    expect(cluster.activeJobId).toBeUndefined();
    const job = (await api.call(MEMBER, 'GET', `/jobs/${jobId}`)).json;
    expect(job).toMatchObject({ status: 'SUCCEEDED', completedAt: expect.any(String) });
    const events = (await api.call(MEMBER, 'GET', `/clusters/${clusterId}/events`, { query: { limit: '50' } })).json.items.map((e: { type: string }) => e.type);
    expect(events).toEqual(['JOB_ACCEPTED', 'JOB_RUNNING', 'ENTITLEMENT_VALIDATED', 'CLUSTER_ALLOCATED', 'TENANT_SPEC_WRITTEN', 'ENDPOINT_REGISTERED', 'JOB_SUCCEEDED']);
    expect(runner.builds).toEqual([{ action: 'deploy', clusterId, jobId }]);
    // The spec the runner deployed is the cluster's, valid, pinned to the configured engine.
    const spec = await new FileSpecStore(specsDir).get((await new FileSpecStore(specsDir).latest(clusterId))!);
    expect(spec).toMatchObject({ clusterId, teamId: 'wf-team', tier: 'S', vpcCidr: '10.64.0.0/20', engine: config.engine, queryEndpoint: { hostname: `${clusterId}.dev.query.sici.example.com` } });
    // Each cluster gets its own VPC range.
    const second = await create();
    await workflow().settled(second.jobId);
    expect((await api.call(MEMBER, 'GET', `/clusters/${second.clusterId}`)).json.vpcCidr).toBe('10.64.16.0/20');
  } finally {
    await api.stop();
  }
});

const FAILING_STATES = [
  STATE_NAMES.startJob,
  STATE_NAMES.validateEntitlement,
  STATE_NAMES.allocateCluster,
  STATE_NAMES.writeTenantSpec,
  STATE_NAMES.deployTenantStack,
  STATE_NAMES.registerEndpoint,
  STATE_NAMES.completeJob,
];

it.each(FAILING_STATES)('marks job and cluster FAILED with errorDetails when "%s" fails, leaving no partial records', async (state) => {
  const { api, workflow, create } = await world({ state, error: new PermanentError(`injected failure in ${state}`), times: 1 });
  try {
    const { clusterId, jobId } = await create();
    expect(await workflow().settled(jobId)).toMatchObject({ status: 'FAILED' });
    const job = (await api.call(MEMBER, 'GET', `/jobs/${jobId}`)).json;
    expect(job).toMatchObject({ status: 'FAILED', errorDetails: { step: state, cause: expect.stringContaining(`injected failure in ${state}`) } });
    const cluster = (await api.call(MEMBER, 'GET', `/clusters/${clusterId}`)).json;
    expect(cluster.status).toBe('FAILED');
    expect(cluster.activeJobId).toBeUndefined();
    // Nothing a later step would have written exists.
    const index = FAILING_STATES.indexOf(state);
    if (index <= FAILING_STATES.indexOf(STATE_NAMES.writeTenantSpec)) expect(await new FileSpecStore(specsDir).latest(clusterId)).toBeUndefined();
    if (index <= FAILING_STATES.indexOf(STATE_NAMES.registerEndpoint)) expect(cluster.endpoint).toBeNull();
    if (index <= FAILING_STATES.indexOf(STATE_NAMES.allocateCluster)) expect(cluster.vpcCidr).toBeUndefined();
    const items = await api.items('state');
    expect(items.find((i) => i.pk === `JOB#${jobId}`)!.gsi2pk).toBeUndefined(); // left neither the pending nor the running index
    const events = (await api.call(MEMBER, 'GET', `/clusters/${clusterId}/events`, { query: { limit: '50' } })).json.items;
    expect(events.at(-1)).toMatchObject({ type: 'JOB_FAILED', status: 'FAILED' });
    // A failed cluster can be deleted.
    expect((await api.call(MEMBER, 'DELETE', `/clusters/${clusterId}`)).status).toBe(202);
  } finally {
    await api.stop();
  }
});

it('retries a transient failure with backoff and then succeeds', async () => {
  const fault = { state: STATE_NAMES.writeTenantSpec, error: new TransientError('S3 throttled'), times: 2 };
  const { api, workflow, create } = await world(fault);
  try {
    const { clusterId, jobId } = await create();
    expect(await workflow().settled(jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(fault.times).toBe(0);
    expect((await api.call(MEMBER, 'GET', `/clusters/${clusterId}`)).json.status).toBe('ACTIVE');
  } finally {
    await api.stop();
  }
});

it('deletes after create: DELETING → DELETED, destroy runs, the quota is given back, history stays', async () => {
  const { api, runner, workflow, create } = await world();
  try {
    const { clusterId, jobId } = await create();
    await workflow().settled(jobId);
    const teamBefore = (await api.items('state')).find((i) => i.pk === 'TEAM#wf-team')!.clusterCount;

    const deletion = await api.call(MEMBER, 'DELETE', `/clusters/${clusterId}`);
    expect(deletion.status).toBe(202);
    expect(await workflow().settled(deletion.json.jobId)).toMatchObject({ status: 'SUCCEEDED' });

    const cluster = (await api.call(MEMBER, 'GET', `/clusters/${clusterId}`)).json;
    expect(cluster.status).toBe('DELETED');
    expect(runner.builds.map((b) => b.action)).toEqual(['deploy', 'destroy']);
    expect((await api.items('state')).find((i) => i.pk === 'TEAM#wf-team')!.clusterCount).toBe(teamBefore - 1);
    const audit = (await api.items('audit')).filter((r) => r.entity === `cluster/${clusterId}`).map((r) => r.action);
    expect(audit).toEqual(expect.arrayContaining(['createCluster', 'workflow.completeJob', 'deleteCluster']));
    // A second delete of a deleted cluster is refused.
    expect((await api.call(MEMBER, 'DELETE', `/clusters/${clusterId}`)).status).toBe(409);
  } finally {
    await api.stop();
  }
});

it('updates a tier through the deploy path: UPDATING → ACTIVE, a new spec version at the new tier', async () => {
  const { api, runner, workflow, create } = await world();
  try {
    const { clusterId, jobId } = await create();
    await workflow().settled(jobId);
    const update = await api.call(MEMBER, 'PATCH', `/clusters/${clusterId}`, { body: { tier: 'M' } });
    expect(update.status).toBe(202);
    expect(await workflow().settled(update.json.jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await api.call(MEMBER, 'GET', `/clusters/${clusterId}`)).json).toMatchObject({ status: 'ACTIVE', tier: 'M', vpcCidr: '10.64.0.0/20' });
    const store = new FileSpecStore(specsDir);
    const latest = (await store.latest(clusterId))!;
    expect(latest.version).toBe('2');
    expect(await store.get(latest)).toMatchObject({ tier: 'M', vpcCidr: '10.64.0.0/20' });
    expect(runner.builds.map((b) => b.action)).toEqual(['deploy', 'deploy']);
  } finally {
    await api.stop();
  }
});

it('lets only one of two concurrent jobs on a cluster through (409 for the other)', async () => {
  const { api, workflow, create } = await world();
  try {
    const { clusterId, jobId } = await create();
    await workflow().settled(jobId);
    const [a, b] = await Promise.all([api.call(MEMBER, 'DELETE', `/clusters/${clusterId}`), api.call(MEMBER, 'DELETE', `/clusters/${clusterId}`)]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    await workflow().idle();
    expect((await api.call(MEMBER, 'GET', `/clusters/${clusterId}`)).json.status).toBe('DELETED');
  } finally {
    await api.stop();
  }
});

it('reconciles: re-drives a job whose start was lost and fails a job stuck RUNNING', async () => {
  const { api, workflow, deps, create } = await world();
  try {
    api.failJobStarts = true; // the API accepts the job, but its start is lost
    const lost = await create();
    api.failJobStarts = false;
    expect((await api.call(MEMBER, 'GET', `/jobs/${lost.jobId}`)).json.status).toBe('PENDING');

    const result = await reconcile(deps(), workflow(), { pendingAfterMs: 0, runningTimeoutMs: 60 * 60_000 });
    expect(result.restarted).toEqual([lost.jobId]);
    await workflow().settled(lost.jobId);
    expect((await api.call(MEMBER, 'GET', `/clusters/${lost.clusterId}`)).json.status).toBe('ACTIVE');

    // A job that started but whose execution vanished stays RUNNING until the reconciler fails it.
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const stuck = await create();
    await workflow().settled(stuck.jobId);
    await api.tables.doc.send(new UpdateCommand({ TableName: api.tables.stateTable, Key: { pk: `CLUSTER#${stuck.clusterId}`, sk: 'CLUSTER' }, UpdateExpression: 'SET #s = :s, activeJobId = :j', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'UPDATING', ':j': stuck.jobId } }));
    await api.tables.doc.send(new UpdateCommand({ TableName: api.tables.stateTable, Key: { pk: `JOB#${stuck.jobId}`, sk: 'JOB' }, UpdateExpression: 'SET #s = :s, gsi2pk = :p, gsi2sk = :k', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'RUNNING', ':p': 'RUNNING', ':k': `2000-01-01T00:00:00.000Z#${stuck.jobId}` } }));
    const second = await reconcile(deps(), workflow(), { pendingAfterMs: 60_000, runningTimeoutMs: 60_000 });
    expect(second).toEqual({ restarted: [], failed: [stuck.jobId] });
    expect((await api.call(MEMBER, 'GET', `/jobs/${stuck.jobId}`)).json).toMatchObject({ status: 'FAILED', errorDetails: { step: 'Reconciler', cause: expect.stringMatching(/^States.Timeout/) } });
    expect((await api.call(MEMBER, 'GET', `/clusters/${stuck.clusterId}`)).json.status).toBe('FAILED');
  } finally {
    await api.stop();
  }
});
