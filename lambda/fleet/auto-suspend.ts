import pLimit from 'p-limit';
import type { EnvironmentConfig, PlatformConfig } from '../../lib/config/platform-config';
import { MAX_SELECTED_CLUSTER_IDS } from '../../lib/contract/fleet';
import { newFleetOperationId } from '../../lib/contract/ids';
import type { EnvironmentName } from '../../lib/contract/platform-names';
import { auditPut } from '../core/audit-log';
import type { ClusterRecord } from '../core/cluster-store';
import { newFleetOperation, putFleetOperationItem } from '../core/fleet-operation-store';
import { selectClusters } from '../core/fleet-selection';
import type { FleetWorkStarter } from '../core/fleet-work';
import { lastQueryEndTime } from '../core/query-store';
import { AUTO_SUSPEND_PRINCIPAL, requestSuspension } from '../core/suspension-store';
import { transact, type Tables } from '../core/tables';

/**
 * The scheduled check of idle clusters: in every environment with `autoSuspendAfterIdleHours`, an
 * ACTIVE cluster with no completed query for that long is suspended, as a fleet shutdown by
 * `sici-auto-suspend` (its events say so; its team or an admin resumes it). Idle counts from the
 * newest query record's end, or, for a cluster not queried since, from its last change of status
 * (when it became ACTIVE, or was resumed).
 */

export interface AutoSuspendDependencies {
  readonly tables: Tables;
  readonly config: PlatformConfig;
  readonly fleetWork: FleetWorkStarter;
  readonly now: () => Date;
}

export interface AutoSuspendResult {
  /** The clusters suspended, by environment. */
  readonly suspended: Record<string, string[]>;
  readonly operationIds: string[];
}

/** Clusters whose last query is read at once. */
const READS_AT_ONCE = 16;
const HOUR_MS = 3_600_000;

export async function autoSuspendIdleClusters(deps: AutoSuspendDependencies): Promise<AutoSuspendResult> {
  const suspended = Object.create(null) as Record<string, string[]>;
  const operationIds: string[] = [];
  for (const [environment, settings] of Object.entries(deps.config.environments) as [EnvironmentName, EnvironmentConfig][]) {
    const hours = settings.autoSuspendAfterIdleHours;
    if (hours === undefined) continue;
    const idle = await idleClusters(deps, environment, hours);
    for (let start = 0; start < idle.length; start += MAX_SELECTED_CLUSTER_IDS) {
      const batch = idle.slice(start, start + MAX_SELECTED_CLUSTER_IDS);
      operationIds.push(await suspendIdle(deps, environment, hours, batch));
    }
    if (idle.length) suspended[environment] = idle.map(({ cluster }) => cluster.clusterId);
  }
  return { suspended, operationIds };
}

async function idleClusters(deps: AutoSuspendDependencies, environment: EnvironmentName, hours: number) {
  const threshold = deps.now().getTime() - hours * HOUR_MS;
  const active = (await selectClusters(deps.tables, { environment }, ['ACTIVE'])).filter((cluster) => !cluster.suspension && !cluster.activeJobId);
  const limit = pLimit(READS_AT_ONCE);
  const checked = await Promise.all(
    active.map((cluster) =>
      limit(async () => {
        const lastQuery = await lastQueryEndTime(deps.tables, cluster.clusterId);
        const idleSince = lastQuery && lastQuery > cluster.updatedAt ? lastQuery : cluster.updatedAt;
        return { cluster, lastQuery, idle: new Date(idleSince).getTime() <= threshold };
      }),
    ),
  );
  return checked.filter((entry) => entry.idle);
}

async function suspendIdle(deps: AutoSuspendDependencies, environment: string, hours: number, idle: { cluster: ClusterRecord; lastQuery?: string }[]): Promise<string> {
  const time = deps.now().toISOString();
  const operation = newFleetOperation({
    operationId: newFleetOperationId(),
    kind: 'SHUTDOWN',
    selector: { clusterIds: idle.map(({ cluster }) => cluster.clusterId) },
    reason: `idle: no completed query for ${hours} hours (autoSuspendAfterIdleHours of ${environment})`,
    requestedBy: AUTO_SUSPEND_PRINCIPAL,
    clusters: idle.map(({ cluster }) => cluster),
    time,
  });
  await transact(deps.tables, [
    putFleetOperationItem(deps.tables, operation),
    auditPut(deps.tables, {
      actor: AUTO_SUSPEND_PRINCIPAL,
      action: 'autoSuspend',
      time,
      sourceIp: 'internal',
      entity: `fleet-operation/${operation.operationId}`,
      requestId: `${operation.operationId}#autoSuspend`,
      outcome: 'SUCCEEDED',
      status: 202,
      metadata: { environment, idleHours: hours, clusterIds: operation.matched.map((cluster) => cluster.clusterId).slice(0, 100), matched: idle.length },
    }),
  ]);
  const limit = pLimit(READS_AT_ONCE);
  await Promise.all(
    idle.map(({ cluster, lastQuery }) =>
      limit(() =>
        requestSuspension(
          deps.tables,
          cluster.clusterId,
          {
            reason: `idle: ${lastQuery ? `no completed query since ${lastQuery}` : `never queried since ${cluster.updatedAt}`} (more than ${hours} hours)`,
            suspendedAt: time,
            suspendedBy: AUTO_SUSPEND_PRINCIPAL,
            operationId: operation.operationId,
          },
          time,
        ),
      ),
    ),
  );
  await deps.fleetWork.start({ operationId: operation.operationId, kind: operation.kind });
  return operation.operationId;
}
