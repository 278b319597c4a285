import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Cluster } from '../../../lib/contract/api';
import { newJobId } from '../../../lib/contract/ids';
import { UpgradeAccepted, UpgradeRun } from '../../../lib/contract/fleet';
import { getClusterRecord } from '../../../lambda/core/cluster-store';
import { acceptJobItems, completeJobItems } from '../../../lambda/core/job-lifecycle';
import { markJobRunning, newJob } from '../../../lambda/core/job-store';
import { transact } from '../../../lambda/core/tables';
import { LocalUpgrades } from '../../../lambda/local/local-upgrades';
import { synthesizedUpgradeDefinition } from '../../../lambda/local/upgrade-definition';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';
import { createSimulatedClusters, SimulatedJobRunner } from '../../support/simulated-fleet';

/**
 * Fleet upgrades in waves through the router, run by the upgrade state machine as synthesized,
 * executed by aws-local-stepfunctions with its Lambda tasks calling the upgrade steps in-process
 * and no real waits; jobs are run by a simulated runner at the JobStarter port.
 */

let harness: ApiHarness;
let runner: SimulatedJobRunner;
let upgrades: LocalUpgrades;
/** Called after each `Start cluster upgrade` with its result (a test acts on a busy cluster). */
let afterStart: (result: { clusterId: string; status: string }) => Promise<void> = async () => undefined;

const engineTarget = () => ({ engine: { chartVersion: harness.deps.config.engine.chart.version, imageDigest: harness.deps.config.engine.image.digest } });

beforeAll(async () => {
  harness = await ApiHarness.start();
  runner = new SimulatedJobRunner(harness.tables);
  upgrades = new LocalUpgrades({
    definition: synthesizedUpgradeDefinition(),
    deps: { tables: harness.tables, config: harness.deps.config, jobStarter: runner, now: () => new Date() },
    pollIntervalMs: 0,
    busyRetryIntervalMs: 0,
    retryIntervalMs: 0,
    wrapStep: (step, handler) =>
      step === 'startCluster'
        ? async (input) => {
            const result = (await handler(input)) as { clusterId: string; status: string };
            await afterStart(result);
            return result;
          }
        : handler,
  });
  Object.assign(harness.deps, { upgrades });
  await harness.registerTeam('team-a', [principalOf('team-a')]);
});

afterAll(async () => {
  upgrades.stop();
  await harness.stop();
});

beforeEach(() => {
  runner.fails = () => false;
  runner.onStart = async () => undefined;
  afterStart = async () => undefined;
});

async function start(body: Record<string, unknown>) {
  const answer = await harness.call(ADMIN, 'POST', '/fleet/upgrades', { body: { target: engineTarget(), ...body } });
  expect(answer.status).toBe(202);
  return UpgradeAccepted.parse(answer.json);
}

async function finished(upgradeId: string, attempt = 1): Promise<UpgradeRun> {
  await expect(upgrades.settled({ upgradeId, attempt })).resolves.toEqual({ status: 'SUCCEEDED' });
  const answer = await harness.call(ADMIN, 'GET', `/fleet/upgrades/${upgradeId}`, { query: { limit: '100' } });
  expect(answer.status).toBe(200);
  return UpgradeRun.parse(answer.json);
}

/** Every cluster item of a run, through the route's pages. */
async function allClusters(upgradeId: string) {
  const clusters: UpgradeRun['clusters'] = [];
  let nextToken: string | undefined;
  do {
    const answer = await harness.call(ADMIN, 'GET', `/fleet/upgrades/${upgradeId}`, { query: { limit: '100', ...(nextToken ? { nextToken } : {}) } });
    clusters.push(...(answer.json as UpgradeRun).clusters);
    nextToken = (answer.json as UpgradeRun).nextToken;
  } while (nextToken);
  return new Map(clusters.map((cluster) => [cluster.clusterId, cluster]));
}

describe('an upgrade of 200 clusters, concurrency 10, canary 2', () => {
  let fleet: Cluster[];
  let position: Map<string, number>;
  let upgradeId: string;

  beforeAll(async () => {
    await harness.registerTeam('fleet-halt', [principalOf('fleet-halt')]);
    fleet = await createSimulatedClusters(harness.tables, harness.deps.config, { teamId: 'fleet-halt', count: 200 });
    position = new Map(fleet.map((cluster, i) => [cluster.clusterId, i]));
  });

  test('a failure rate past the bound halts it after the wave that passed it, names the failures, and starts no further batch', async () => {
    // One cluster in ten fails (positions 5, 15, 25, 35, ...): the fourth failure, in batch-4, passes maxFailures 3.
    runner.fails = (job) => position.get(job.clusterId)! % 10 === 5;
    const jobsBefore = runner.jobs.length;
    const accepted = await start({ selector: { teamId: 'fleet-halt' }, canary: 2, batchSize: 10, maxConcurrency: 10, maxFailures: 3 });
    upgradeId = accepted.upgradeId;
    expect(accepted).toMatchObject({ status: 'RUNNING', counts: { total: 200, pending: 200 } });

    const run = await finished(upgradeId);
    expect(run.status).toBe('HALTED');
    expect(run.wavesDone).toBe(5); // canary, batch-1 .. batch-4
    expect(run.counts).toEqual({ total: 200, pending: 158, running: 0, succeeded: 38, failed: 4, skipped: 0 });
    expect(run.failures.map((failure) => position.get(failure.clusterId)).sort((a, b) => a! - b!)).toEqual([5, 15, 25, 35]);
    for (const failure of run.failures) {
      expect(failure).toMatchObject({ status: 'FAILED', errorDetails: { step: 'Deploy tenant stack', cause: `injected failure of ${failure.clusterId}` } });
    }
    // No job was started past batch-4 (positions 0..41).
    const started = runner.jobs.slice(jobsBefore).map((job) => position.get(job.clusterId)!);
    expect(started.length).toBe(42);
    expect(Math.max(...started)).toBe(41);
    const clusters = await allClusters(upgradeId);
    expect(clusters.get(fleet[0].clusterId)).toMatchObject({ wave: 'canary', status: 'SUCCEEDED', attempts: 1 });
    expect(clusters.get(fleet[42].clusterId)).toMatchObject({ wave: 'batch-5', status: 'PENDING', attempts: 0 });
    expect(runner.maxInFlight).toBeLessThanOrEqual(10);
  });

  test('a resume after the fix upgrades only the rest: what succeeded is not redone', async () => {
    const jobsBefore = runner.jobs.length;
    const answer = await harness.call(ADMIN, 'POST', `/fleet/upgrades/${upgradeId}/resume`);
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ status: 'RUNNING' });

    const run = await finished(upgradeId, 2);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.counts).toEqual({ total: 200, pending: 0, running: 0, succeeded: 200, failed: 0, skipped: 0 });
    expect(run.failures).toEqual([]);
    const resumed = new Set(runner.jobs.slice(jobsBefore).map((job) => job.clusterId));
    expect(resumed.size).toBe(162); // the 4 failed and the 158 never started
    for (const [i, cluster] of fleet.entries()) {
      const redo = i >= 42 || i % 10 === 5;
      expect(resumed.has(cluster.clusterId)).toBe(redo);
    }
    const pins = (await getClusterRecord(harness.tables, fleet[199].clusterId))!.enginePins;
    expect(pins).toEqual(harness.deps.config.engine);
  });
});

test('a clean run upgrades every cluster in waves of bounded concurrency, and skips one already at the target', async () => {
  await harness.registerTeam('fleet-clean', [principalOf('fleet-clean')]);
  const fleet = await createSimulatedClusters(harness.tables, harness.deps.config, { teamId: 'fleet-clean', count: 199 });
  const [current] = await createSimulatedClusters(harness.tables, harness.deps.config, { teamId: 'fleet-clean', count: 1, pins: harness.deps.config.engine, startAt: Date.parse('2026-02-01T00:00:00Z') });
  runner.maxInFlight = 0;
  const jobsBefore = runner.jobs.length;

  const { upgradeId } = await start({ selector: { teamId: 'fleet-clean' }, canary: 2, batchSize: 20, maxConcurrency: 10 });
  const run = await finished(upgradeId);
  expect(run.status).toBe('SUCCEEDED');
  expect(run.counts).toEqual({ total: 200, pending: 0, running: 0, succeeded: 199, failed: 0, skipped: 1 });
  expect(run.wavesDone).toBe(1 + 10);
  expect(runner.jobs.length - jobsBefore).toBe(199);
  expect(runner.maxInFlight).toBeLessThanOrEqual(10);
  expect(runner.maxInFlight).toBeGreaterThan(1);
  const clusters = await allClusters(upgradeId);
  expect(clusters.get(current.clusterId)).toMatchObject({ status: 'SKIPPED' });
  expect(runner.jobsOf(current.clusterId)).toEqual([]);
  for (const cluster of fleet) {
    const record = (await getClusterRecord(harness.tables, cluster.clusterId))!;
    expect(record).toMatchObject({ status: 'ACTIVE', enginePins: harness.deps.config.engine });
    expect(record.activeJobId).toBeUndefined();
  }
});

test('a cancel stops the run between batches: the batch under way finishes, no later one starts', async () => {
  await harness.registerTeam('fleet-cancel', [principalOf('fleet-cancel')]);
  const fleet = await createSimulatedClusters(harness.tables, harness.deps.config, { teamId: 'fleet-cancel', count: 60 });
  const jobsBefore = runner.jobs.length;
  let upgradeId = '';
  let cancelled: Promise<unknown> | undefined;
  // The first job of batch-2 (the 13th: canary 2, batches of 10) cancels the run.
  runner.onStart = async () => {
    if (runner.jobs.length - jobsBefore === 13 && !cancelled) {
      cancelled = harness.call(ADMIN, 'POST', `/fleet/upgrades/${upgradeId}/cancel`);
      const answer = (await cancelled) as { status: number; json: unknown };
      expect(answer.status).toBe(202);
      expect(answer.json).toMatchObject({ status: 'CANCELLING' });
    }
  };
  ({ upgradeId } = await start({ selector: { teamId: 'fleet-cancel' }, canary: 2, batchSize: 10, maxConcurrency: 10 }));
  const run = await finished(upgradeId);
  expect(run.status).toBe('CANCELLED');
  expect(run.completedAt).toBeDefined();
  expect(run.counts).toMatchObject({ succeeded: 22, pending: 38, running: 0 });
  expect(runner.jobs.length - jobsBefore).toBe(22);
  const clusters = await allClusters(upgradeId);
  expect(fleet.slice(22).every((cluster) => clusters.get(cluster.clusterId)?.status === 'PENDING')).toBe(true);
  // A cancelled run cannot be cancelled again.
  expect((await harness.call(ADMIN, 'POST', `/fleet/upgrades/${upgradeId}/cancel`)).status).toBe(409);
});

test('a cluster busy with a job when its batch comes is retried later in the run, not skipped', async () => {
  await harness.registerTeam('fleet-busy', [principalOf('fleet-busy')]);
  const fleet = await createSimulatedClusters(harness.tables, harness.deps.config, { teamId: 'fleet-busy', count: 5 });
  const busy = fleet[1];
  const blocking = newJob(busy, newJobId(), 'UPDATE', new Date().toISOString());
  await transact(harness.tables, acceptJobItems(harness.tables, busy, blocking));
  // The blocking job ends only once the upgrade found the cluster busy.
  afterStart = async (result) => {
    if (result.clusterId !== busy.clusterId || result.status !== 'BUSY') return;
    afterStart = async () => undefined;
    await markJobRunning(harness.tables, blocking);
    const cluster = (await getClusterRecord(harness.tables, busy.clusterId))!;
    await transact(harness.tables, await completeJobItems(harness.tables, { ...blocking, status: 'RUNNING' }, cluster, undefined, new Date().toISOString()));
  };
  const { upgradeId } = await start({ selector: { teamId: 'fleet-busy' }, canary: 0, batchSize: 5, maxConcurrency: 5 });
  const run = await finished(upgradeId);
  expect(run.status).toBe('SUCCEEDED');
  expect(run.counts).toMatchObject({ succeeded: 5, failed: 0, skipped: 0 });
  expect(run.wavesDone).toBe(2); // batch-1, then the retry wave of the busy cluster
  const clusters = await allClusters(upgradeId);
  expect(clusters.get(busy.clusterId)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, wave: 'batch-1' });
  const jobs = runner.jobsOf(busy.clusterId);
  expect(jobs).toHaveLength(1);
  expect(jobs[0].jobId).not.toBe(blocking.jobId);
  expect(clusters.get(busy.clusterId)!.jobId).toBe(jobs[0].jobId);
});

describe('the upgrade routes', () => {
  test('a target that is not the current configuration is refused, naming the field', async () => {
    const answer = await harness.call(ADMIN, 'POST', '/fleet/upgrades', {
      body: { target: { engine: { chartVersion: '9.9.9', imageDigest: harness.deps.config.engine.image.digest } }, selector: { teamId: 'fleet-clean' } },
    });
    expect(answer.status).toBe(422);
    expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(answer.json.errors).toEqual([expect.objectContaining({ field: 'body.target.engine.chartVersion' })]);

    const source = await harness.call(ADMIN, 'POST', '/fleet/upgrades', { body: { target: { sourceVersion: '0.0.0-not-current' }, selector: { teamId: 'fleet-clean' } } });
    expect(source.status).toBe(422);
    expect(source.json.errors).toEqual([expect.objectContaining({ field: 'body.target.sourceVersion' })]);
  });

  test('bad input is a 400 naming the field; a selector that matches nothing is a 422', async () => {
    const tooMany = await harness.call(ADMIN, 'POST', '/fleet/upgrades', { body: { target: engineTarget(), selector: { teamId: 'fleet-clean' }, maxConcurrency: 41 } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.errors).toEqual([expect.objectContaining({ field: 'body.maxConcurrency' })]);
    const nothing = await harness.call(ADMIN, 'POST', '/fleet/upgrades', { body: { target: engineTarget(), selector: { teamId: 'nobody' } } });
    expect(nothing.status).toBe(422);
    expect(nothing.json.errors).toEqual([expect.objectContaining({ field: 'body.selector' })]);
  });

  test('every upgrade route is admin-only: 403 for a team principal', async () => {
    const team = principalOf('team-a');
    const id = 'up-0123456789abcdef';
    for (const [method, path] of [
      ['POST', '/fleet/upgrades'],
      ['GET', '/fleet/upgrades'],
      ['GET', `/fleet/upgrades/${id}`],
      ['POST', `/fleet/upgrades/${id}/cancel`],
      ['POST', `/fleet/upgrades/${id}/resume`],
    ] as const) {
      const answer = await harness.call(team, method, path, method === 'POST' && path === '/fleet/upgrades' ? { body: { target: engineTarget(), selector: { all: true } } } : {});
      expect([path, answer.status]).toEqual([path, 403]);
    }
  });

  test('runs are listed newest first; an unknown run is a 404; a finished run can be neither cancelled nor resumed', async () => {
    const list = await harness.call(ADMIN, 'GET', '/fleet/upgrades', { query: { limit: '100' } });
    expect(list.status).toBe(200);
    const created = list.json.items.map((run: UpgradeRun) => run.createdAt);
    expect(created.length).toBeGreaterThanOrEqual(4);
    expect([...created].sort().reverse()).toEqual(created);
    const succeeded = list.json.items.find((run: UpgradeRun) => run.status === 'SUCCEEDED');
    expect((await harness.call(ADMIN, 'GET', '/fleet/upgrades/up-0123456789abcdef')).status).toBe(404);
    expect((await harness.call(ADMIN, 'POST', `/fleet/upgrades/${succeeded.upgradeId}/cancel`)).status).toBe(409);
    expect((await harness.call(ADMIN, 'POST', `/fleet/upgrades/${succeeded.upgradeId}/resume`)).status).toBe(409);
  });

  test('starts, cancels, resumes and refusals are audited under the run, with the selector', async () => {
    const records = await harness.items('audit');
    const starts = records.filter((record) => record.action === 'startUpgrade' && record.outcome === 'SUCCEEDED');
    expect(starts.length).toBeGreaterThanOrEqual(4);
    expect(starts[0]).toMatchObject({ actor: ADMIN, entity: expect.stringMatching(/^upgrade\/up-/), metadata: { selector: expect.any(Object), target: expect.any(Object) } });
    expect(records.some((record) => record.action === 'cancelUpgrade' && record.outcome === 'SUCCEEDED')).toBe(true);
    expect(records.some((record) => record.action === 'resumeUpgrade' && record.outcome === 'SUCCEEDED')).toBe(true);
    expect(records.some((record) => record.action === 'startUpgrade' && record.outcome === 'REFUSED' && record.status === 403)).toBe(true);
    // Exactly one record per call: the 422s too.
    const { Items } = await harness.tables.doc.send(
      new QueryCommand({ TableName: harness.tables.auditTable, IndexName: 'byActor', KeyConditionExpression: 'actor = :actor', ExpressionAttributeValues: { ':actor': ADMIN } }),
    );
    expect((Items ?? []).filter((record) => record.action === 'startUpgrade' && record.status === 422).length).toBe(3);
  });
});
