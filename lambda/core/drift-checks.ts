import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ClusterDrift, ClusterStatus } from '../../lib/contract/api';
import type { FleetSelector } from '../../lib/contract/fleet';
import { newFleetOperationId } from '../../lib/contract/ids';
import { clusterKey } from './cluster-store';
import { putEventItem } from './event-store';
import { describeSelector, selectClusters } from './fleet-selection';
import { MAX_CLUSTERS_PER_OPERATION, newFleetOperation, putFleetOperationItem, type FleetOperationRecord } from './fleet-operation-store';
import { ProblemError, selectorMatchedNothing } from './problems';
import { transact, TransactionConflict, type Tables, type TransactItem } from './tables';

/**
 * Drift checks: a DRIFT_CHECK fleet operation over the selected clusters (recorded here, carried
 * out by the fleet worker, see lambda/fleet/drift-check.ts), the newest one remembered for the
 * fleet's drift report (`FLEETOP#LATEST` / `DRIFT_CHECK`), and each cluster's result on its item.
 */

/** Clusters whose stack is deployed and not being changed: a stack under update cannot be checked. */
export const DRIFT_CHECKED_STATUSES: readonly ClusterStatus[] = ['ACTIVE', 'SUSPENDED'];

const LATEST_DRIFT_CHECK_KEY = { pk: 'FLEETOP#LATEST', sk: 'DRIFT_CHECK' };

export interface DriftCheckRequest {
  readonly selector: FleetSelector;
  readonly requestedBy: string;
  readonly time: string;
  /** The audit record of the request, written in the same transaction. */
  readonly audit: (operation: FleetOperationRecord) => TransactItem;
}

/** Records a drift check of the selected clusters (422 when the selector matches none); the caller starts the work. */
export async function recordDriftCheck(tables: Tables, request: DriftCheckRequest): Promise<FleetOperationRecord> {
  const clusters = await selectClusters(tables, request.selector, DRIFT_CHECKED_STATUSES);
  if (clusters.length === 0) throw selectorMatchedNothing(describeSelector(request.selector), DRIFT_CHECKED_STATUSES.join(' or '));
  if (clusters.length > MAX_CLUSTERS_PER_OPERATION) {
    throw new ProblemError(422, 'selection-too-large', 'Selection too large', `The selector matches ${clusters.length} clusters; one drift check takes at most ${MAX_CLUSTERS_PER_OPERATION}: select by environment or team.`, [
      { field: 'body.selector', message: `matches more than ${MAX_CLUSTERS_PER_OPERATION} clusters` },
    ]);
  }
  const operation = newFleetOperation({
    operationId: newFleetOperationId(),
    kind: 'DRIFT_CHECK',
    selector: request.selector,
    requestedBy: request.requestedBy,
    clusters,
    time: request.time,
  });
  await transact(tables, [
    putFleetOperationItem(tables, operation),
    { Put: { TableName: tables.stateTable, Item: { ...LATEST_DRIFT_CHECK_KEY, itemType: 'latestDriftCheck', operationId: operation.operationId, createdAt: operation.createdAt } } },
    request.audit(operation),
  ]);
  return operation;
}

/** The newest drift check's id, if any was ever started. */
export async function latestDriftCheckId(tables: Tables): Promise<string | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: LATEST_DRIFT_CHECK_KEY }));
  return Item?.operationId as string | undefined;
}

/**
 * Records a cluster's drift on its item, with an event when drift was found. A result older than
 * the one recorded (a slower check that ends later) is not written: false then.
 */
export async function recordClusterDrift(tables: Tables, clusterId: string, drift: ClusterDrift): Promise<boolean> {
  const items: TransactItem[] = [
    {
      Update: {
        TableName: tables.stateTable,
        Key: clusterKey(clusterId),
        UpdateExpression: 'SET drift = :drift',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(drift) OR drift.checkedAt <= :checkedAt)',
        ExpressionAttributeValues: { ':drift': drift, ':checkedAt': drift.checkedAt },
      },
    },
  ];
  if (drift.status === 'DRIFTED') {
    const names = drift.resources.slice(0, 5).map((resource) => `${resource.logicalId} (${resource.resourceType}, ${resource.status})`);
    const more = drift.resources.length > names.length ? ` and ${drift.resources.length - names.length} more` : '';
    items.push(
      putEventItem(tables, {
        clusterId,
        time: drift.checkedAt,
        type: 'DRIFT_DETECTED',
        message: `Drift detected on its stack: ${names.join(', ')}${more}${drift.operationId ? ` (drift check ${drift.operationId})` : ''}`,
      }),
    );
  }
  try {
    await transact(tables, items);
    return true;
  } catch (error) {
    if (error instanceof TransactionConflict) return false;
    throw error;
  }
}
