import type { ClusterEvent, ClusterStatus, Suspension } from '../../lib/contract/api';
import { clusterKey } from './cluster-store';
import { putEventItem } from './event-store';
import { statusIn, transact, TransactionConflict, updateIf, type Tables, type TransactItem } from './tables';
import { clusterStatusesLeadingTo } from './transitions';

/**
 * A cluster's suspension, on its item: `suspension` is set when the suspension is requested (the
 * cluster may still be ACTIVE, or held by a job), then the fleet worker records when its endpoint
 * was blocked and its nodes scaled to zero and moves it to SUSPENDED; a resume removes it again.
 */

/** The statuses a suspension can start from: those with an edge to SUSPENDED in the transition table. */
export const SUSPENDABLE_STATUSES: readonly ClusterStatus[] = clusterStatusesLeadingTo('SUSPENDED');

/** The platform's own principal, as `suspendedBy` of an idle cluster's suspension. */
export const AUTO_SUSPEND_PRINCIPAL = 'sici-auto-suspend';

/** Sets the cluster's suspension, unless it is suspended already or in a status that cannot be suspended. */
export function requestSuspensionItem(tables: Tables, clusterId: string, suspension: Suspension, now: string): TransactItem {
  const from = statusIn(SUSPENDABLE_STATUSES);
  return {
    Update: {
      TableName: tables.stateTable,
      Key: clusterKey(clusterId),
      UpdateExpression: 'SET suspension = :suspension, updatedAt = :now',
      ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(suspension) AND ${from.expression}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':suspension': suspension, ':now': now, ...from.values },
    },
  };
}

/** The same on its own: false when the cluster is suspended already or cannot be. */
export async function requestSuspension(tables: Tables, clusterId: string, suspension: Suspension, now: string): Promise<boolean> {
  try {
    await transact(tables, [requestSuspensionItem(tables, clusterId, suspension, now)]);
    return true;
  } catch (error) {
    if (error instanceof TransactionConflict) return false;
    throw error;
  }
}

/** Records a step of the suspension of operation `operationId` (false when the cluster's suspension is another's, or gone). */
export function recordSuspensionStep(
  tables: Tables,
  clusterId: string,
  operationId: string,
  step: 'endpointBlockedAt' | 'scaledToZeroAt',
  time: string,
): Promise<boolean> {
  return updateIf(tables, {
    Key: clusterKey(clusterId),
    UpdateExpression: `SET suspension.${step} = if_not_exists(suspension.${step}, :time)`,
    ConditionExpression: 'suspension.operationId = :operation',
    ExpressionAttributeValues: { ':time': time, ':operation': operationId },
  });
}

const event = (clusterId: string, time: string, type: string, message: string, status?: ClusterStatus): ClusterEvent => ({
  clusterId,
  time,
  type,
  message,
  ...(status ? { status } : {}),
});

/** Records an event of a suspension or resume (a step, not a status change). */
export async function recordSuspensionEvent(tables: Tables, clusterId: string, time: string, type: string, message: string): Promise<void> {
  await transact(tables, [putEventItem(tables, event(clusterId, time, type, message))]);
}

/**
 * The cluster becomes SUSPENDED, with its event: only when no job holds it (a held cluster is moved
 * by its job's end instead, see job-lifecycle.ts) and only for the suspension of `operationId`.
 * False when the condition does not hold.
 */
export async function moveToSuspended(tables: Tables, clusterId: string, operationId: string, time: string, message: string): Promise<boolean> {
  const from = statusIn(SUSPENDABLE_STATUSES);
  try {
    await transact(tables, [
      {
        Update: {
          TableName: tables.stateTable,
          Key: clusterKey(clusterId),
          UpdateExpression: 'SET #status = :suspended, updatedAt = :now',
          ConditionExpression: `attribute_not_exists(activeJobId) AND suspension.operationId = :operation AND ${from.expression}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':suspended': 'SUSPENDED', ':now': time, ':operation': operationId, ...from.values },
        },
      },
      putEventItem(tables, event(clusterId, time, 'CLUSTER_SUSPENDED', message, 'SUSPENDED')),
    ]);
    return true;
  } catch (error) {
    if (error instanceof TransactionConflict) return false;
    throw error;
  }
}

/** A SUSPENDED cluster that no job holds becomes ACTIVE and loses its suspension, with its event; false otherwise. */
export async function moveToResumed(tables: Tables, clusterId: string, time: string, message: string): Promise<boolean> {
  // SUSPENDED → ACTIVE is an edge of the transition table (transitions.ts).
  const from = statusIn(clusterStatusesLeadingTo('ACTIVE').filter((status) => status === 'SUSPENDED'));
  try {
    await transact(tables, [
      {
        Update: {
          TableName: tables.stateTable,
          Key: clusterKey(clusterId),
          UpdateExpression: 'SET #status = :active, updatedAt = :now REMOVE suspension',
          ConditionExpression: `attribute_not_exists(activeJobId) AND ${from.expression}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'ACTIVE', ':now': time, ...from.values },
        },
      },
      putEventItem(tables, event(clusterId, time, 'CLUSTER_RESUMED', message, 'ACTIVE')),
    ]);
    return true;
  } catch (error) {
    if (error instanceof TransactionConflict) return false;
    throw error;
  }
}
