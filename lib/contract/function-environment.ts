/**
 * The environment variables through which the control plane stack configures its functions and
 * the deploy runner: the stack sets them, the runtime reads them (through `lambda/core/env.ts`).
 */
export const ENV = {
  stateTable: 'SICI_STATE_TABLE',
  auditTable: 'SICI_AUDIT_TABLE',
  stateMachineArn: 'SICI_STATE_MACHINE_ARN',
  /** The TenantSpec bucket: the workflow function's spec store, and the only bucket the runner takes a spec from. */
  specBucket: 'SICI_SPEC_BUCKET',
  /** The fleet worker (shutdown, resume, drift check), invoked asynchronously by the fleet routes and the schedules. */
  fleetWorkerFunction: 'SICI_FLEET_WORKER_FUNCTION',
  /** The fleet upgrade state machine, started by the upgrade routes. */
  upgradeStateMachineArn: 'SICI_UPGRADE_STATE_MACHINE_ARN',
} as const;

/**
 * The platform configuration reaches a Lambda inside its bundle: the stack has esbuild replace
 * this expression by the JSON text, which the function validates at start.
 */
export const BUNDLED_CONFIG_DEFINE = 'process.env.SICI_PLATFORM_CONFIG_JSON';
