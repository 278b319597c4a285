import * as z from 'zod';
import { ClusterUpgradeStatus } from './fleet';
import { ClusterId, JobId, UpgradeId } from './ids';

/**
 * The contract between the fleet upgrade state machine (lib/control-plane/fleet) and the code its
 * states run (lambda/fleet/upgrade-steps.ts, through its Lambda in AWS, in-process locally): the
 * state names, the steps, and the documents that flow between them.
 *
 * The execution input is `{ upgradeId, attempt }` (execution name `<upgradeId>-<attempt>`). Each
 * Lambda task invokes the one upgrade-steps function with `{ step, state }`; the run's state lives
 * in the state table, the execution carries only ids, the wave being run and its results.
 */

export const UPGRADE_STEPS = ['plan', 'openWave', 'startCluster', 'checkCluster', 'recordClusterError', 'closeWave', 'haltRun'] as const;
export const UpgradeStep = z.enum(UPGRADE_STEPS);
export type UpgradeStep = z.infer<typeof UpgradeStep>;

export const UPGRADE_STATE_NAMES = {
  plan: 'Plan upgrade',
  openWave: 'Open wave',
  upgradeWave: 'Upgrade wave',
  startCluster: 'Start cluster upgrade',
  jobRunning: 'Job running?',
  waitForJob: 'Wait for job',
  checkCluster: 'Check cluster upgrade',
  clusterDone: 'Cluster done',
  recordClusterError: 'Record cluster error',
  closeWave: 'Close wave',
  nextWave: 'Next wave?',
  waitBeforeRetry: 'Wait before retrying busy clusters',
  runEnded: 'Upgrade run ended',
  haltRun: 'Halt run',
  runFailed: 'Upgrade run failed',
} as const;

/** What comes after a wave (or the plan): another wave, a retry wave of busy clusters after a pause, or the end. */
export const NextWave = z.enum(['WAVE', 'RETRY', 'END']);
export type NextWave = z.infer<typeof NextWave>;

const StepError = z.object({ Error: z.string(), Cause: z.string().optional() }).optional();

/** The top-level execution state between waves. */
export const RunState = z.object({
  upgradeId: UpgradeId,
  attempt: z.number().int().min(1),
  wave: z.number().int().min(0).default(0),
  maxConcurrency: z.number().int().min(1).optional(),
  next: NextWave.optional(),
  members: z.array(ClusterId).optional(),
  results: z.array(z.object({ clusterId: ClusterId, status: ClusterUpgradeStatus })).optional(),
  error: StepError,
});
export type RunState = z.infer<typeof RunState>;

/** The state of one cluster's iteration of a wave's Map. */
export const ClusterState = z.object({
  upgradeId: UpgradeId,
  attempt: z.number().int().min(1),
  clusterId: ClusterId,
  status: ClusterUpgradeStatus.optional(),
  jobId: JobId.optional(),
  failedState: z.string().optional(),
  error: StepError,
});
export type ClusterState = z.infer<typeof ClusterState>;

export const UpgradeStepInvocation = z.object({ step: UpgradeStep, state: z.record(z.string(), z.unknown()) });
export type UpgradeStepInvocation = z.infer<typeof UpgradeStepInvocation>;
