import pLimit from 'p-limit';
import type { ClusterStatus, Suspension } from '../../lib/contract/api';
import type { FleetOperationAccepted, FleetOperationKind, FleetSelector } from '../../lib/contract/fleet';
import { newFleetOperationId } from '../../lib/contract/ids';
import type { AdminCaller, TeamCaller } from '../core/callers';
import { getClusterRecord, type ClusterRecord } from '../core/cluster-store';
import {
  getFleetOperation,
  MAX_CLUSTERS_PER_OPERATION,
  newFleetOperation,
  operationAccepted,
  putFleetOperationItem,
  type FleetOperationRecord,
} from '../core/fleet-operation-store';
import { describeSelector, selectClusters } from '../core/fleet-selection';
import { conflict, notFound, ProblemError, selectorMatchedNothing, unavailable } from '../core/problems';
import { transact, TransactionConflict, type TransactItem } from '../core/tables';
import { requestSuspension, requestSuspensionItem, SUSPENDABLE_STATUSES } from '../core/suspension-store';
import type { Dependencies, OperationContext, OperationResult, Operations } from './operation';

/** Clusters whose suspension is written at once by a fleet shutdown (the worker writes any left over). */
const SUSPENSIONS_AT_ONCE = 50;

type Accepted = { status: 202; body: FleetOperationAccepted; headers: Record<string, string> };

/** What recording an operation needs of the call. */
type StartingCall = Pick<OperationContext<'shutdownFleet'>, 'deps' | 'time' | 'audit'> & { readonly caller: { readonly principal: string } };

/** The cluster of a team's or an admin's call: a team sees only its own (404 for another's). */
async function clusterOfCaller(deps: Dependencies, caller: TeamCaller | AdminCaller, clusterId: string): Promise<ClusterRecord> {
  const cluster = await getClusterRecord(deps.tables, clusterId);
  if (!cluster || (caller.kind === 'team' && cluster.teamId !== caller.team.teamId)) throw notFound(`Cluster ${clusterId}`);
  return cluster;
}

function requireFleetWork(deps: Dependencies) {
  if (!deps.fleetWork) throw unavailable('Fleet operations cannot be carried out here: no fleet worker is configured.');
  return deps.fleetWork;
}

/** The 202 of a started operation, with where to follow it. */
function accepted(operation: FleetOperationRecord): Accepted {
  const body = operationAccepted(operation);
  return { status: 202, body, headers: { location: body.links.operation } };
}

/** Hands the recorded operation to the worker; a failed start is reported, the operation stays recorded RUNNING. */
async function startWork(deps: Dependencies, operation: FleetOperationRecord): Promise<void> {
  try {
    await requireFleetWork(deps).start({ operationId: operation.operationId, kind: operation.kind });
  } catch (error) {
    deps.warn('Fleet operation recorded but its worker did not start', { operationId: operation.operationId, error: String(error) });
  }
}

/**
 * Records an operation on the clusters `selector` matched (with the audit record of the call, and
 * `extra` items, in one transaction) and starts its worker.
 */
async function startOperation(
  context: StartingCall,
  kind: FleetOperationKind,
  selector: FleetSelector,
  clusters: ClusterRecord[],
  reason: string | undefined,
  extra: (operation: FleetOperationRecord) => TransactItem[],
): Promise<FleetOperationRecord> {
  const { deps, time } = context;
  requireFleetWork(deps);
  if (clusters.length > MAX_CLUSTERS_PER_OPERATION) {
    throw new ProblemError(422, 'selection-too-large', 'Selection too large', `The selector matches ${clusters.length} clusters; one operation takes at most ${MAX_CLUSTERS_PER_OPERATION}: select by environment or team.`, [
      { field: 'body.selector', message: `matches more than ${MAX_CLUSTERS_PER_OPERATION} clusters` },
    ]);
  }
  const operation = newFleetOperation({ operationId: newFleetOperationId(), kind, selector, reason, requestedBy: context.caller.principal, clusters, time });
  // One cluster's suspend or resume is found under that cluster in the audit trail; a wider one under its operation.
  const entity = clusters.length === 1 && selector.clusterIds?.length === 1 ? `cluster/${clusters[0].clusterId}` : `fleet-operation/${operation.operationId}`;
  const audit = context.audit(entity, {
    operationId: operation.operationId,
    kind,
    selector,
    ...(reason ? { reason } : {}),
    matched: clusters.length,
    clusterIds: clusters.slice(0, 100).map((cluster) => cluster.clusterId),
  });
  await transact(deps.tables, [putFleetOperationItem(deps.tables, operation), audit, ...extra(operation)]);
  return operation;
}

const suspensionOf = (caller: TeamCaller | AdminCaller, reason: string, operationId: string, time: string): Suspension => ({
  reason,
  suspendedAt: time,
  suspendedBy: caller.principal,
  operationId,
});

async function suspendCluster(context: OperationContext<'suspendCluster'>): Promise<OperationResult<'suspendCluster'>> {
  const { deps, caller, time } = context;
  const cluster = await clusterOfCaller(deps, caller, context.params.clusterId);
  if (cluster.suspension) throw conflict(`Cluster ${cluster.clusterId} is suspended already (${cluster.suspension.reason}).`);
  if (!SUSPENDABLE_STATUSES.includes(cluster.status)) throw conflict(`Cluster ${cluster.clusterId} is ${cluster.status}: only a ${SUSPENDABLE_STATUSES.join(', ')} cluster can be suspended.`);
  const selector = { clusterIds: [cluster.clusterId] };
  try {
    const operation = await startOperation(context, 'SHUTDOWN', selector, [cluster], context.body.reason, (op) => [
      requestSuspensionItem(deps.tables, cluster.clusterId, suspensionOf(caller, context.body.reason, op.operationId, time), time),
    ]);
    await startWork(deps, operation);
    return accepted(operation);
  } catch (error) {
    if (error instanceof TransactionConflict) throw conflict(`Cluster ${cluster.clusterId} changed concurrently; it may be suspended already.`);
    throw error;
  }
}

async function resumeCluster(context: OperationContext<'resumeCluster'>): Promise<OperationResult<'resumeCluster'>> {
  const { deps, caller } = context;
  const cluster = await clusterOfCaller(deps, caller, context.params.clusterId);
  if (cluster.status !== 'SUSPENDED') {
    throw conflict(`Cluster ${cluster.clusterId} is ${cluster.status}${cluster.suspension ? ', still being suspended' : ''}: only a SUSPENDED cluster can be resumed.`);
  }
  if (cluster.activeJobId) throw conflict(`Cluster ${cluster.clusterId} has job ${cluster.activeJobId} in flight.`);
  const operation = await startOperation(context, 'RESUME', { clusterIds: [cluster.clusterId] }, [cluster], undefined, () => []);
  await startWork(deps, operation);
  return accepted(operation);
}

/** The clusters a selector matches for an action, or 422 when there are none. */
async function matching(deps: Dependencies, selector: FleetSelector, statuses: readonly ClusterStatus[], wanted: string, keep: (cluster: ClusterRecord) => boolean) {
  const clusters = (await selectClusters(deps.tables, selector, statuses)).filter(keep);
  if (clusters.length === 0) throw selectorMatchedNothing(describeSelector(selector), wanted);
  return clusters;
}

async function shutdownFleet(context: OperationContext<'shutdownFleet'>): Promise<OperationResult<'shutdownFleet'>> {
  const { deps, body, caller, time } = context;
  requireFleetWork(deps);
  const clusters = await matching(deps, body.selector, SUSPENDABLE_STATUSES, 'running (not suspended)', (cluster) => !cluster.suspension);
  const operation = await startOperation(context, 'SHUTDOWN', body.selector, clusters, body.reason, () => []);
  // Each cluster on its own (a transaction holds at most 100 items); one suspended meanwhile keeps its suspension, and the worker says so.
  const limit = pLimit(SUSPENSIONS_AT_ONCE);
  await Promise.all(
    clusters.map((cluster) => limit(() => requestSuspension(deps.tables, cluster.clusterId, suspensionOf(caller, body.reason, operation.operationId, time), time))),
  );
  await startWork(deps, operation);
  return accepted(operation);
}

async function resumeFleet(context: OperationContext<'resumeFleet'>): Promise<OperationResult<'resumeFleet'>> {
  const { deps, body } = context;
  requireFleetWork(deps);
  const clusters = await matching(deps, body.selector, ['SUSPENDED'], 'SUSPENDED', (cluster) => !cluster.activeJobId);
  const operation = await startOperation(context, 'RESUME', body.selector, clusters, body.reason, () => []);
  await startWork(deps, operation);
  return accepted(operation);
}

async function getFleetOperationRoute(context: OperationContext<'getFleetOperation'>): Promise<OperationResult<'getFleetOperation'>> {
  const operation = await getFleetOperation(context.deps.tables, context.params.operationId, context.query);
  if (!operation) throw notFound(`Fleet operation ${context.params.operationId}`);
  return { status: 200, body: operation };
}

/** Suspend and resume: one cluster (its team or an admin), the fleet's emergency shutdown and resume, and following them. */
export const suspensionOperations: Operations<'suspendCluster' | 'resumeCluster' | 'shutdownFleet' | 'resumeFleet' | 'getFleetOperation'> = {
  suspendCluster,
  resumeCluster,
  shutdownFleet,
  resumeFleet,
  getFleetOperation: getFleetOperationRoute,
};
