import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpgradeAccepted, UpgradeRun } from '../../../lib/contract/fleet';
import type { FleetWorkStarter, UpgradeStarter } from '../../../lambda/core/fleet-work';
import { fleetOperationsStalledSince, getFleetOperationRecord } from '../../../lambda/core/fleet-operation-store';
import { getUpgradeRecord } from '../../../lambda/core/upgrade-store';
import { LocalClusterControl } from '../../../lambda/local/local-cluster-control';
import { LocalFleetWork } from '../../../lambda/local/local-fleet-work';
import { LocalUpgrades, type LocalUpgradesOptions } from '../../../lambda/local/local-upgrades';
import { synthesizedUpgradeDefinition } from '../../../lambda/local/upgrade-definition';
import { reconcileFleet } from '../../../lambda/workflow/fleet-reconciler';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';
import { createSimulatedClusters, SimulatedJobRunner } from '../../support/simulated-fleet';

/**
 * The reconciler's fleet part on dynalite: fleet operations whose worker never started are finished
 * by the local fleet worker it starts again, and upgrade runs whose execution was lost are started
 * again on the local upgrade runner (the synthesized state machine), or halted with why when their
 * execution ended without ending them. Routes record operations and runs with starters that lose them.
 */

const lostFleetWork: FleetWorkStarter = { start: async () => undefined };
const lostUpgrades: UpgradeStarter = { start: async () => undefined };
const MINUTE = 60_000;

let harness: ApiHarness;
let runner: SimulatedJobRunner;
let fleetWork: LocalFleetWork;
let folder: string;
const runners: LocalUpgrades[] = [];

function localUpgrades(options: Partial<LocalUpgradesOptions> = {}): LocalUpgrades {
  const upgrades = new LocalUpgrades({
    definition: synthesizedUpgradeDefinition(),
    deps: { tables: harness.tables, config: harness.deps.config, jobStarter: runner, now: () => new Date() },
    pollIntervalMs: 0,
    busyRetryIntervalMs: 0,
    retryIntervalMs: 0,
    ...options,
  });
  runners.push(upgrades);
  return upgrades;
}

const reconcileAt = (now: Date, upgrades: LocalUpgrades) => reconcileFleet({ tables: harness.tables, now: () => now, fleetWork, upgrades });

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'sici-fleet-reconciler-'));
  harness = await ApiHarness.start();
  runner = new SimulatedJobRunner(harness.tables);
  fleetWork = new LocalFleetWork({ tables: harness.tables, config: harness.deps.config, control: new LocalClusterControl(join(folder, 'cluster-control')), now: () => new Date(), pollIntervalMs: 20 });
  Object.assign(harness.deps, { fleetWork: lostFleetWork, upgrades: lostUpgrades });
});

afterAll(async () => {
  for (const upgrades of runners) upgrades.stop();
  await fleetWork.idle();
  await harness.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe('fleet operations whose worker never started', () => {
  test('a fresh one is left alone; one not updated for 15 minutes gets a worker, which finishes it, and it leaves the index', async () => {
    await harness.registerTeam('fleet-op', [principalOf('fleet-op')]);
    const clusters = await createSimulatedClusters(harness.tables, harness.deps.config, { teamId: 'fleet-op', count: 3 });
    const answer = await harness.call(ADMIN, 'POST', '/fleet/shutdown', { body: { reason: 'incident', selector: { teamId: 'fleet-op' } } });
    expect(answer.status).toBe(202);
    const { operationId } = answer.json as { operationId: string };
    const upgrades = localUpgrades();

    const fresh = await reconcileAt(new Date(Date.now() + 5 * MINUTE), upgrades);
    expect(fresh.fleetOperationsRestarted).toEqual([]);
    await fleetWork.idle();
    expect(await getFleetOperationRecord(harness.tables, operationId)).toMatchObject({ status: 'RUNNING', counts: { pending: 3, done: 0 } });

    const later = new Date(Date.now() + 16 * MINUTE);
    expect((await fleetOperationsStalledSince(harness.tables, new Date(later.getTime() - 15 * MINUTE))).map((op) => op.operationId)).toEqual([operationId]);
    const stalled = await reconcileAt(later, upgrades);
    expect(stalled.fleetOperationsRestarted).toEqual([operationId]);
    await fleetWork.idle();
    expect(await getFleetOperationRecord(harness.tables, operationId)).toMatchObject({ status: 'SUCCEEDED', counts: { matched: 3, pending: 0, done: 3, failed: 0 } });
    const outcomes = (await harness.call(ADMIN, 'GET', `/fleet/operations/${operationId}`, { query: { limit: '100' } })).json.outcomes as { clusterId: string; status: string }[];
    expect(new Map(outcomes.map((outcome) => [outcome.clusterId, outcome.status]))).toEqual(new Map(clusters.map((cluster) => [cluster.clusterId, 'SUSPENDED'])));

    // Finished, it left the index: a later run of the reconciler finds nothing to re-drive.
    expect(await fleetOperationsStalledSince(harness.tables, new Date(Date.now() + 60 * MINUTE))).toEqual([]);
    expect((await reconcileAt(new Date(Date.now() + 60 * MINUTE), upgrades)).fleetOperationsRestarted).toEqual([]);
  });
});

describe('upgrade runs whose execution was lost', () => {
  const engineTarget = () => ({ engine: { chartVersion: harness.deps.config.engine.chart.version, imageDigest: harness.deps.config.engine.image.digest } });

  async function startRun(teamId: string, body: Record<string, unknown> = {}) {
    await harness.registerTeam(teamId, [principalOf(teamId)]);
    await createSimulatedClusters(harness.tables, harness.deps.config, { teamId, count: 4 });
    const answer = await harness.call(ADMIN, 'POST', '/fleet/upgrades', { body: { target: engineTarget(), selector: { teamId }, canary: 1, batchSize: 1, maxConcurrency: 1, ...body } });
    expect(answer.status).toBe(202);
    return UpgradeAccepted.parse(answer.json).upgradeId;
  }

  const runOf = async (upgradeId: string) => UpgradeRun.parse((await harness.call(ADMIN, 'GET', `/fleet/upgrades/${upgradeId}`, { query: { limit: '100' } })).json);

  test('a run whose StartExecution never happened is started again (same attempt) and succeeds', async () => {
    const upgradeId = await startRun('upgrade-lost');
    const upgrades = localUpgrades();
    const result = await reconcileAt(new Date(), upgrades);
    expect(result).toMatchObject({ upgradesRestarted: [upgradeId], upgradesHalted: [] });
    await expect(upgrades.settled({ upgradeId, attempt: 1 })).resolves.toEqual({ status: 'SUCCEEDED' });
    expect(await runOf(upgradeId)).toMatchObject({ status: 'SUCCEEDED', wavesDone: 4, counts: { total: 4, succeeded: 4 } });
  });

  test('a running execution is left alone', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    runner.onStart = () => held;
    const upgrades = localUpgrades();
    Object.assign(harness.deps, { upgrades });
    try {
      const upgradeId = await startRun('upgrade-running');
      while (runner.jobs.filter((job) => job.status === 'PENDING').length === 0 || (await upgrades.executionState({ upgradeId, attempt: 1 })) !== 'RUNNING') await new Promise((r) => setTimeout(r, 10));
      const result = await reconcileAt(new Date(Date.now() + 60 * MINUTE), upgrades);
      expect(result).toMatchObject({ upgradesRestarted: [], upgradesHalted: [] });
      expect(await getUpgradeRecord(harness.tables, upgradeId)).toMatchObject({ status: 'RUNNING', attempt: 1 });
      release();
      await expect(upgrades.settled({ upgradeId, attempt: 1 })).resolves.toEqual({ status: 'SUCCEEDED' });
      expect(await runOf(upgradeId)).toMatchObject({ status: 'SUCCEEDED', wavesDone: 4 });
    } finally {
      release();
      runner.onStart = async () => undefined;
      Object.assign(harness.deps, { upgrades: lostUpgrades });
    }
  });

  test('an execution lost after its second wave closed is started again and goes on after it: no wave is counted twice, nothing is redone', async () => {
    let closed = 0;
    const first: LocalUpgrades = localUpgrades({
      wrapStep: (step, handler) =>
        step === 'closeWave'
          ? async (input) => {
              const result = await handler(input);
              if (++closed === 2) first.stop(); // the process restarts right after batch-1 closed
              return result;
            }
          : handler,
    });
    Object.assign(harness.deps, { upgrades: first });
    const jobsBefore = runner.jobs.length;
    const upgradeId = await startRun('upgrade-restart');
    Object.assign(harness.deps, { upgrades: lostUpgrades });
    await expect(first.settled({ upgradeId, attempt: 1 })).resolves.toEqual({ status: 'STOPPED' });
    expect(await getUpgradeRecord(harness.tables, upgradeId)).toMatchObject({ status: 'RUNNING', wavesDone: 2, closedWave: '1#1' });

    const upgrades = localUpgrades();
    expect(await reconcileAt(new Date(), upgrades)).toMatchObject({ upgradesRestarted: [upgradeId], upgradesHalted: [] });
    await expect(upgrades.settled({ upgradeId, attempt: 1 })).resolves.toEqual({ status: 'SUCCEEDED' });
    expect(await runOf(upgradeId)).toMatchObject({ status: 'SUCCEEDED', wavesDone: 4, counts: { total: 4, succeeded: 4, failed: 0 } });
    expect(runner.jobs.length - jobsBefore).toBe(4);
  });

  test('a run whose execution ended without ending it is HALTED with why, and a resume clears it', async () => {
    const broken = localUpgrades({
      wrapStep: (step, handler) =>
        step === 'plan' || step === 'haltRun'
          ? async () => {
              throw new Error(`${step} unavailable`);
            }
          : handler,
    });
    Object.assign(harness.deps, { upgrades: broken });
    const upgradeId = await startRun('upgrade-ended');
    Object.assign(harness.deps, { upgrades: lostUpgrades });
    await expect(broken.settled({ upgradeId, attempt: 1 })).resolves.toMatchObject({ status: 'FAILED' });
    expect(await getUpgradeRecord(harness.tables, upgradeId)).toMatchObject({ status: 'RUNNING' });

    expect(await reconcileAt(new Date(), broken)).toMatchObject({ upgradesRestarted: [], upgradesHalted: [upgradeId] });
    const halted = await getUpgradeRecord(harness.tables, upgradeId);
    expect(halted).toMatchObject({ status: 'HALTED', haltReason: expect.stringContaining('execution of attempt 1 ended') });
    expect(halted?.completedAt).toBeDefined();
    // The admin sees why on the run itself.
    expect(await runOf(upgradeId)).toMatchObject({ status: 'HALTED', haltReason: halted?.haltReason });

    const upgrades = localUpgrades();
    Object.assign(harness.deps, { upgrades });
    expect((await harness.call(ADMIN, 'POST', `/fleet/upgrades/${upgradeId}/resume`)).status).toBe(202);
    Object.assign(harness.deps, { upgrades: lostUpgrades });
    await expect(upgrades.settled({ upgradeId, attempt: 2 })).resolves.toEqual({ status: 'SUCCEEDED' });
    const resumed = await getUpgradeRecord(harness.tables, upgradeId);
    expect(resumed).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
    expect(resumed?.haltReason).toBeUndefined();
  });
});
