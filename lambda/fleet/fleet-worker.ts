import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { PlatformConfig } from '../../lib/config/platform-config';
import { getClusterRecord, type ClusterRecord } from '../core/cluster-store';
import { finishedClusters, getFleetOperationRecord, recordOutcome, touchFleetOperation, type FleetOperationRecord } from '../core/fleet-operation-store';
import type { Tables } from '../core/tables';
import {
  AUTO_SUSPEND_PRINCIPAL,
  moveToResumed,
  moveToSuspended,
  recordSuspensionEvent,
  recordSuspensionStep,
  requestSuspension,
  SUSPENDABLE_STATUSES,
} from '../core/suspension-store';
import type { ClusterControl } from './cluster-control';
import { checkClusterDrift, type DriftDetector } from './drift-check';

/**
 * The fleet worker: carries out a recorded fleet operation, cluster by cluster, many at once. A
 * shutdown first blocks the query endpoint of every cluster it matched, then scales their node groups
 * to zero (a cluster whose job is in flight once the job ends); a resume
 * scales them back to the tier's counts, then unblocks. Each cluster's outcome is recorded as it
 * goes, so a run started again (Lambda's retry, or the next run after a deadline) does only what is
 * left.
 */

export interface FleetWorkerDependencies {
  readonly tables: Tables;
  readonly config: PlatformConfig;
  readonly control: ClusterControl;
  /** Detects the drift of clusters' stacks (DRIFT_CHECK operations). @default none: their clusters are FAILED */
  readonly drift?: DriftDetector;
  readonly now: () => Date;
  /** Clusters worked on at once. @default 50 */
  readonly concurrency?: number;
  /** How often a cluster held by a job is looked at again. @default 5000 */
  readonly pollIntervalMs?: number;
  /** When the run stops waiting for jobs (epoch ms; Lambda's remaining time): those clusters are left for the next run. @default never */
  readonly deadline?: () => number;
}

/** Whether the run finished every matched cluster; false when some wait for their job past the deadline (start it again). */
export interface FleetRunResult {
  readonly finished: boolean;
}

/**
 * How often a run waiting for clusters' jobs marks the operation alive (its `updatedAt`): the
 * reconciler starts a worker again for a RUNNING operation not updated for much longer.
 */
export const FLEET_HEARTBEAT_MS = 60_000;

type Matched = FleetOperationRecord['matched'][number];
/** The worker's dependencies within one run: with the run's heartbeat, shared by its clusters. */
type RunDependencies = FleetWorkerDependencies & { readonly heartbeat: () => Promise<void> };
type ClusterWork = (deps: RunDependencies, operation: FleetOperationRecord, cluster: Matched) => Promise<'done' | 'deferred'>;

/** Stops a cluster's part of the run: its outcome is recorded FAILED with why. */
class ClusterFailure extends Error {}

export async function runFleetOperation(deps: FleetWorkerDependencies, operationId: string): Promise<FleetRunResult> {
  const operation = await getFleetOperationRecord(deps.tables, operationId);
  if (!operation || operation.status !== 'RUNNING') return { finished: true };
  const finished = await finishedClusters(deps.tables, operationId);
  const remaining = operation.matched.filter((cluster) => !finished.has(cluster.clusterId));
  const limit = pLimit(deps.concurrency ?? 50);
  let lastBeat = deps.now().getTime();
  const heartbeat = async () => {
    const now = deps.now().getTime();
    if (now - lastBeat < FLEET_HEARTBEAT_MS) return;
    lastBeat = now;
    await touchFleetOperation(deps.tables, operationId, new Date(now).toISOString());
  };
  const runDeps: RunDependencies = { ...deps, heartbeat };
  const failed = new Set<string>();
  const each = (clusters: readonly Matched[], work: ClusterWork) =>
    Promise.all(
      clusters.map((cluster) =>
        limit(async () => {
          try {
            return await work(runDeps, operation, cluster);
          } catch (error) {
            const detail = error instanceof ClusterFailure ? error.message : `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
            failed.add(cluster.clusterId);
            await recordOutcome(deps.tables, operationId, cluster, 'FAILED', stamp(deps), detail.slice(0, 1000));
            return 'done' as const;
          }
        }),
      ),
    );
  if (operation.kind === 'SHUTDOWN') {
    // Every endpoint is blocked before any node group is scaled: queries stop fleet-wide first.
    await each(remaining, blockCluster);
    const results = await each(remaining.filter((cluster) => !failed.has(cluster.clusterId)), scaleSuspendedCluster);
    return { finished: results.every((result) => result === 'done') };
  }
  const results = await each(remaining, workOf(operation));
  return { finished: results.every((result) => result === 'done') };
}

function workOf(operation: FleetOperationRecord): ClusterWork {
  switch (operation.kind) {
    case 'SHUTDOWN':
      return async (deps, op, cluster) => ((await blockCluster(deps, op, cluster)) === 'done' ? scaleSuspendedCluster(deps, op, cluster) : 'deferred');
    case 'RESUME':
      return resumeCluster;
    case 'DRIFT_CHECK':
      return async (deps, op, cluster) => {
        if (!deps.drift) throw new ClusterFailure('drift detection is not configured for this worker');
        return checkClusterDrift({ ...deps, detector: deps.drift }, op, cluster);
      };
  }
}

const stamp = (deps: Pick<FleetWorkerDependencies, 'now'>) => deps.now().toISOString();

async function requireCluster(deps: FleetWorkerDependencies, clusterId: string): Promise<ClusterRecord> {
  const cluster = await getClusterRecord(deps.tables, clusterId);
  if (!cluster) throw new ClusterFailure(`cluster ${clusterId} no longer exists`);
  return cluster;
}

const byWhom = (operation: FleetOperationRecord) =>
  operation.requestedBy === AUTO_SUSPEND_PRINCIPAL ? 'automatically (idle)' : `by ${operation.requestedBy}`;

/**
 * Shutdown of one cluster, first step: its suspension (written by the request, or here if the
 * request did not get to it), and its endpoint blocked at once, even while a job holds it.
 */
const blockCluster: ClusterWork = async (deps, operation, matched) => {
  const { tables } = deps;
  const { operationId } = operation;
  let cluster = await requireCluster(deps, matched.clusterId);
  if (!cluster.suspension && SUSPENDABLE_STATUSES.includes(cluster.status)) {
    await requestSuspension(tables, cluster.clusterId, { reason: operation.reason ?? 'fleet shutdown', suspendedAt: operation.createdAt, suspendedBy: operation.requestedBy, operationId }, stamp(deps));
    cluster = await requireCluster(deps, matched.clusterId);
  }
  if (cluster.suspension?.operationId !== operationId) {
    if (cluster.suspension) throw new ClusterFailure(`suspended by another operation (${cluster.suspension.operationId ?? cluster.suspension.suspendedBy}): ${cluster.suspension.reason}`);
    throw new ClusterFailure(`cluster is ${cluster.status}: it cannot be suspended`);
  }

  const blocked = await deps.control.blockEndpoint(cluster);
  const heldBy = cluster.activeJobId;
  await recordSuspensionStep(tables, cluster.clusterId, operationId, 'endpointBlockedAt', stamp(deps));
  await recordSuspensionEvent(tables, cluster.clusterId, stamp(deps), 'ENDPOINT_BLOCKED', `Query endpoint blocked (suspended ${byWhom(operation)}: ${cluster.suspension.reason}): ${blocked}`);
  await recordOutcome(tables, operationId, matched, 'BLOCKED', stamp(deps), heldBy ? `job ${heldBy} in flight: it finishes SUSPENDED` : undefined);
  return 'done';
};

/**
 * Shutdown of one cluster, second step (its endpoint is blocked): once no job holds it, SUSPENDED
 * and its node groups at zero. A job in flight ends the cluster SUSPENDED itself (job-lifecycle.ts);
 * its deploy may have replaced the ALB's rules, so the endpoint is blocked again.
 */
const scaleSuspendedCluster: ClusterWork = async (deps, operation, matched) => {
  const { tables } = deps;
  const { operationId } = operation;
  let cluster = await requireCluster(deps, matched.clusterId);
  if (cluster.suspension?.operationId !== operationId) throw new ClusterFailure(`no longer suspended by this operation (cluster is ${cluster.status})`);
  const heldBy = cluster.activeJobId;
  let waitedForJob = false;
  for (;;) {
    if (cluster.activeJobId) {
      if (Date.now() + (deps.pollIntervalMs ?? 5000) > (deps.deadline?.() ?? Infinity)) return 'deferred';
      waitedForJob = true;
      await sleep(deps.pollIntervalMs ?? 5000);
      await deps.heartbeat();
      cluster = await requireCluster(deps, matched.clusterId);
      continue;
    }
    if (cluster.suspension?.operationId !== operationId) throw new ClusterFailure(`no longer suspended by this operation (cluster is ${cluster.status})`);
    if (cluster.status === 'SUSPENDED') break;
    if (!SUSPENDABLE_STATUSES.includes(cluster.status)) throw new ClusterFailure(`cluster is ${cluster.status}${heldBy ? ` after job ${heldBy}` : ''}; its endpoint stays blocked`);
    const message = `Cluster suspended ${byWhom(operation)}: ${cluster.suspension.reason}; scaling its nodes to zero`;
    if (await moveToSuspended(tables, cluster.clusterId, operationId, stamp(deps), message)) break;
    // A job took the cluster meanwhile: wait for it, as for one in flight.
    cluster = await requireCluster(deps, matched.clusterId);
  }
  if (waitedForJob) await deps.control.blockEndpoint(cluster);

  const scaled = await deps.control.scaleToZero(cluster);
  await recordSuspensionStep(tables, cluster.clusterId, operationId, 'scaledToZeroAt', stamp(deps));
  await recordSuspensionEvent(tables, cluster.clusterId, stamp(deps), 'NODES_SCALED_TO_ZERO', `Node groups scaled to zero: ${scaled}`);
  await recordOutcome(tables, operationId, matched, 'SUSPENDED', stamp(deps), heldBy ? `job ${heldBy} finished first` : undefined);
  return 'done';
};

/** Resume of one SUSPENDED cluster: node groups back to its tier's counts, then its endpoint unblocked, then ACTIVE. */
const resumeCluster: ClusterWork = async (deps, operation, matched) => {
  const { tables } = deps;
  const cluster = await requireCluster(deps, matched.clusterId);
  if (cluster.status !== 'SUSPENDED') throw new ClusterFailure(`cluster is ${cluster.status}, not SUSPENDED`);
  if (cluster.activeJobId) throw new ClusterFailure(`job ${cluster.activeJobId} is in flight`);
  const tier = deps.config.tiers[cluster.tier];
  const restored = await deps.control.restoreScale(cluster, { coordinator: 1, worker: tier.worker.count });
  await recordSuspensionEvent(tables, cluster.clusterId, stamp(deps), 'NODES_RESTORED', `Node groups scaled back to tier ${cluster.tier}: ${restored}`);
  const unblocked = await deps.control.unblockEndpoint(cluster);
  const was = cluster.suspension ? ` (it was suspended ${cluster.suspension.suspendedBy === AUTO_SUSPEND_PRINCIPAL ? 'automatically, idle' : `by ${cluster.suspension.suspendedBy}`}: ${cluster.suspension.reason})` : '';
  const message = `Cluster resumed by ${operation.requestedBy}${operation.reason ? ` (${operation.reason})` : ''}${was}; query endpoint unblocked: ${unblocked}`;
  if (!(await moveToResumed(tables, cluster.clusterId, stamp(deps), message))) throw new ClusterFailure('cluster changed concurrently; it was not resumed');
  await recordOutcome(tables, operation.operationId, matched, 'RESUMED', stamp(deps));
  return 'done';
};
