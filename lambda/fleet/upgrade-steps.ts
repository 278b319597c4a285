import type { PlatformConfig } from '../../lib/config/platform-config';
import type { ClusterStatus } from '../../lib/contract/api';
import type { ClusterUpgradeStatus } from '../../lib/contract/fleet';
import { newJobId } from '../../lib/contract/ids';
import {
  ClusterState,
  RunState,
  UPGRADE_STATE_NAMES,
  UpgradeStepInvocation,
  type NextWave,
  type UpgradeStep,
} from '../../lib/contract/upgrade-workflow';
import { getClusterRecord, type ClusterRecord } from '../core/cluster-store';
import { acceptJobItems } from '../core/job-lifecycle';
import type { JobStarter } from '../core/job-starter';
import { getJob, newJob } from '../core/job-store';
import { transact, TransactionConflict, type Tables, type TransactItem } from '../core/tables';
import { isAtTarget } from '../core/upgrade-target';
import {
  closeWaveOnce,
  clusterUpgradesOf,
  getClusterUpgrade,
  getPlan,
  getUpgradeRecord,
  getWave,
  markPlanned,
  moveClusterUpgradeItems,
  moveUpgrade,
  putPlannedClusters,
  putWave,
  type ClusterUpgradeChange,
  type ClusterUpgradeRecord,
  type UpgradeRecord,
} from '../core/upgrade-store';
import { PermanentError, TransientError } from '../workflow/workflow-errors';

/**
 * The steps of the fleet upgrade state machine, one function each (in AWS through
 * upgrade-steps.handler.ts, locally straight from the local runner). Each is idempotent: a retried
 * step finds its work done. A cluster's upgrade is an UPDATE job through the ordinary deploy path,
 * under the per-cluster job lock: a cluster with a job in flight is BUSY and retried at the end of
 * the run, up to BUSY_RETRY_LIMIT times.
 */

export interface UpgradeStepsDependencies {
  readonly tables: Tables;
  readonly config: PlatformConfig;
  /** Starts the UPDATE jobs (the provisioning workflow). */
  readonly jobStarter: JobStarter;
  readonly now: () => Date;
  readonly warn?: (message: string, detail: Record<string, unknown>) => void;
}

/** How many times a cluster may be found busy before it counts as failed (each retry wave waits first: see the state machine). */
export const BUSY_RETRY_LIMIT = 10;

/** The cluster statuses an UPDATE job may start from (the transition table's, and an upgrade never starts on a suspended cluster). */
const UPGRADABLE: readonly ClusterStatus[] = ['ACTIVE', 'FAILED'];

type Step = (deps: UpgradeStepsDependencies, state: Record<string, unknown>) => Promise<unknown>;

const STEPS: Record<UpgradeStep, Step> = {
  plan: (deps, state) => plan(deps, RunState.parse(state)),
  openWave: (deps, state) => openWave(deps, RunState.parse(state)),
  startCluster: (deps, state) => startCluster(deps, ClusterState.parse(state)),
  checkCluster: (deps, state) => checkCluster(deps, ClusterState.parse(state)),
  recordClusterError: (deps, state) => recordClusterError(deps, ClusterState.parse(state)),
  closeWave: (deps, state) => closeWave(deps, RunState.parse(state)),
  haltRun: (deps, state) => haltRun(deps, RunState.parse(state)),
};

export async function runUpgradeStep(deps: UpgradeStepsDependencies, invocation: unknown): Promise<unknown> {
  const parsed = UpgradeStepInvocation.safeParse(invocation);
  if (!parsed.success) throw new PermanentError(`Not an upgrade step invocation: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  try {
    return await STEPS[parsed.data.step](deps, parsed.data.state);
  } catch (error) {
    if (error instanceof TransactionConflict || (error as Error).name === 'TransactionCanceledException') {
      throw new TransientError(`A concurrent change got there first (${(error as Error).message}); retrying`);
    }
    throw error;
  }
}

const time = (deps: UpgradeStepsDependencies) => deps.now().toISOString();

async function requireRun(deps: UpgradeStepsDependencies, upgradeId: string): Promise<UpgradeRecord> {
  const run = await getUpgradeRecord(deps.tables, upgradeId);
  if (!run) throw new PermanentError(`Upgrade ${upgradeId} does not exist`);
  return run;
}

// ---- the run ----------------------------------------------------------------------------------

/**
 * Plans the attempt's waves. The first: the canary clusters alone, then batches, in the order of
 * the selection, each cluster PENDING. A resume: what did not succeed (or was skipped) in the
 * same order, in batches (the canaries passed already); its FAILED clusters are PENDING again.
 */
async function plan(deps: UpgradeStepsDependencies, state: RunState): Promise<RunState> {
  const run = await requireRun(deps, state.upgradeId);
  if (run.attempt !== state.attempt) throw new PermanentError(`Upgrade ${run.upgradeId} is at attempt ${run.attempt}, not ${state.attempt}`);
  if (run.plannedAttempt !== state.attempt) {
    const waves = state.attempt === 1 ? await planFirstAttempt(deps, run) : await planResume(deps, run);
    for (const [index, wave] of waves.entries()) await putWave(deps.tables, run.upgradeId, run.attempt, index, { ...wave, retry: false });
    await markPlanned(deps.tables, run.upgradeId, run.attempt, waves.length, time(deps));
  }
  const planned = await requireRun(deps, state.upgradeId);
  const wave = firstOpenWave(planned);
  return { upgradeId: run.upgradeId, attempt: run.attempt, wave, maxConcurrency: run.maxConcurrency, next: await afterWave(deps, planned, wave - 1) };
}

/**
 * The wave an execution of the run's attempt starts with: 0, or, for an execution of the same
 * attempt started again (the reconciler's, once the first one was lost), the wave after the last
 * one closed, so closed waves are neither counted again nor given a second retry wave.
 */
function firstOpenWave(run: UpgradeRecord): number {
  const [attempt, wave] = (run.closedWave ?? '').split('#').map(Number);
  return attempt === run.attempt && Number.isInteger(wave) ? wave + 1 : 0;
}

async function planFirstAttempt(deps: UpgradeStepsDependencies, run: UpgradeRecord) {
  const clusters = await getPlan(deps.tables, run.upgradeId);
  const canaries = clusters.slice(0, run.canary);
  const waves = [
    ...(canaries.length ? [{ name: 'canary', members: canaries.map((cluster) => cluster.clusterId) }] : []),
    ...batches(clusters.slice(run.canary).map((cluster) => cluster.clusterId), run.batchSize),
  ];
  const waveOf = new Map(waves.flatMap((wave) => wave.members.map((clusterId) => [clusterId, wave.name] as const)));
  const items: ClusterUpgradeRecord[] = clusters.map((cluster, position) => ({
    ...cluster,
    wave: waveOf.get(cluster.clusterId)!,
    status: 'PENDING',
    attempts: 0,
    updatedAt: run.createdAt,
    position,
  }));
  await putPlannedClusters(deps.tables, run.upgradeId, items);
  return waves;
}

async function planResume(deps: UpgradeStepsDependencies, run: UpgradeRecord) {
  const left = (await clusterUpgradesOf(deps.tables, run.upgradeId)).filter((cluster) => cluster.status !== 'SUCCEEDED' && cluster.status !== 'SKIPPED');
  for (const cluster of left.filter((c) => c.status === 'FAILED')) {
    await transactIgnoringMoved(deps, moveClusterUpgradeItems(deps.tables, { upgradeId: run.upgradeId, clusterId: cluster.clusterId, to: 'PENDING', from: ['FAILED'], time: time(deps) }));
  }
  return batches(
    left.map((cluster) => cluster.clusterId),
    run.batchSize,
  );
}

const batches = (clusterIds: string[], size: number) =>
  Array.from({ length: Math.ceil(clusterIds.length / size) }, (_, i) => ({ name: `batch-${i + 1}`, members: clusterIds.slice(i * size, (i + 1) * size) }));

/** The cluster ids of the wave about to run, for the Map. */
async function openWave(deps: UpgradeStepsDependencies, state: RunState): Promise<string[]> {
  const wave = await getWave(deps.tables, state.upgradeId, state.attempt, state.wave);
  if (!wave) throw new PermanentError(`Upgrade ${state.upgradeId} has no wave ${state.wave} in attempt ${state.attempt}`);
  return wave.members;
}

/**
 * After a wave: busy clusters get a retry wave at the end of the attempt; then the bound (more
 * failures than maxFailures halts the run), a cancel (CANCELLING ends CANCELLED), or the next wave.
 */
async function closeWave(deps: UpgradeStepsDependencies, state: RunState): Promise<RunState> {
  const run = await requireRun(deps, state.upgradeId);
  const busy = (state.results ?? []).filter((result) => result.status === 'BUSY').map((result) => result.clusterId);
  const retryIndex = run.waves ?? 0;
  if (busy.length) await putWave(deps.tables, run.upgradeId, run.attempt, retryIndex, { name: `retry-${retryIndex}`, retry: true, members: busy });
  await closeWaveOnce(deps.tables, run, state.wave, busy.length ? 1 : 0, time(deps));
  const closed = await requireRun(deps, state.upgradeId);
  return { upgradeId: run.upgradeId, attempt: run.attempt, wave: state.wave + 1, maxConcurrency: run.maxConcurrency, next: await afterWave(deps, closed, state.wave) };
}

/** What follows wave `wave` (-1: the plan), ending the run when nothing does. */
async function afterWave(deps: UpgradeStepsDependencies, run: UpgradeRecord, wave: number): Promise<NextWave> {
  const now = time(deps);
  if (run.status !== 'RUNNING' && run.status !== 'CANCELLING') return 'END';
  if (run.counts.failed > run.maxFailures) {
    await moveUpgrade(deps.tables, run.upgradeId, 'HALTED', now);
    return 'END';
  }
  const next = wave + 1;
  if (next >= (run.waves ?? 0)) {
    await moveUpgrade(deps.tables, run.upgradeId, 'SUCCEEDED', now);
    return 'END';
  }
  if (run.status === 'CANCELLING') {
    await moveUpgrade(deps.tables, run.upgradeId, 'CANCELLED', now);
    return 'END';
  }
  const upcoming = await getWave(deps.tables, run.upgradeId, run.attempt, next);
  return upcoming?.retry ? 'RETRY' : 'WAVE';
}

/** The execution failed outside a cluster's iteration: the run halts (a resume runs it again). */
async function haltRun(deps: UpgradeStepsDependencies, state: RunState): Promise<void> {
  await moveUpgrade(deps.tables, state.upgradeId, 'HALTED', time(deps), { from: ['RUNNING', 'CANCELLING'] });
}

// ---- one cluster --------------------------------------------------------------------------------

type ClusterResult = { upgradeId: string; attempt: number; clusterId: string; status: ClusterUpgradeStatus; jobId?: string };

const resultOf = (state: ClusterState, item: Pick<ClusterUpgradeRecord, 'status' | 'jobId'>): ClusterResult => ({
  upgradeId: state.upgradeId,
  attempt: state.attempt,
  clusterId: state.clusterId,
  status: item.status,
  ...(item.jobId ? { jobId: item.jobId } : {}),
});

async function requireClusterUpgrade(deps: UpgradeStepsDependencies, state: ClusterState): Promise<ClusterUpgradeRecord> {
  const item = await getClusterUpgrade(deps.tables, state.upgradeId, state.clusterId);
  if (!item) throw new PermanentError(`Cluster ${state.clusterId} is not part of upgrade ${state.upgradeId}`);
  return item;
}

/**
 * Starts the cluster's UPDATE job: the job takes the cluster (the per-cluster job lock), moves its
 * engine pins to the platform's current ones for an engine upgrade, and the cluster's item becomes
 * RUNNING, in one transaction. A cluster already at the target, or gone, is SKIPPED; one with a
 * job in flight is BUSY (FAILED once it was busy BUSY_RETRY_LIMIT times).
 */
async function startCluster(deps: UpgradeStepsDependencies, state: ClusterState): Promise<ClusterResult> {
  const item = await requireClusterUpgrade(deps, state);
  if (item.status !== 'PENDING' && item.status !== 'BUSY') return resultOf(state, item);
  const run = await requireRun(deps, state.upgradeId);
  const cluster = await getClusterRecord(deps.tables, state.clusterId);
  const now = time(deps);
  const move = (change: Omit<ClusterUpgradeChange, 'upgradeId' | 'clusterId' | 'time' | 'from'>, extra: TransactItem[] = []) =>
    transactIgnoringMoved(deps, [...extra, ...moveClusterUpgradeItems(deps.tables, { upgradeId: state.upgradeId, clusterId: state.clusterId, time: now, from: [item.status], ...change })]);

  // A FAILED cluster may carry the target's pins from a failed attempt: only an ACTIVE one is known to run them.
  if (!cluster || cluster.status === 'DELETED' || cluster.status === 'DELETING' || (cluster.status === 'ACTIVE' && isAtTarget(cluster, run.target, deps.config))) {
    await move({ to: 'SKIPPED' });
    return resultOf(state, await requireClusterUpgrade(deps, state));
  }
  if (cluster.activeJobId || !UPGRADABLE.includes(cluster.status)) return busy(deps, state, item, cluster, move);

  const job = newJob(cluster, newJobId(), 'UPDATE', now);
  const message = `UPDATE job ${job.jobId} accepted: fleet upgrade ${run.upgradeId} (${describeTarget(run, deps.config)}); cluster is UPDATING`;
  const accept = acceptJobItems(deps.tables, cluster, job, { from: UPGRADABLE, message, changes: run.target.engine ? { enginePins: deps.config.engine } : {} });
  try {
    await transact(deps.tables, [...accept, ...moveClusterUpgradeItems(deps.tables, { upgradeId: state.upgradeId, clusterId: state.clusterId, time: now, from: [item.status], to: 'RUNNING', jobId: job.jobId, attempt: true })]);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    // The cluster was taken meanwhile (index 0), or a retry of this step got there first.
    if (error.failedIndexes.includes(0)) return busy(deps, state, item, (await getClusterRecord(deps.tables, state.clusterId)) ?? cluster, move);
    return resultOf(state, await requireClusterUpgrade(deps, state));
  }
  try {
    await deps.jobStarter.start(job);
  } catch (error) {
    // The job stays PENDING: the reconciler starts it, and this cluster's polling waits for it.
    deps.warn?.('Upgrade job left PENDING for the reconciler: start failed', { jobId: job.jobId, error: String(error) });
  }
  return resultOf(state, { status: 'RUNNING', jobId: job.jobId });
}

async function busy(
  deps: UpgradeStepsDependencies,
  state: ClusterState,
  item: ClusterUpgradeRecord,
  cluster: ClusterRecord,
  move: (change: Omit<ClusterUpgradeChange, 'upgradeId' | 'clusterId' | 'time' | 'from'>) => Promise<void>,
): Promise<ClusterResult> {
  const holder = cluster.activeJobId ? `job ${cluster.activeJobId} in flight` : `cluster ${cluster.status}`;
  if (item.attempts + 1 >= BUSY_RETRY_LIMIT) {
    const cause = `The cluster was busy (${holder}) at each of ${BUSY_RETRY_LIMIT} attempts; resume the run once it is free`;
    await move({ to: 'FAILED', attempt: true, errorDetails: { step: UPGRADE_STATE_NAMES.startCluster, cause } });
  } else {
    await move({ to: 'BUSY', attempt: true });
  }
  return resultOf(state, await requireClusterUpgrade(deps, state));
}

/** Polls the cluster's job; once it ended, the cluster SUCCEEDED, or FAILED with the job's failed step and cause. */
async function checkCluster(deps: UpgradeStepsDependencies, state: ClusterState): Promise<ClusterResult> {
  const item = await requireClusterUpgrade(deps, state);
  if (item.status !== 'RUNNING' || !item.jobId) return resultOf(state, item);
  const job = await getJob(deps.tables, item.jobId);
  if (!job) throw new PermanentError(`Job ${item.jobId} of cluster ${state.clusterId} does not exist`);
  if (job.status === 'PENDING' || job.status === 'RUNNING') return resultOf(state, item);
  const now = time(deps);
  const succeeded = job.status === 'SUCCEEDED';
  await transactIgnoringMoved(deps, [
    ...moveClusterUpgradeItems(deps.tables, {
      upgradeId: state.upgradeId,
      clusterId: state.clusterId,
      time: now,
      from: ['RUNNING'],
      to: succeeded ? 'SUCCEEDED' : 'FAILED',
      ...(succeeded ? {} : { errorDetails: job.errorDetails ?? { step: 'unknown', cause: `job ${job.jobId} failed` } }),
    }),
  ]);
  return resultOf(state, await requireClusterUpgrade(deps, state));
}

/** A step of the cluster's iteration failed past its retries: the cluster is FAILED with that state and error. */
async function recordClusterError(deps: UpgradeStepsDependencies, state: ClusterState): Promise<ClusterResult> {
  const item = await requireClusterUpgrade(deps, state);
  if (item.status === 'PENDING' || item.status === 'BUSY' || item.status === 'RUNNING') {
    const cause = `${state.error?.Error ?? 'Error'}: ${state.error?.Cause ?? 'unknown'}`.slice(0, 1000);
    await transactIgnoringMoved(
      deps,
      moveClusterUpgradeItems(deps.tables, { upgradeId: state.upgradeId, clusterId: state.clusterId, time: time(deps), from: [item.status], to: 'FAILED', errorDetails: { step: state.failedState ?? 'unknown', cause } }),
    );
  }
  const { upgradeId, attempt, clusterId } = state;
  return resultOf({ upgradeId, attempt, clusterId }, await requireClusterUpgrade(deps, state));
}

/** A move whose condition failed was made already (a retried step): nothing more to do. */
async function transactIgnoringMoved(deps: UpgradeStepsDependencies, items: TransactItem[]): Promise<void> {
  try {
    await transact(deps.tables, items);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
  }
}

function describeTarget(run: UpgradeRecord, config: PlatformConfig): string {
  return run.target.engine ? `engine chart ${config.engine.chart.version}, image ${config.engine.image.digest.slice(0, 19)}…` : `source version ${run.target.sourceVersion}`;
}
