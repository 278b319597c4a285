import type { FleetWorkStarter, UpgradeExecutions, UpgradeStarter } from '../core/fleet-work';
import { fleetOperationsStalledSince } from '../core/fleet-operation-store';
import type { Tables } from '../core/tables';
import { getUpgradeRecord, haltUpgradeWithReason, upgradesInFlight, type UpgradeRecord } from '../core/upgrade-store';

export interface FleetReconcileDependencies {
  readonly tables: Tables;
  readonly now: () => Date;
  readonly fleetWork: FleetWorkStarter;
  readonly upgrades: UpgradeStarter & UpgradeExecutions;
}

export interface FleetReconcileOptions {
  /**
   * A RUNNING fleet operation not updated this long lost its worker (never started, or died): start
   * one again. Well above the worker's heartbeat (FLEET_HEARTBEAT_MS) while it waits for jobs.
   */
  readonly fleetStalledAfterMs: number;
}

export const DEFAULT_FLEET_RECONCILE_OPTIONS: FleetReconcileOptions = { fleetStalledAfterMs: 15 * 60_000 };

const inFlight = (run: UpgradeRecord | undefined, attempt: number) => run !== undefined && run.attempt === attempt && (run.status === 'RUNNING' || run.status === 'CANCELLING');

/**
 * The reconciler's part for the fleet, run with the jobs' one: fleet operations whose worker is
 * gone get a new one (it skips the clusters already finished), and upgrade runs in flight whose
 * execution is lost are started again under the same name (the plan goes on after the attempt's
 * last closed wave; see upgrade-steps.ts). A run whose execution ended without ending it cannot
 * run again under that name: it is HALTED with why, for an admin to resume (a new attempt).
 */
export async function reconcileFleet(deps: FleetReconcileDependencies, options = DEFAULT_FLEET_RECONCILE_OPTIONS) {
  const now = deps.now();
  const stalled = await fleetOperationsStalledSince(deps.tables, new Date(now.getTime() - options.fleetStalledAfterMs));
  for (const operation of stalled) await deps.fleetWork.start({ operationId: operation.operationId, kind: operation.kind });

  const restarted: string[] = [];
  const halted: string[] = [];
  for (const run of await upgradesInFlight(deps.tables)) {
    const upgrade = { upgradeId: run.upgradeId, attempt: run.attempt };
    const state = await deps.upgrades.executionState(upgrade);
    // Read again: the run may have ended (or been resumed) since the index was read.
    if (state === 'RUNNING' || !inFlight(await getUpgradeRecord(deps.tables, run.upgradeId), run.attempt)) continue;
    if (state === 'NOT_STARTED') {
      await deps.upgrades.start(upgrade);
      restarted.push(run.upgradeId);
      continue;
    }
    const reason = `The execution of attempt ${run.attempt} ended while the run was ${run.status}; the reconciler halted it: resume it to run what is left`;
    if (await haltUpgradeWithReason(deps.tables, run.upgradeId, run.attempt, reason, now.toISOString())) halted.push(run.upgradeId);
  }
  return { fleetOperationsRestarted: stalled.map((operation) => operation.operationId), upgradesRestarted: restarted, upgradesHalted: halted };
}
