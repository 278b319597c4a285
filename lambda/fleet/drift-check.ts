import pLimit from 'p-limit';
import type { EnvironmentConfig, PlatformConfig } from '../../lib/config/platform-config';
import type { ClusterDrift } from '../../lib/contract/api';
import { getClusterRecord, type ClusterRecord } from '../core/cluster-store';
import { recordClusterDrift } from '../core/drift-checks';
import { clusterDriftOf, type DetectedDrift } from '../core/drift-classification';
import { finishedClusters, recordOutcome, type FleetOperationRecord } from '../core/fleet-operation-store';
import type { Tables } from '../core/tables';

/**
 * The work of a DRIFT_CHECK fleet operation: each matched cluster's stack is checked for drift
 * (CloudFormation drift detection through the environment's reader role in AWS, see
 * ./cloudformation-drift-detector.ts), the result is recorded on the cluster (with an event when
 * drift is found) and the cluster's outcome is CHECKED, or FAILED when the check could not complete
 * (its drift is then UNKNOWN, with why).
 */

/** Detects the drift of a cluster's deployed stack. */
export interface DriftDetector {
  detect(cluster: ClusterRecord, environment: EnvironmentConfig): Promise<DetectedDrift>;
}

export interface DriftCheckDependencies {
  readonly tables: Tables;
  readonly config: PlatformConfig;
  readonly now: () => Date;
  readonly detector: DriftDetector;
  /** Clusters checked at once (CloudFormation throttles drift detection per account). @default 10 */
  readonly concurrency?: number;
}

type Matched = FleetOperationRecord['matched'][number];

const errorText = (error: unknown) => `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`.slice(0, 1000);

/** What the detector says of one cluster; a detector that throws leaves the drift UNKNOWN. */
async function detect(deps: DriftCheckDependencies, cluster: ClusterRecord): Promise<DetectedDrift> {
  const environment = Object.hasOwn(deps.config.environments, cluster.environment) ? deps.config.environments[cluster.environment] : undefined;
  if (!environment) return { status: 'UNKNOWN', detail: `environment ${cluster.environment} is no longer configured` };
  try {
    return await deps.detector.detect(cluster, environment);
  } catch (error) {
    return { status: 'UNKNOWN', detail: `drift detection failed: ${errorText(error)}` };
  }
}

const outcomeDetail = (drift: ClusterDrift) =>
  drift.status === 'DRIFTED' ? `DRIFTED: ${drift.resources.length} resource(s)${drift.detail ? `; ${drift.detail}` : ''}` : `${drift.status}${drift.detail ? `: ${drift.detail}` : ''}`;

/** Checks one matched cluster of the operation and records its drift and outcome. */
export async function checkClusterDrift(deps: DriftCheckDependencies, operation: FleetOperationRecord, matched: Matched): Promise<'done'> {
  const cluster = await getClusterRecord(deps.tables, matched.clusterId);
  if (!cluster || cluster.status === 'DELETED') {
    await recordOutcome(deps.tables, operation.operationId, matched, 'FAILED', deps.now().toISOString(), `cluster ${matched.clusterId} no longer exists`);
    return 'done';
  }
  const detected = await detect(deps, cluster);
  const drift = clusterDriftOf(detected, cluster, deps.now().toISOString(), operation.operationId);
  const recorded = await recordClusterDrift(deps.tables, cluster.clusterId, drift);
  const detail = `${outcomeDetail(drift)}${recorded ? '' : ' (a newer check is recorded on the cluster)'}`.slice(0, 1000);
  await recordOutcome(deps.tables, operation.operationId, matched, drift.status === 'UNKNOWN' ? 'FAILED' : 'CHECKED', deps.now().toISOString(), detail);
  return 'done';
}

/** Checks every matched cluster not finished yet (a run started again does only what is left). */
export async function runDriftCheck(deps: DriftCheckDependencies, operation: FleetOperationRecord): Promise<void> {
  const finished = await finishedClusters(deps.tables, operation.operationId);
  const limit = pLimit(deps.concurrency ?? 10);
  await Promise.all(
    operation.matched
      .filter((cluster) => !finished.has(cluster.clusterId))
      .map((cluster) =>
        limit(() =>
          checkClusterDrift(deps, operation, cluster).catch(async (error) => {
            await recordOutcome(deps.tables, operation.operationId, cluster, 'FAILED', deps.now().toISOString(), errorText(error));
            return 'done' as const;
          }),
        ),
      ),
  );
}
