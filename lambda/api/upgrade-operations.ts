import type { ClusterStatus } from '../../lib/contract/api';
import { newUpgradeId } from '../../lib/contract/ids';
import { describeSelector, selectClusters } from '../core/fleet-selection';
import { conflict, notFound, ProblemError, selectorMatchedNothing } from '../core/problems';
import { transact, TransactionConflict } from '../core/tables';
import { targetMismatches } from '../core/upgrade-target';
import {
  clusterUpgradePage,
  failuresOf,
  getUpgradeRecord,
  listUpgradeRecords,
  MAX_CLUSTERS_PER_UPGRADE,
  MAX_WAVES_PER_UPGRADE,
  moveUpgrade,
  moveUpgradeItem,
  newUpgradeRecord,
  startUpgradeItems,
  upgradeAccepted,
  upgradeDocument,
  upgradesInFlight,
  type UpgradeRecord,
} from '../core/upgrade-store';
import type { Dependencies, OperationContext, OperationResult, Operations } from './operation';

/** The clusters an upgrade selects: live ones (a busy one is retried in the run; a suspended one is left as it is). */
const UPGRADE_STATUSES: readonly ClusterStatus[] = ['PROVISIONING', 'ACTIVE', 'UPDATING', 'FAILED'];

const entity = (upgradeId: string) => `upgrade/${upgradeId}`;

function requireUpgrades(deps: Dependencies) {
  if (!deps.upgrades) throw new ProblemError(503, 'upgrades-unavailable', 'Upgrades unavailable', 'This deployment runs no fleet upgrade state machine.');
  return deps.upgrades;
}

/** One run at a time: two runs would fight over the clusters' job lock. */
async function refuseIfAnotherRuns(deps: Dependencies, upgradeId?: string): Promise<void> {
  const other = (await upgradesInFlight(deps.tables)).find((run) => run.upgradeId !== upgradeId);
  if (other) throw conflict(`Upgrade ${other.upgradeId} is ${other.status}; one upgrade runs at a time (cancel it, or wait for it to end).`);
}

/**
 * Starts an upgrade run: the target must be the platform's current one; the selected clusters are
 * recorded with the run (and the audit record) in one transaction, and the run's first execution
 * starts. A start that fails leaves the run HALTED, to be resumed.
 */
async function startUpgrade(context: OperationContext<'startUpgrade'>): Promise<OperationResult<'startUpgrade'>> {
  const { deps, body, time } = context;
  const mismatches = targetMismatches(body.target, deps.config);
  if (mismatches.length) {
    throw new ProblemError(422, 'target-not-current', 'Target is not current', 'An upgrade brings clusters to the platform\'s current configuration only; see errors.', mismatches);
  }
  requireUpgrades(deps);
  const clusters = await selectClusters(deps.tables, body.selector, UPGRADE_STATUSES);
  if (clusters.length === 0) throw selectorMatchedNothing(describeSelector(body.selector), 'live');
  if (body.selector.clusterIds && clusters.length < body.selector.clusterIds.length) {
    const found = new Set(clusters.map((cluster) => cluster.clusterId));
    const missing = body.selector.clusterIds.filter((clusterId) => !found.has(clusterId));
    throw new ProblemError(422, 'clusters-not-upgradable', 'Clusters not upgradable', `${missing.length} selected cluster(s) do not exist or are not live (suspended, deleting or deleted).`, [
      { field: 'body.selector.clusterIds', message: `not found or not live: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}` },
    ]);
  }
  if (clusters.length > MAX_CLUSTERS_PER_UPGRADE) {
    throw new ProblemError(422, 'selection-too-large', 'Selection too large', `The selector matches ${clusters.length} clusters; one run upgrades at most ${MAX_CLUSTERS_PER_UPGRADE}.`, [
      { field: 'body.selector', message: `matches more than ${MAX_CLUSTERS_PER_UPGRADE} clusters: select by environment or team` },
    ]);
  }
  const waves = Math.min(body.canary, clusters.length) > 0 ? 1 + Math.ceil(Math.max(0, clusters.length - body.canary) / body.batchSize) : Math.ceil(clusters.length / body.batchSize);
  if (waves > MAX_WAVES_PER_UPGRADE) {
    throw new ProblemError(422, 'too-many-waves', 'Too many waves', `${clusters.length} clusters in batches of ${body.batchSize} make ${waves} waves; a run has at most ${MAX_WAVES_PER_UPGRADE}.`, [
      { field: 'body.batchSize', message: `at least ${Math.ceil(clusters.length / MAX_WAVES_PER_UPGRADE)} for ${clusters.length} clusters` },
    ]);
  }
  await refuseIfAnotherRuns(deps);
  const run = newUpgradeRecord({ upgradeId: newUpgradeId(), ...body, requestedBy: context.caller.principal, clusters, time });
  await transact(deps.tables, [
    ...startUpgradeItems(deps.tables, run, clusters),
    context.audit(entity(run.upgradeId), { selector: body.selector, target: body.target, matched: clusters.length, canary: body.canary, batchSize: body.batchSize, maxConcurrency: body.maxConcurrency, maxFailures: body.maxFailures }),
  ]);
  const started = await startExecution(deps, run);
  return accepted(deps, started);
}

/** Hands the run's current attempt to the state machine; a run whose execution could not start is HALTED (resume it). */
async function startExecution(deps: Dependencies, run: UpgradeRecord): Promise<UpgradeRecord> {
  try {
    await requireUpgrades(deps).start({ upgradeId: run.upgradeId, attempt: run.attempt });
    return run;
  } catch (error) {
    deps.warn('Upgrade run halted: its execution did not start', { upgradeId: run.upgradeId, attempt: run.attempt, error: String(error) });
    await moveUpgrade(deps.tables, run.upgradeId, 'HALTED', deps.now().toISOString(), { from: ['RUNNING'] });
    return (await getUpgradeRecord(deps.tables, run.upgradeId)) ?? run;
  }
}

async function accepted(deps: Dependencies, run: UpgradeRecord) {
  const body = await upgradeAccepted(deps.tables, run);
  return { status: 202, body, headers: { location: body.links.upgrade } };
}

async function listUpgrades(context: OperationContext<'listUpgrades'>): Promise<OperationResult<'listUpgrades'>> {
  const page = await listUpgradeRecords(context.deps.tables, context.query);
  const items = await Promise.all(page.items.map(async (run) => ({ ...upgradeDocument(run), failures: await failuresOf(context.deps.tables, run) })));
  return { status: 200, body: { items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) } };
}

async function requireRun(context: { deps: Dependencies; params: { upgradeId: string } }): Promise<UpgradeRecord> {
  const run = await getUpgradeRecord(context.deps.tables, context.params.upgradeId);
  if (!run) throw notFound(`Upgrade ${context.params.upgradeId}`);
  return run;
}

async function getUpgrade(context: OperationContext<'getUpgrade'>): Promise<OperationResult<'getUpgrade'>> {
  const run = await requireRun(context);
  const clusters = await clusterUpgradePage(context.deps.tables, run.upgradeId, context.query);
  return {
    status: 200,
    body: { ...upgradeDocument(run), failures: await failuresOf(context.deps.tables, run), clusters: clusters.items, ...(clusters.nextToken ? { nextToken: clusters.nextToken } : {}) },
  };
}

/** Stops further waves: the run is CANCELLING until its wave under way ends, then CANCELLED. */
async function cancelUpgrade(context: OperationContext<'cancelUpgrade'>): Promise<OperationResult<'cancelUpgrade'>> {
  const { deps, time } = context;
  const run = await requireRun(context);
  try {
    await transact(deps.tables, [moveUpgradeItem(deps.tables, run.upgradeId, 'CANCELLING', time, { from: ['RUNNING'] }), context.audit(entity(run.upgradeId), { from: run.status })]);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    const now = await requireRun(context);
    throw conflict(`Upgrade ${run.upgradeId} is ${now.status}; only a RUNNING run can be cancelled.`);
  }
  return accepted(deps, (await getUpgradeRecord(deps.tables, run.upgradeId))!);
}

/** Runs a HALTED or CANCELLED run again, as its next attempt: what succeeded (or was skipped) is not redone. */
async function resumeUpgrade(context: OperationContext<'resumeUpgrade'>): Promise<OperationResult<'resumeUpgrade'>> {
  const { deps, time } = context;
  const run = await requireRun(context);
  requireUpgrades(deps);
  if (run.status !== 'HALTED' && run.status !== 'CANCELLED') throw conflict(`Upgrade ${run.upgradeId} is ${run.status}; only a HALTED or CANCELLED run can be resumed.`);
  await refuseIfAnotherRuns(deps, run.upgradeId);
  const mismatches = targetMismatches(run.target, deps.config);
  if (mismatches.length) {
    throw conflict(`The platform's current configuration is no longer this run's target (${mismatches.map((m) => m.message).join('; ')}); start a new upgrade.`);
  }
  try {
    await transact(deps.tables, [
      moveUpgradeItem(deps.tables, run.upgradeId, 'RUNNING', time, { from: ['HALTED', 'CANCELLED'], resume: true }),
      context.audit(entity(run.upgradeId), { from: run.status, attempt: run.attempt + 1 }),
    ]);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    throw conflict(`Upgrade ${run.upgradeId} changed concurrently; read it again.`);
  }
  const resumed = (await getUpgradeRecord(deps.tables, run.upgradeId))!;
  return accepted(deps, await startExecution(deps, resumed));
}

/** Upgrades in waves: start, list, follow, cancel and resume a run. */
export const upgradeOperations: Operations<'startUpgrade' | 'listUpgrades' | 'getUpgrade' | 'cancelUpgrade' | 'resumeUpgrade'> = {
  startUpgrade,
  listUpgrades,
  getUpgrade,
  cancelUpgrade,
  resumeUpgrade,
};
