import type { FleetOperationKind } from '../../lib/contract/fleet';

/**
 * Where a recorded fleet operation (shutdown, resume, drift check) goes to be carried out: the
 * fleet worker Lambda, invoked asynchronously, in AWS; the local control plane's own worker on one
 * machine. The worker reads the operation and its matched clusters from the state table, so a start
 * carries only its id; starting the same operation twice does each cluster's work once.
 */
export interface FleetWorkStarter {
  start(operation: { operationId: string; kind: FleetOperationKind }): Promise<void>;
}

/**
 * Where an accepted upgrade run goes: the fleet upgrade state machine (execution name = upgrade id,
 * plus the attempt for a resumed run) in AWS, aws-local-stepfunctions on the same definition locally.
 */
export interface UpgradeStarter {
  start(upgrade: { upgradeId: string; attempt: number }): Promise<void>;
}

/** Where an attempt's execution is: running, ended (it cannot run again under its name), or never started. */
export type UpgradeExecutionState = 'RUNNING' | 'ENDED' | 'NOT_STARTED';

/** What the reconciler asks of the upgrade runner about a run left in flight. */
export interface UpgradeExecutions {
  executionState(upgrade: { upgradeId: string; attempt: number }): Promise<UpgradeExecutionState>;
}
