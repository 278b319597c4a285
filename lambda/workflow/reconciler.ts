import type { JobStarter } from '../core/job-starter';
import { jobsInFlightSince } from '../core/job-store';
import { failJob, type FailJobDependencies } from './workflow-steps';

export interface ReconcileOptions {
  /** A job still PENDING this long after it was accepted lost its start: start it again. */
  readonly pendingAfterMs: number;
  /** A job still RUNNING this long after it was accepted outlived the workflow's timeout: fail it. */
  readonly runningTimeoutMs: number;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = { pendingAfterMs: 2 * 60_000, runningTimeoutMs: 2 * 60 * 60_000 + 10 * 60_000 };

/**
 * The reconciler, run on a schedule: nothing stays PENDING or RUNNING forever. Re-driving is safe
 * because a job's execution is named by its id (a second start of a started job is a no-op).
 */
export async function reconcile(deps: FailJobDependencies, jobStarter: JobStarter, options = DEFAULT_RECONCILE_OPTIONS) {
  const now = deps.now().getTime();
  const pending = await jobsInFlightSince(deps.tables, 'PENDING', new Date(now - options.pendingAfterMs));
  for (const job of pending) await jobStarter.start(job);
  const stuck = await jobsInFlightSince(deps.tables, 'RUNNING', new Date(now - options.runningTimeoutMs));
  for (const job of stuck) {
    await failJob(deps, {
      jobId: job.jobId,
      failedState: 'Reconciler',
      error: { Error: 'States.Timeout', Cause: `no workflow finished the job within ${Math.round(options.runningTimeoutMs / 60_000)} minutes` },
    });
  }
  return { restarted: pending.map((job) => job.jobId), failed: stuck.map((job) => job.jobId) };
}
