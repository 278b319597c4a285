import { recordDriftCheck } from '../core/drift-checks';
import { fleetDriftReport } from '../core/drift-report';
import { listFleetClusters as listFleet } from '../core/fleet-clusters';
import { operationAccepted } from '../core/fleet-operation-store';
import { unavailable } from '../core/problems';
import { SOURCE_VERSION } from '../core/source-version';
import type { CurrentVersions } from '../core/version-skew';
import type { Dependencies, OperationContext, OperationResult, Operations } from './operation';

/** What the fleet's clusters are compared with: the platform's engine pins and the running source. */
const currentVersions = (deps: Dependencies): CurrentVersions => ({ engine: deps.config.engine, sourceVersion: SOURCE_VERSION });

async function listFleetClusters(context: OperationContext<'listFleetClusters'>): Promise<OperationResult<'listFleetClusters'>> {
  return { status: 200, body: await listFleet(context.deps.tables, context.query, currentVersions(context.deps)) };
}

/** A drift check of the selected clusters, recorded with its audit record, then handed to the fleet worker. */
async function startDriftCheck(context: OperationContext<'startDriftCheck'>): Promise<OperationResult<'startDriftCheck'>> {
  const { deps, body, caller, time } = context;
  const fleetWork = deps.fleetWork;
  if (!fleetWork) throw unavailable('Drift checks need the fleet worker, which is not configured here; nothing was started.');
  const operation = await recordDriftCheck(deps.tables, {
    selector: body.selector,
    requestedBy: caller.principal,
    time,
    audit: (recorded) => context.audit('fleet', { operationId: recorded.operationId, kind: recorded.kind, selector: body.selector, matched: recorded.counts.matched }),
  });
  try {
    await fleetWork.start({ operationId: operation.operationId, kind: operation.kind });
  } catch (error) {
    // Recorded and audited: the answer stands; the operation shows RUNNING with its clusters PENDING.
    deps.warn('Drift check recorded but not started', { operationId: operation.operationId, error: String(error) });
  }
  const accepted = operationAccepted(operation);
  return { status: 202, body: accepted, headers: { location: accepted.links.operation } };
}

async function getFleetDrift(context: OperationContext<'getFleetDrift'>): Promise<OperationResult<'getFleetDrift'>> {
  return { status: 200, body: await fleetDriftReport(context.deps.tables, context.query, currentVersions(context.deps)) };
}

/** The fleet's clusters, and its drift and version skew. */
export const fleetViewOperations: Operations<'listFleetClusters' | 'startDriftCheck' | 'getFleetDrift'> = {
  listFleetClusters,
  startDriftCheck,
  getFleetDrift,
};
